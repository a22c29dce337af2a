// A two-thread stress check of the real SampleRing, built only as a test program (never part
// of siperb_core): the producer writes a running counter in random-sized chunks, the consumer
// reads in random sizes and checks that what it gets is the counter sequence: with write()
// exactly, with write_overwrite() in contiguous runs (one per read) and produced == received +
// dropped. Run by tests/unit/test_audio_ring.py (and ctest); exit status 0 means every case held.
#include "audio/ring.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <random>
#include <span>
#include <thread>
#include <vector>

namespace {

using siperb::audio::SampleRing;

struct Result {
    std::uint64_t produced = 0;  // samples offered by the producer
    std::uint64_t received = 0;  // samples the consumer got
    std::uint64_t dropped = 0;   // the ring's overrun count
    std::uint64_t gaps = 0;      // samples skipped between reads (modulo 2^15)
    std::uint64_t disorder = 0;  // samples out of order or corrupted (must be 0)
};

// overwrite: write_overwrite() (drop oldest) instead of write() (reject newest).
Result stress(std::size_t capacity, std::uint64_t samples, std::size_t max_chunk, bool overwrite, std::uint32_t seed) {
    SampleRing ring(capacity);
    std::atomic<bool> done{false};
    Result res;
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

}  // namespace

int main() {
    constexpr std::size_t kCapacity = 257, kMaxChunk = 200;
    constexpr std::uint64_t kSamples = 300'000;
    int failures = 0;
    for (const bool overwrite : {false, true}) {
        for (const std::uint32_t seed : {1u, 2u, 3u}) {
            const Result r = stress(kCapacity, kSamples, kMaxChunk, overwrite, seed);
            // Reject-newest loses nothing; drop-oldest accounts for every sample it dropped.
            const bool ok = r.disorder == 0 &&
                            (overwrite ? r.received + r.dropped == r.produced && r.produced == kSamples
                                       : r.received == kSamples && r.gaps == 0);
            std::printf("%s %-12s seed %u: produced %llu received %llu dropped %llu gaps %llu disorder %llu\n",
                        ok ? "ok  " : "FAIL", overwrite ? "drop-oldest" : "reject-newest", seed,
                        static_cast<unsigned long long>(r.produced), static_cast<unsigned long long>(r.received),
                        static_cast<unsigned long long>(r.dropped), static_cast<unsigned long long>(r.gaps),
                        static_cast<unsigned long long>(r.disorder));
            failures += ok ? 0 : 1;
        }
    }
    return failures == 0 ? 0 : 1;
}
