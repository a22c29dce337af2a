// A two-thread stress check of SampleRing (used by the unit tests and the TSan run): the
// producer writes a running counter in random-sized chunks, the consumer reads in random
// sizes and checks that what it gets is the counter sequence: with write() exactly, with
// write_overwrite() in contiguous runs (one per read) and produced == received + dropped.
#pragma once

#include <cstddef>
#include <cstdint>

namespace siperb::audio {

struct RingStressResult {
    std::uint64_t produced = 0;   // samples offered by the producer
    std::uint64_t received = 0;   // samples the consumer got
    std::uint64_t dropped = 0;    // the ring's overrun count
    std::uint64_t gaps = 0;       // samples skipped between reads (modulo 2^15)
    std::uint64_t disorder = 0;   // samples out of order or corrupted (must be 0)
};

// overwrite: write_overwrite() (drop oldest) instead of write() (reject newest).
RingStressResult ring_stress(std::size_t capacity, std::uint64_t samples, std::size_t max_chunk, bool overwrite,
                             std::uint32_t seed);

}  // namespace siperb::audio
