#include "jbuf/g711_plc.hpp"

#include "common/error.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace siperb::jbuf {

namespace {
constexpr float kAttenuationPer10ms = 0.2f;
constexpr float kMinCorrPower = 250.0f;
std::int16_t to_pcm(float v) { return static_cast<std::int16_t>(std::lrint(std::clamp(v, -32768.0f, 32767.0f))); }
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
    history_.assign(history_len_, 0.0f);
}

void G711Plc::save(std::vector<float>& s) {
    // Stream = history followed by s; output the n samples ending overlap_max_ before its end.
    std::vector<float> stream;
    stream.reserve(history_len_ + s.size());
    stream.insert(stream.end(), history_.begin(), history_.end());
    stream.insert(stream.end(), s.begin(), s.end());
    const std::size_t end = stream.size() - overlap_max_;
    std::copy(stream.begin() + static_cast<std::ptrdiff_t>(end - s.size()), stream.begin() + static_cast<std::ptrdiff_t>(end), s.begin());
    history_.assign(stream.end() - static_cast<std::ptrdiff_t>(history_len_), stream.end());
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

void G711Plc::conceal_frame(std::vector<float>& out) {
    out.assign(frame_, 0.0f);
    const std::size_t end = history_len_;
    auto scale = [&] {
        const float step = kAttenuationPer10ms / static_cast<float>(frame_);
        for (auto& v : out) {
            v *= std::max(0.0f, gain_);
            gain_ -= step;
        }
    };
    if (erase_count_ == 0) {
        pitch_buf_ = history_;
        pitch_ = find_pitch();
        p_overlap_ = pitch_ / 4;
        last_q_.assign(pitch_buf_.end() - static_cast<std::ptrdiff_t>(p_overlap_), pitch_buf_.end());
        p_offset_ = 0;
        p_len_ = pitch_;
        gain_ = 1.0f;
        // Smooth the wrap from the end of the last period to its start.
        overlap_add(last_q_.data(), pitch_buf_.data() + end - p_len_ - p_overlap_, pitch_buf_.data() + end - p_overlap_, p_overlap_);
        // The not-yet-output tail of the history takes the smoothed samples.
        std::copy_n(pitch_buf_.data() + end - p_overlap_, p_overlap_, history_.data() + end - p_overlap_);
        synth(out.data(), frame_);
    } else if (erase_count_ == 1 || erase_count_ == 2) {
        std::vector<float> tail(p_overlap_);
        const std::size_t saved = p_offset_;
        synth(tail.data(), p_overlap_);
        p_offset_ = saved % pitch_;
        p_len_ += pitch_;  // one more period in the repeated segment
        overlap_add(last_q_.data(), pitch_buf_.data() + end - p_len_ - p_overlap_, pitch_buf_.data() + end - p_overlap_, p_overlap_);
        synth(out.data(), frame_);
        overlap_add(tail.data(), out.data(), out.data(), p_overlap_);
        scale();
    } else if (erase_count_ <= 5) {
        synth(out.data(), frame_);
        scale();
    }  // else: silence after 60 ms
    ++erase_count_;
}

std::vector<std::int16_t> G711Plc::conceal(std::size_t n) {
    if (n % frame_ != 0)
        throw CodecError("samples", "concealment must be a multiple of 10 ms (" + std::to_string(frame_) + " samples)");
    std::vector<std::int16_t> result;
    result.reserve(n);
    std::vector<float> frame;
    for (std::size_t done = 0; done < n; done += frame_) {
        conceal_frame(frame);
        save(frame);
        for (float v : frame) result.push_back(to_pcm(v));
    }
    return result;
}

std::vector<std::int16_t> G711Plc::good_frame(std::span<const std::int16_t> pcm) {
    std::vector<float> s(pcm.begin(), pcm.end());
    if (erase_count_ > 0 && !s.empty()) {
        // Cross-fade from the synthetic continuation (still attenuating) into the real signal.
        std::size_t olen = std::min({p_overlap_ + (erase_count_ - 1) * overlap_incr_, frame_, s.size()});
        if (olen > 0 && p_len_ > 0) {
            std::vector<float> synth_buf(olen);
            synth(synth_buf.data(), olen);
            const float incr = 1.0f / static_cast<float>(olen);
            const float gain = std::max(0.0f, 1.0f - static_cast<float>(erase_count_ - 1) * kAttenuationPer10ms);
            float lw = (1.0f - incr) * gain, rw = incr;
            for (std::size_t i = 0; i < olen; ++i) {
                s[i] = lw * synth_buf[i] + rw * s[i];
                lw -= incr * gain;
                rw += incr;
            }
        }
        erase_count_ = 0;
    }
    save(s);
    std::vector<std::int16_t> out;
    out.reserve(s.size());
    for (float v : s) out.push_back(to_pcm(v));
    return out;
}

}  // namespace siperb::jbuf
