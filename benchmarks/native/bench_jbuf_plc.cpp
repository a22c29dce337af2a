// What G.711 Appendix I concealment costs the engine per packet: good_frame on 20 ms frames
// (the steady state, every received packet goes through it) and conceal of 20 ms, at 8 and
// 16 kHz, on a voiced-like signal (two harmonics of 140 Hz plus a little noise).
// prints: one line per case, ns per 20 ms frame (best of several passes).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <span>
#include <vector>

#include "jbuf/g711_plc.hpp"
#include "voiced_signal.hpp"

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kFrames = 500;

template <class Fn>
double best_ns(Fn&& fn) {
    double best = 1e300;
    for (int pass = 0; pass < 20; ++pass) {
        const auto start = Clock::now();
        for (std::size_t f = 0; f < kFrames; ++f) fn(f);
        best = std::min(best, std::chrono::duration<double, std::nano>(Clock::now() - start).count() / kFrames);
    }
    return best;
}

}  // namespace

int main() {
    for (const std::uint32_t rate : {8000u, 16000u}) {
        const std::size_t frame = rate / 50;  // 20 ms
        const auto pcm = siperb::bench::voiced(frame * kFrames, rate);
        std::vector<std::int16_t> out(frame);
        siperb::jbuf::G711Plc plc(rate);
        long long sink = 0;
        const double vec = best_ns([&](std::size_t f) {
            sink += plc.good_frame(std::span(pcm).subspan(f * frame, frame)).back();
        });
        const double span = best_ns([&](std::size_t f) {
            sink += static_cast<long long>(plc.good_frame(std::span(pcm).subspan(f * frame, frame), out)) + out.back();
        });
        // A loss of 20 ms every fifth frame: the concealment plus the cross-fade back.
        const double lossy = best_ns([&](std::size_t f) {
            if (f % 5 == 4)
                sink += static_cast<long long>(plc.conceal(frame, out)) + out.back();
            else
                sink += static_cast<long long>(plc.good_frame(std::span(pcm).subspan(f * frame, frame), out)) + out.back();
        });
        std::printf("G711Plc %5u Hz good_frame (vector)      %8.1f ns per 20 ms frame\n", rate, vec);
        std::printf("G711Plc %5u Hz good_frame (span)        %8.1f ns per 20 ms frame\n", rate, span);
        std::printf("G711Plc %5u Hz 1 loss in 5 (span)       %8.1f ns per 20 ms frame\n", rate, lossy);
        if (sink == 42) std::puts("");
    }
}
