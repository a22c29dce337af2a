#include "jbuf/g711_plc.hpp"

#include "common/error.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

namespace siperb::jbuf {

namespace {
constexpr float kAttenuationPer10ms = 0.2f;
constexpr float kMinCorrPower = 250.0f;
// Round to nearest, ties to even (as lrint in the default rounding mode) without a libm call:
// adding and removing 1.5 * 2^23 leaves no fraction bits for |v| < 2^22.
std::int16_t to_pcm(float v) {
    constexpr float kMagic = 12582912.0f;
    const float r = (std::clamp(v, -32768.0f, 32767.0f) + kMagic) - kMagic;
    return static_cast<std::int16_t>(r);
}
void to_pcm(const float* in, std::int16_t* out, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) out[i] = to_pcm(in[i]);
}
void check_room(std::size_t need, std::size_t room) {
    if (room < need)
        throw CodecError("out", "room for " + std::to_string(room) + " samples, " + std::to_string(need) + " needed");
}
}  // namespace

G711Plc::G711Plc(std::uint32_t sample_rate) : rate_(sample_rate) {
    if (sample_rate == 0 || sample_rate % 8000 != 0 || sample_rate > 48000)
        throw CodecError("sample rate", "must be 8000, 16000, 24000, 32000 or 48000 Hz");
    const std::size_t k = sample_rate / 8000;
    frame_ = 80 * k;          // 10 ms
    pitch_min_ = 40 * k;      // 200 Hz
    pitch_max_ = 120 * k;     // 66.7 Hz
    overlap_max_ = pitch_max_ / 4;
    history_len_ = 3 * pitch_max_ + overlap_max_;
    corr_len_ = 160 * k;      // 20 ms correlation window
    overlap_incr_ = 32 * k;   // 4 ms
    history_.assign(history_len_, 0);
    delayed_.assign(overlap_max_, 0);
    pitch_buf_.assign(history_len_, 0.0f);
    last_q_.assign(overlap_max_, 0.0f);
    frame_buf_.assign(frame_, 0.0f);
    tail_buf_.assign(overlap_max_, 0.0f);
}

void G711Plc::save(std::span<std::int16_t> s) {
    // Stream = history followed by s; s becomes the n samples ending overlap_max_ before its end:
    // the history's last overlap_max_ samples, then the start of s.
    const std::size_t n = s.size(), h = history_len_, d = overlap_max_;
    std::memcpy(delayed_.data(), history_.data() + h - d, d * sizeof(std::int16_t));
    if (n >= h) {
        std::memcpy(history_.data(), s.data() + n - h, h * sizeof(std::int16_t));
    } else {
        std::memmove(history_.data(), history_.data() + n, (h - n) * sizeof(std::int16_t));
        std::memcpy(history_.data() + h - n, s.data(), n * sizeof(std::int16_t));
    }
    if (n > d) {
        std::memmove(s.data() + d, s.data(), (n - d) * sizeof(std::int16_t));
        std::memcpy(s.data(), delayed_.data(), d * sizeof(std::int16_t));
    } else {
        std::memcpy(s.data(), delayed_.data(), n * sizeof(std::int16_t));
    }
}

std::size_t G711Plc::find_pitch() const {
    // Normalised cross-correlation of the last corr_len_ samples with each lag; coarse search
    // on every second sample, then a full-resolution search around the best coarse lag.
    const float* r = pitch_buf_.data() + pitch_buf_.size() - corr_len_;
    auto score = [&](std::size_t lag, std::size_t step) {
        const float* l = r - lag;
        double energy = 0, corr = 0;
        for (std::size_t i = 0; i < corr_len_; i += step) {
            energy += double(l[i]) * l[i];
            corr += double(r[i]) * l[i];
        }
        return corr / std::sqrt(std::max(energy, double(kMinCorrPower)));
    };
    std::size_t best = pitch_max_;
    double best_score = -1e300;
    for (std::size_t lag = pitch_max_; lag >= pitch_min_; lag -= 2) {
        const double sc = score(lag, 2);
        if (sc >= best_score) {
            best_score = sc;
            best = lag;
        }
        if (lag < pitch_min_ + 2) break;
    }
    const std::size_t lo = std::max(pitch_min_, best - 1), hi = std::min(pitch_max_, best + 1);
    best_score = -1e300;
    std::size_t fine = best;
    for (std::size_t lag = hi; lag >= lo; --lag) {
        const double sc = score(lag, 1);
        if (sc >= best_score) {
            best_score = sc;
            fine = lag;
        }
        if (lag == lo) break;
    }
    return fine;
}

void G711Plc::overlap_add(const float* l, const float* r, float* o, std::size_t n) const {
    // Triangular cross-fade from l to r (o may alias r).
    const float incr = 1.0f / static_cast<float>(n);
    float lw = 1.0f - incr, rw = incr;
    for (std::size_t i = 0; i < n; ++i) {
        o[i] = l[i] * lw + r[i] * rw;
        lw -= incr;
        rw += incr;
    }
}

void G711Plc::synth(float* out, std::size_t n) {
    const std::size_t start = pitch_buf_.size() - p_len_;
    while (n > 0) {
        const std::size_t cnt = std::min(n, p_len_ - p_offset_);
        std::copy_n(pitch_buf_.data() + start + p_offset_, cnt, out);
        p_offset_ += cnt;
        if (p_offset_ == p_len_) p_offset_ = 0;
        out += cnt;
        n -= cnt;
    }
}

void G711Plc::conceal_frame() {
    std::fill(frame_buf_.begin(), frame_buf_.end(), 0.0f);
    float* out = frame_buf_.data();
    const std::size_t end = history_len_;
    auto scale = [&] {
        const float step = kAttenuationPer10ms / static_cast<float>(frame_);
        for (auto& v : frame_buf_) {
            v *= std::max(0.0f, gain_);
            gain_ -= step;
        }
    };
    if (erase_count_ == 0) {
        std::copy(history_.begin(), history_.end(), pitch_buf_.begin());
        pitch_ = find_pitch();
        p_overlap_ = pitch_ / 4;
        std::copy_n(pitch_buf_.data() + end - p_overlap_, p_overlap_, last_q_.data());
        p_offset_ = 0;
        p_len_ = pitch_;
        gain_ = 1.0f;
        // Smooth the wrap from the end of the last period to its start.
        overlap_add(last_q_.data(), pitch_buf_.data() + end - p_len_ - p_overlap_, pitch_buf_.data() + end - p_overlap_, p_overlap_);
        // The not-yet-output tail of the history takes the smoothed samples.
        to_pcm(pitch_buf_.data() + end - p_overlap_, history_.data() + end - p_overlap_, p_overlap_);
        synth(out, frame_);
    } else if (erase_count_ == 1 || erase_count_ == 2) {
        const std::size_t saved = p_offset_;
        synth(tail_buf_.data(), p_overlap_);
        p_offset_ = saved % pitch_;
        p_len_ += pitch_;  // one more period in the repeated segment
        overlap_add(last_q_.data(), pitch_buf_.data() + end - p_len_ - p_overlap_, pitch_buf_.data() + end - p_overlap_, p_overlap_);
        synth(out, frame_);
        overlap_add(tail_buf_.data(), out, out, p_overlap_);
        scale();
    } else if (erase_count_ <= 5) {
        synth(out, frame_);
        scale();
    }  // else: silence after 60 ms
    ++erase_count_;
}

std::size_t G711Plc::conceal(std::size_t n, std::span<std::int16_t> out) {
    if (n % frame_ != 0)
        throw CodecError("samples", "concealment must be a multiple of 10 ms (" + std::to_string(frame_) + " samples)");
    check_room(n, out.size());
    for (std::size_t done = 0; done < n; done += frame_) {
        conceal_frame();
        const auto frame = out.subspan(done, frame_);
        to_pcm(frame_buf_.data(), frame.data(), frame_);
        save(frame);
    }
    return n;
}

void G711Plc::end_erasure(std::span<std::int16_t> s) {
    // Cross-fade from the synthetic continuation (still attenuating) into the real signal.
    const std::size_t olen = std::min({p_overlap_ + (erase_count_ - 1) * overlap_incr_, frame_, s.size()});
    if (olen > 0 && p_len_ > 0) {
        float* synth_buf = frame_buf_.data();
        synth(synth_buf, olen);
        const float incr = 1.0f / static_cast<float>(olen);
        const float gain = std::max(0.0f, 1.0f - static_cast<float>(erase_count_ - 1) * kAttenuationPer10ms);
        float lw = (1.0f - incr) * gain, rw = incr;
        for (std::size_t i = 0; i < olen; ++i) {
            s[i] = to_pcm(lw * synth_buf[i] + rw * static_cast<float>(s[i]));
            lw -= incr * gain;
            rw += incr;
        }
    }
    erase_count_ = 0;
}

std::size_t G711Plc::good_frame(std::span<const std::int16_t> pcm, std::span<std::int16_t> out) {
    const std::size_t n = pcm.size();
    check_room(n, out.size());
    const auto s = out.first(n);
    if (n > 0 && s.data() != pcm.data()) std::memmove(s.data(), pcm.data(), n * sizeof(std::int16_t));
    if (erase_count_ > 0 && n > 0) end_erasure(s);
    save(s);
    return n;
}

std::vector<std::int16_t> G711Plc::conceal(std::size_t n) {
    std::vector<std::int16_t> result(n);
    conceal(n, result);
    return result;
}

std::vector<std::int16_t> G711Plc::good_frame(std::span<const std::int16_t> pcm) {
    std::vector<std::int16_t> result(pcm.size());
    good_frame(pcm, result);
    return result;
}

}  // namespace siperb::jbuf
