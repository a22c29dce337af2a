// How to encode G.711 fast: the shipped tables (µ-law indexed by x >> 2, 16 KiB; A-law by
// x >> 4, 4 KiB) against a full 64 KiB table and the G.191 segment search, on 160-sample
// frames of a pseudo-random speech-level signal (Laplacian-like, many different frames).
// prints: one line per method, ns per 160-sample frame (best of several passes).
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

#include "codec/g711.hpp"
#include "codec/g711_reference.hpp"

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kFrame = 160;
constexpr std::size_t kFrames = 2000;

template <class Fn>
double best_ns_per_frame(const std::vector<std::int16_t>& pcm, std::vector<std::uint8_t>& out, Fn&& fn) {
    double best = 1e300;
    for (int pass = 0; pass < 30; ++pass) {
        const auto start = Clock::now();
        for (std::size_t f = 0; f < kFrames; ++f) fn(pcm.data() + f * kFrame, out.data() + f * kFrame, kFrame);
        const double ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
        best = std::min(best, ns / kFrames);
    }
    return best;
}

}  // namespace

int main() {
    std::mt19937 rng(7);
    std::exponential_distribution<double> mag(1.0 / 2500.0);
    std::vector<std::int16_t> pcm(kFrame * kFrames);
    for (auto& s : pcm) {
        const double v = std::min(32767.0, mag(rng)) * ((rng() & 1) ? 1 : -1);
        s = static_cast<std::int16_t>(std::lround(v));
    }
    std::vector<std::uint8_t> out(pcm.size());
    std::vector<std::uint8_t> check(pcm.size());

    static std::array<std::uint8_t, 65536> full{};
    for (std::size_t i = 0; i < full.size(); ++i)
        full[i] = siperb::g711::reference::ulaw_compress(static_cast<std::int16_t>(static_cast<std::uint16_t>(i)));

    const double shipped = best_ns_per_frame(pcm, out, siperb::g711::ulaw_encode);
    const double table64k = best_ns_per_frame(pcm, check, [](const std::int16_t* in, std::uint8_t* o, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) o[i] = full[static_cast<std::uint16_t>(in[i])];
    });
    if (out != check) return 1;
    const double search = best_ns_per_frame(pcm, check, [](const std::int16_t* in, std::uint8_t* o, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) o[i] = siperb::g711::reference::ulaw_compress(in[i]);
    });
    if (out != check) return 1;
    std::vector<std::int16_t> back(pcm.size());
    double decode = 1e300;
    for (int pass = 0; pass < 30; ++pass) {
        const auto start = Clock::now();
        for (std::size_t f = 0; f < kFrames; ++f)
            siperb::g711::ulaw_decode(out.data() + f * kFrame, back.data() + f * kFrame, kFrame);
        decode = std::min(decode,
                          std::chrono::duration<double, std::nano>(Clock::now() - start).count() / kFrames);
    }
    std::printf("ulaw encode, 16 KiB table (shipped): %7.1f ns/frame\n", shipped);
    std::printf("ulaw encode, 64 KiB table:           %7.1f ns/frame\n", table64k);
    std::printf("ulaw encode, G.191 segment search:   %7.1f ns/frame\n", search);
    std::printf("ulaw decode, 256-entry table:        %7.1f ns/frame\n", decode);
    return 0;
}
