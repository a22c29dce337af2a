// The test signal of the jbuf and media native benchmarks: a voiced-like tone (two harmonics of
// 140 Hz plus a little noise), the same for every run.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace siperb::bench {

inline std::vector<std::int16_t> voiced(std::size_t n, std::uint32_t rate) {
    std::mt19937 rng(3);
    std::normal_distribution<double> noise(0.0, 200.0);
    std::vector<std::int16_t> pcm(n);
    for (std::size_t i = 0; i < n; ++i) {
        const double t = static_cast<double>(i) / rate;
        const double v = 6000 * std::sin(2 * M_PI * 140 * t) + 2500 * std::sin(2 * M_PI * 280 * t + 0.7) + noise(rng);
        pcm[i] = static_cast<std::int16_t>(std::lround(v));
    }
    return pcm;
}

}  // namespace siperb::bench
