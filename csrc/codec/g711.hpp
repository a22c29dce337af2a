// G.711 µ-law and A-law (ITU-T G.711), bit-exact with the ITU-T G.191 STL reference (g711.c).
// Encoding looks the code up in a table indexed by the bits the reference actually reads
// (x >> 2 for µ-law, x >> 4 for A-law: 16 KiB + 4 KiB); decoding in a 256-entry table. All
// tables are computed at compile time from the reference algorithm (g711_reference.hpp).
// Measured by benchmarks/native/bench_codec_g711.cpp, per 160-sample frame: 16 KiB table
// ~52 ns, a full 64 KiB table ~43 ns (hot cache, isolated loop), G.191 segment search ~1650 ns.
// The smaller table is kept: 9 ns a frame is noise next to a ~140 ns Python call, and it leaves
// most of L1 to the rest of the media path that runs on the same core.
#pragma once

#include <cstddef>
#include <cstdint>

namespace siperb::g711 {

// Batch conversions of n samples/codes; in and out must not overlap.
void ulaw_encode(const std::int16_t* in, std::uint8_t* out, std::size_t n) noexcept;
void ulaw_decode(const std::uint8_t* in, std::int16_t* out, std::size_t n) noexcept;
void alaw_encode(const std::int16_t* in, std::uint8_t* out, std::size_t n) noexcept;
void alaw_decode(const std::uint8_t* in, std::int16_t* out, std::size_t n) noexcept;

}  // namespace siperb::g711
