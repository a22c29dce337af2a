// Two threads hammering one SampleRing.
#include "audio/ring_stress.hpp"

#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include "audio/ring.hpp"

namespace siperb::audio {

RingStressResult ring_stress(std::size_t capacity, std::uint64_t samples, std::size_t max_chunk, bool overwrite,
                             std::uint32_t seed) {
    SampleRing ring(capacity);
    std::atomic<bool> done{false};
    RingStressResult res;
    if (max_chunk == 0) max_chunk = 1;
    // The counter runs over 15 bits, so a sample is its sequence number modulo 32768.
    std::thread producer([&] {
        std::mt19937 rng(seed);
        std::vector<std::int16_t> buf(max_chunk);
        std::uint64_t next = 0;
        while (next < samples) {
            const std::size_t n = std::min<std::uint64_t>(1 + rng() % max_chunk, samples - next);
            for (std::size_t i = 0; i < n; ++i) buf[i] = static_cast<std::int16_t>((next + i) & 0x7FFF);
            const std::size_t took = overwrite ? (ring.write_overwrite(std::span(buf).first(n)), n)
                                               : ring.write(std::span(buf).first(n));
            next += took;
            res.produced += n;
            if (took < n) res.produced -= n - took;  // rejected samples are re-offered
            if (rng() % 8 == 0) std::this_thread::yield();
        }
        done.store(true, std::memory_order_release);
    });
    std::mt19937 rng(seed ^ 0x9E3779B9u);
    std::vector<std::int16_t> buf(max_chunk);
    std::uint64_t expect = 0;
    for (;;) {
        const bool finished = done.load(std::memory_order_acquire);
        const std::size_t got = ring.read(std::span(buf).first(1 + rng() % max_chunk));
        for (std::size_t i = 0; i < got; ++i) {
            const auto v = static_cast<std::uint64_t>(buf[i]);
            const std::uint64_t skip = (v - (expect & 0x7FFF)) & 0x7FFF;  // forward distance mod 2^15
            // One read() is one contiguous run of the sequence; only between reads may the
            // overwriting producer have skipped samples (of any number, so not checkable mod 2^15).
            if (skip != 0 && (i > 0 || !overwrite)) ++res.disorder;
            if (i == 0) res.gaps += skip;
            expect = expect + skip + 1;
        }
        res.received += got;
        if (got == 0) {
            if (finished && ring.available() == 0) break;
            std::this_thread::yield();
        }
    }
    producer.join();
    res.dropped = ring.counters().overrun_samples;
    return res;
}

}  // namespace siperb::audio
