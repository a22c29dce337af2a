// Sines with cadence; call-progress and DTMF presets.
#include "audio/tone.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <numbers>
#include <string>

#include "common/error.hpp"

namespace siperb::audio {
namespace {

constexpr double kTwoPi = 2.0 * std::numbers::pi;

struct Preset {
    std::string_view name;
    ToneRegion region;
    std::array<double, 2> freqs;
    int on_ms;
    int off_ms;  // 0 = continuous
};

// US: ATIS-0300011 precise tones. EU: CEPT/ETSI TR 101 041-1 recommended 425 Hz plan.
constexpr std::array kPresets{
    Preset{"dial", ToneRegion::Us, {350, 440}, 0, 0},
    Preset{"ringback", ToneRegion::Us, {440, 480}, 2000, 4000},
    Preset{"busy", ToneRegion::Us, {480, 620}, 500, 500},
    Preset{"congestion", ToneRegion::Us, {480, 620}, 250, 250},
    Preset{"dial", ToneRegion::Eu, {425, 0}, 0, 0},
    Preset{"ringback", ToneRegion::Eu, {425, 0}, 1000, 4000},
    Preset{"busy", ToneRegion::Eu, {425, 0}, 500, 500},
    Preset{"congestion", ToneRegion::Eu, {425, 0}, 250, 250},
};

constexpr std::array<double, 4> kDtmfRows{697, 770, 852, 941};
constexpr std::array<double, 4> kDtmfCols{1209, 1336, 1477, 1633};
constexpr std::string_view kDtmfKeys = "123A456B789C*0#D";

}  // namespace

ToneSource::ToneSource(int sample_rate, std::vector<ToneSegment> segments, bool repeat, double level_dbfs)
    : rate_(sample_rate), segments_(std::move(segments)), repeat_(repeat) {
    if (sample_rate < 1000 || sample_rate > 384000)
        throw MediaError("sample_rate", std::to_string(sample_rate) + " Hz is outside 1000..384000");
    if (segments_.empty()) throw MediaError("segments", "no segment");
    if (!(level_dbfs <= 0.0) || level_dbfs < -120.0)
        throw MediaError("level_dbfs", std::to_string(level_dbfs) + " is outside -120..0");
    amplitude_ = 32767.0 * std::pow(10.0, level_dbfs / 20.0);
    for (std::size_t i = 0; i < segments_.size(); ++i) {
        const auto& s = segments_[i];
        for (double f : s.freqs)
            if (!(f >= 0.0) || f >= sample_rate / 2.0)
                throw MediaError("freqs", std::to_string(f) + " Hz is outside 0..Nyquist (" + std::to_string(sample_rate / 2) + ")");
        if (s.duration_ms < 0) throw MediaError("segments", "negative duration");
        if (s.duration_ms == 0 && i + 1 != segments_.size())
            throw MediaError("segments", "only the last segment may last forever (duration 0)");
        seg_samples_.push_back(static_cast<std::uint64_t>(s.duration_ms) * static_cast<std::uint64_t>(sample_rate) / 1000);
        if (s.duration_ms > 0 && seg_samples_.back() == 0) seg_samples_.back() = 1;
    }
    enter(0);
}

std::vector<ToneSegment> ToneSource::preset(std::string_view name, ToneRegion region) {
    for (const auto& p : kPresets) {
        if (p.name != name || p.region != region) continue;
        if (p.off_ms == 0) return {ToneSegment{p.freqs, 0}};
        return {ToneSegment{p.freqs, p.on_ms}, ToneSegment{{0, 0}, p.off_ms}};
    }
    throw MediaError("preset", "'" + std::string(name) + "' is not dial, ringback, busy or congestion");
}

std::array<double, 2> ToneSource::dtmf_pair(char digit) {
    const auto pos = kDtmfKeys.find(static_cast<char>(std::toupper(static_cast<unsigned char>(digit))));
    if (pos == std::string_view::npos)
        throw MediaError("digits", std::string("'") + digit + "' is not a DTMF digit (0-9, *, #, A-D)");
    return {kDtmfRows[pos / 4], kDtmfCols[pos % 4]};
}

std::vector<ToneSegment> ToneSource::dtmf(std::string_view digits, int on_ms, int off_ms) {
    if (digits.empty()) throw MediaError("digits", "empty");
    if (on_ms <= 0) throw MediaError("on_ms", "must be positive");
    if (off_ms < 0) throw MediaError("off_ms", "must not be negative");
    std::vector<ToneSegment> segs;
    for (char d : digits) {
        segs.push_back({dtmf_pair(d), on_ms});
        if (off_ms > 0) segs.push_back({{0, 0}, off_ms});
    }
    return segs;
}

void ToneSource::enter(std::size_t seg) noexcept {
    seg_ = seg;
    pos_ = 0;
    for (std::size_t k = 0; k < 2; ++k) {
        const double f = segments_[seg].freqs[k];
        const double step = kTwoPi * f / rate_;
        if (step != step_[k]) step_[k] = step;  // a new frequency keeps the phase it reached
    }
}

std::size_t ToneSource::read(std::span<std::int16_t> out) noexcept {
    if (restart_.exchange(false, std::memory_order_acq_rel)) {
        enter(0);
        ended_.store(false, std::memory_order_release);
    }
    std::size_t done = 0;
    while (done < out.size() && !ended_.load(std::memory_order_relaxed)) {
        const std::uint64_t len = seg_samples_[seg_];
        const std::size_t n = len == 0 ? out.size() - done
                                       : static_cast<std::size_t>(std::min<std::uint64_t>(out.size() - done, len - pos_));
        const auto& f = segments_[seg_].freqs;
        const bool on0 = f[0] > 0.0;
        const bool on1 = f[1] > 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            double v = 0.0;
            if (on0) {
                v += std::sin(phase_[0]);
                phase_[0] += step_[0];
                if (phase_[0] >= kTwoPi) phase_[0] -= kTwoPi;
            }
            if (on1) {
                v += std::sin(phase_[1]);
                phase_[1] += step_[1];
                if (phase_[1] >= kTwoPi) phase_[1] -= kTwoPi;
            }
            out[done + i] = static_cast<std::int16_t>(std::lround(std::clamp(v * amplitude_, -32768.0, 32767.0)));
        }
        done += n;
        pos_ += n;
        if (len != 0 && pos_ >= len) {
            if (seg_ + 1 < segments_.size()) {
                enter(seg_ + 1);
            } else if (repeat_) {
                enter(0);
            } else {
                ended_.store(true, std::memory_order_release);
            }
        }
    }
    return done;
}

}  // namespace siperb::audio
