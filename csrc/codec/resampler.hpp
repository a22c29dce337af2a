// Sample-rate conversion with speexdsp's resampler (windowed-sinc, quality 0..10), streaming
// and one-shot. Interleaved int16 in and out; rates are checked and named in CodecError.
// A Resampler serialises its calls with a mutex (see opus.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>

struct SpeexResamplerState_;

namespace siperb::codec {

inline constexpr int kResamplerDefaultQuality = 4;  // SPEEX_RESAMPLER_QUALITY_DEFAULT

class Resampler {
public:
    Resampler(int in_rate, int out_rate, int channels = 1, int quality = kResamplerDefaultQuality);
    // Throws CodecError naming in_rate/out_rate (1000..384000 Hz), channels (1..8) or quality (0..10).
    static void check_parameters(int in_rate, int out_rate, int channels, int quality);

    int in_rate() const noexcept { return in_rate_; }
    int out_rate() const noexcept { return out_rate_; }
    int channels() const noexcept { return channels_; }
    int quality() const noexcept { return quality_; }
    // Filter delay, in input and in output samples per channel.
    int input_latency() const;
    int output_latency() const;

    // Output frames (samples per channel) that process() may produce for in_frames input frames.
    std::size_t max_output_frames(std::size_t in_frames) const noexcept;
    // Consumes all of in (whole frames, interleaved) and writes what the filter has ready to out
    // (room for max_output_frames frames); returns frames written. Keeps state across calls.
    std::size_t process(std::span<const std::int16_t> in, std::span<std::int16_t> out);
    // Drops the filter history (the next call starts a new stream).
    void reset();
    // Primes the filter so the first output sample lines up with the first input sample.
    void skip_zeros();

private:
    struct Deleter {
        void operator()(SpeexResamplerState_* s) const noexcept;
    };
    mutable std::mutex mu_;
    std::unique_ptr<SpeexResamplerState_, Deleter> st_;
    int in_rate_;
    int out_rate_;
    int channels_;
    int quality_;
};

// Frames resample() writes for in_frames input frames: floor(in_frames * out_rate / in_rate).
std::size_t resampled_frames(std::size_t in_frames, int in_rate, int out_rate) noexcept;

// One-shot conversion of a whole signal, delay-compensated: out[k] corresponds to time
// k / out_rate of the input; writes exactly resampled_frames(...) frames.
void resample(std::span<const std::int16_t> in, int in_rate, int out_rate, int channels, int quality,
              std::span<std::int16_t> out);

}  // namespace siperb::codec
