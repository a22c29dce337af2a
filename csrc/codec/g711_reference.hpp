// The ITU-T G.191 STL g711.c algorithms, transcribed as constexpr functions on one sample:
// the source of the lookup tables in g711.cpp (built at compile time) and the baseline that
// benchmarks/native/bench_codec_g711.cpp measures the tables against.
#pragma once

#include <cstdint>

namespace siperb::g711::reference {

// G.191 ulaw_compress: 14-bit magnitude from the one's complement, biased by 33, segment search.
constexpr std::uint8_t ulaw_compress(std::int16_t x) {
    int absno = (x < 0 ? (~x) >> 2 : x >> 2) + 33;
    if (absno > 0x1FFF) absno = 0x1FFF;
    int segno = 1;
    for (int i = absno >> 6; i != 0; i >>= 1) ++segno;
    const int high = 8 - segno;
    const int low = 0xF - ((absno >> segno) & 0xF);
    int code = (high << 4) | low;
    if (x >= 0) code |= 0x80;
    return static_cast<std::uint8_t>(code);
}

// G.191 ulaw_expand: 14-bit left-justified value at the centre of the quantisation step.
constexpr std::int16_t ulaw_expand(std::uint8_t code) {
    const int sign = code < 0x80 ? -1 : 1;
    const int inverted = ~static_cast<int>(code);
    const int exponent = (inverted >> 4) & 7;
    const int mantissa = inverted & 0xF;
    const int step = 4 << (exponent + 1);
    return static_cast<std::int16_t>(sign * ((0x80 << exponent) + step * mantissa + step / 2 - 4 * 33));
}

// G.191 alaw_compress: 12-bit magnitude from the one's complement, even bits toggled.
constexpr std::uint8_t alaw_compress(std::int16_t x) {
    int ix = x < 0 ? (~x) >> 4 : x >> 4;
    if (ix > 15) {
        int iexp = 1;
        while (ix > 16 + 15) {
            ix >>= 1;
            ++iexp;
        }
        ix -= 16;
        ix += iexp << 4;
    }
    if (x >= 0) ix |= 0x80;
    return static_cast<std::uint8_t>(ix ^ 0x55);
}

// G.191 alaw_expand.
constexpr std::int16_t alaw_expand(std::uint8_t code) {
    const int ix = (code ^ 0x55) & 0x7F;
    const int iexp = ix >> 4;
    int mant = ix & 0xF;
    if (iexp > 0) mant += 16;
    mant = (mant << 4) + 8;
    if (iexp > 1) mant <<= iexp - 1;
    return static_cast<std::int16_t>(code > 127 ? mant : -mant);
}

}  // namespace siperb::g711::reference
