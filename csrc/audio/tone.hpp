// Tone generator: sums of up to two sines played through a cadence of segments (tone or
// silence, each a duration), once or repeated. Presets for call-progress tones (US: ANSI
// T1.401 / ATIS; EU: the CEPT 425 Hz plan of ETSI TR 101 041) and DTMF (ITU-T Q.23).
// Phase-continuous: each oscillator's phase carries across read() calls and across segments
// with the same frequency, so a cadence or a frame boundary adds no click.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "audio/audio_port.hpp"

namespace siperb::audio {

struct ToneSegment {
    std::array<double, 2> freqs{0.0, 0.0};  // Hz; 0 = unused; both 0 = silence
    int duration_ms = 0;                    // 0 = forever (only meaningful last)
};

enum class ToneRegion { Us, Eu };

class ToneSource final : public AudioSource {
public:
    // level_dbfs: peak level of each sine (a dual tone peaks 6 dB higher). Throws
    // MediaError naming sample_rate, segments, freqs or level_dbfs.
    ToneSource(int sample_rate, std::vector<ToneSegment> segments, bool repeat = true, double level_dbfs = -13.0);

    // "dial", "ringback", "busy", "congestion" (US or EU plan); repeated forever.
    static std::vector<ToneSegment> preset(std::string_view name, ToneRegion region);
    // The DTMF pair of a digit (0-9, *, #, A-D; case-insensitive): {row, column} Hz.
    static std::array<double, 2> dtmf_pair(char digit);
    // One segment per digit then a gap of silence; not repeated (the source ends).
    static std::vector<ToneSegment> dtmf(std::string_view digits, int on_ms = 100, int off_ms = 100);

    int sample_rate() const noexcept override { return rate_; }
    std::size_t read(std::span<std::int16_t> out) noexcept override;
    bool ended() const noexcept override { return ended_.load(std::memory_order_acquire); }

    // Restarts the cadence (not the oscillator phases) at the next read(); any thread.
    void restart() noexcept { restart_.store(true, std::memory_order_release); }

private:
    void enter(std::size_t seg) noexcept;

    int rate_;
    std::vector<ToneSegment> segments_;
    std::vector<std::uint64_t> seg_samples_;  // 0 = forever
    bool repeat_;
    double amplitude_;
    std::size_t seg_ = 0;
    std::uint64_t pos_ = 0;  // samples into the current segment
    std::array<double, 2> phase_{0.0, 0.0};  // radians, in [0, 2pi)
    std::array<double, 2> step_{0.0, 0.0};
    std::atomic<bool> ended_{false};
    std::atomic<bool> restart_{false};
};

}  // namespace siperb::audio
