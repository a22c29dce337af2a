// G.711 µ-law and A-law (ITU-T G.711), bit-exact with the ITU-T G.191 STL reference (g711.c).
// Encoding looks the code up in a table indexed by the bits the reference actually reads
// (x >> 2 for µ-law, x >> 4 for A-law: 16 KiB + 4 KiB, resident in L1); decoding in a
// 256-entry table. All tables are computed at compile time from the reference algorithm.
#pragma once

#include <cstddef>
#include <cstdint>

namespace siperb::g711 {

// The reference algorithm, one sample at a time (used to build the tables; kept for tests).
std::uint8_t ulaw_compress_reference(std::int16_t x) noexcept;
std::int16_t ulaw_expand_reference(std::uint8_t code) noexcept;
std::uint8_t alaw_compress_reference(std::int16_t x) noexcept;
std::int16_t alaw_expand_reference(std::uint8_t code) noexcept;

// Batch conversions of n samples/codes; in and out must not overlap.
void ulaw_encode(const std::int16_t* in, std::uint8_t* out, std::size_t n) noexcept;
void ulaw_decode(const std::uint8_t* in, std::int16_t* out, std::size_t n) noexcept;
void alaw_encode(const std::int16_t* in, std::uint8_t* out, std::size_t n) noexcept;
void alaw_decode(const std::uint8_t* in, std::int16_t* out, std::size_t n) noexcept;

}  // namespace siperb::g711
