// Signal levels of one frame of 16-bit PCM, for the level meters and the quality score.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>

namespace siperb::dsp {

// Mean square of a frame (integer arithmetic: this runs for every frame sent and played).
inline double mean_square(std::span<const std::int16_t> pcm) noexcept {
    if (pcm.empty()) return 0.0;
    std::int64_t sum = 0;
    for (const std::int16_t x : pcm) sum += std::int32_t{x} * std::int32_t{x};
    return static_cast<double>(sum) / static_cast<double>(pcm.size());
}

// RMS level relative to full scale; -100 dBFS stands for digital silence.
inline double level_dbfs(double mean_sq) noexcept {
    const double rms = std::sqrt(mean_sq) / 32768.0;
    return rms > 1e-5 ? std::max(-100.0, 20.0 * std::log10(rms)) : -100.0;
}

}  // namespace siperb::dsp
