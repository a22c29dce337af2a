#include "dsp/time_stretch.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>

namespace siperb::dsp {

namespace {

constexpr std::size_t kMaxCoarse = 512;  // decimated samples searched (window + largest lag)

// Normalised correlation of x[i] and x[i + lag] for i in [0, w).
template <class Acc, class T>
double similarity(const T* x, std::size_t lag, std::size_t w) noexcept {
    Acc xy = 0, xx = 0, yy = 0;
    for (std::size_t i = 0; i < w; ++i) {
        const Acc a = x[i], b = x[i + lag];
        xy += a * b;
        xx += a * a;
        yy += b * b;
    }
    return (xx > 0 && yy > 0) ? static_cast<double>(xy) / std::sqrt(static_cast<double>(xx) * static_cast<double>(yy)) : 0.0;
}

// The lag in [lo, hi] (hi < x.size() / 2 + 1) with the highest normalised correlation of x[i]
// and x[i + lag] over a window of up to 10 ms in the middle of the frame: found every k-th lag
// on x averaged over k samples (about 4 kHz), then to the sample within k of that.
std::size_t best_lag(std::span<const std::int16_t> x, std::size_t lo, std::size_t hi, std::uint32_t rate) noexcept {
    const std::size_t w = std::min<std::size_t>(x.size() - hi, std::max<std::size_t>(rate / 100, 1));
    const std::int16_t* base = x.data() + (x.size() - hi - w) / 2;
    std::size_t k = std::max<std::size_t>(1, rate / 4000);
    k = std::max(k, (w + hi + kMaxCoarse - 1) / kMaxCoarse);
    std::size_t best = hi;
    if (k > 1 && w / k >= 8) {
        std::array<float, kMaxCoarse> d{};
        const std::size_t nd = (w + hi) / k;
        for (std::size_t j = 0; j < nd; ++j) {
            int sum = 0;
            for (std::size_t i = 0; i < k; ++i) sum += base[j * k + i];
            d[j] = static_cast<float>(sum);
        }
        double best_score = -2.0;
        for (std::size_t lag = (lo + k - 1) / k; lag * k <= hi; ++lag) {
            const double score = similarity<float>(d.data(), lag, w / k);
            if (score > best_score) {
                best_score = score;
                best = lag * k;
            }
        }
    } else {
        k = hi - lo + 1;  // no coarse pass: the fine one covers [lo, hi]
        best = lo + (hi - lo) / 2;
    }
    const std::size_t from = std::max(lo, best > k ? best - k : 0), to = std::min(hi, best + k);
    double best_score = -2.0;
    best = hi;
    for (std::size_t lag = from; lag <= to; ++lag) {
        const double score = similarity<std::int64_t>(base, lag, w);
        if (score > best_score) {
            best_score = score;
            best = lag;
        }
    }
    return best;
}

// a * (1 - w) + b * w, rounded half away from zero (w in [0, 1]: no saturation needed).
std::int16_t mix(int a, int b, float w) noexcept {
    const float v = static_cast<float>(a) + static_cast<float>(b - a) * w;
    return static_cast<std::int16_t>(v + (v < 0 ? -0.5f : 0.5f));
}

}  // namespace

double mean_abs(std::span<const std::int16_t> pcm) noexcept {
    if (pcm.empty()) return 0;
    long long s = 0;
    for (auto v : pcm) s += std::abs(int{v});
    return static_cast<double>(s) / static_cast<double>(pcm.size());
}

std::size_t time_stretch(std::span<const std::int16_t> in, bool accelerate, std::size_t amount,
                         std::span<std::int16_t> out, std::uint32_t sample_rate) noexcept {
    const std::size_t n = in.size();
    if (amount == 0 || n < 2 * amount || out.size() < n + amount) {
        const std::size_t m = std::min(n, out.size());
        std::copy_n(in.begin(), m, out.begin());
        return m;
    }
    // Lags from half to all of the amount.
    const std::size_t lag = best_lag(in, std::max<std::size_t>(1, amount / 2), amount, sample_rate);
    if (accelerate) {
        // out[i] fades from in[i] to in[i + lag]: starts where the last frame ended, ends on
        // in[n - 1], lag samples shorter.
        const std::size_t m = n - lag;
        const float step = 1.0f / static_cast<float>(m > 1 ? m - 1 : 1);
        for (std::size_t i = 0; i < m; ++i) out[i] = mix(in[i], in[i + lag], static_cast<float>(i) * step);
        return m;
    }
    // Decelerate: the frame and a copy shifted by lag, cross-faded over their overlap.
    const std::size_t m = n + lag;
    const float step = 1.0f / static_cast<float>(n - lag);
    std::copy_n(in.begin(), lag, out.begin());
    for (std::size_t i = lag; i < n; ++i) out[i] = mix(in[i], in[i - lag], static_cast<float>(i - lag) * step);
    std::copy(in.begin() + static_cast<std::ptrdiff_t>(n - lag), in.end(), out.begin() + static_cast<std::ptrdiff_t>(n));
    return m;
}

}  // namespace siperb::dsp
