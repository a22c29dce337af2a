#include "media/time_stretch.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace siperb::media {

namespace {

// The lag in [lo, hi] with the highest normalised correlation of x[i] and x[i + lag].
std::size_t best_lag(std::span<const std::int16_t> x, std::size_t lo, std::size_t hi) noexcept {
    std::size_t best = hi;
    double best_score = -2.0;
    for (std::size_t lag = lo; lag <= hi; ++lag) {
        const std::size_t n = x.size() - lag;
        double xy = 0, xx = 0, yy = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const double a = x[i], b = x[i + lag];
            xy += a * b;
            xx += a * a;
            yy += b * b;
        }
        const double score = (xx > 0 && yy > 0) ? xy / std::sqrt(xx * yy) : 0.0;
        if (score > best_score) {
            best_score = score;
            best = lag;
        }
    }
    return best;
}

std::int16_t mix(double a, double b, double w) noexcept {
    return static_cast<std::int16_t>(std::clamp(std::lround(a * (1.0 - w) + b * w), -32768L, 32767L));
}

}  // namespace

double mean_abs(std::span<const std::int16_t> pcm) noexcept {
    if (pcm.empty()) return 0;
    long long s = 0;
    for (auto v : pcm) s += std::abs(int{v});
    return static_cast<double>(s) / static_cast<double>(pcm.size());
}

std::size_t time_stretch(std::span<const std::int16_t> in, bool accelerate, std::size_t amount,
                         std::span<std::int16_t> out) noexcept {
    const std::size_t n = in.size();
    if (amount == 0 || n < 2 * amount || out.size() < n + amount) {
        const std::size_t m = std::min(n, out.size());
        std::copy_n(in.begin(), m, out.begin());
        return m;
    }
    // Lags from half to all of the amount, searched in steps of one sample (frames are short).
    const std::size_t lag = best_lag(in, std::max<std::size_t>(1, amount / 2), amount);
    if (accelerate) {
        // out[i] fades from in[i] to in[i + lag]: starts where the last frame ended, ends on
        // in[n - 1], lag samples shorter.
        const std::size_t m = n - lag;
        for (std::size_t i = 0; i < m; ++i) out[i] = mix(in[i], in[i + lag], double(i) / double(m - 1 ? m - 1 : 1));
        return m;
    }
    // Decelerate: the frame and a copy shifted by lag, cross-faded over their overlap.
    const std::size_t m = n + lag;
    for (std::size_t i = 0; i < m; ++i) {
        if (i < lag) {
            out[i] = in[i];
        } else if (i < n) {
            out[i] = mix(in[i], in[i - lag], double(i - lag) / double(n - lag));
        } else {
            out[i] = in[i - lag];
        }
    }
    return m;
}

}  // namespace siperb::media
