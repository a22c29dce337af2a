// What one time-stretched frame costs the engine: time_stretch on 20 ms frames with the
// jitter buffer's amounts (a quarter and a half of the frame), accelerate and decelerate, at
// 8 and 48 kHz, on a voiced-like signal (two harmonics of 140 Hz plus a little noise).
// prints: one line per case, ns per 20 ms frame (best of several passes).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <span>
#include <vector>

#include "dsp/time_stretch.hpp"
#include "voiced_signal.hpp"

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kFrames = 50;

}  // namespace

int main() {
    for (const std::uint32_t rate : {8000u, 48000u}) {
        const std::size_t frame = rate / 50;  // 20 ms
        const auto pcm = siperb::bench::voiced(frame * kFrames, rate);
        std::vector<std::int16_t> out(2 * frame);
        for (const std::size_t amount : {frame / 4, frame / 2}) {
            for (const bool accelerate : {true, false}) {
                double best = 1e300;
                long long sink = 0;
                for (int pass = 0; pass < 10; ++pass) {
                    const auto start = Clock::now();
                    for (std::size_t f = 0; f < kFrames; ++f)
                        sink += static_cast<long long>(siperb::dsp::time_stretch(std::span(pcm).subspan(f * frame, frame), accelerate,
                                                                                   amount, out, rate));
                    best = std::min(best, std::chrono::duration<double, std::nano>(Clock::now() - start).count() / kFrames);
                }
                std::printf("time_stretch %5u Hz %-10s amount %3zu  %10.1f ns per 20 ms frame%s\n", rate,
                            accelerate ? "accelerate" : "decelerate", amount, best, sink == 42 ? " " : "");
            }
        }
    }
}
