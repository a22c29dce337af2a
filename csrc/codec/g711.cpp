// G.711 tables built at compile time from a transcription of the G.191 STL algorithm.
#include "codec/g711.hpp"

#include <array>

namespace siperb::g711 {
namespace {

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

// The reference reads only x >> shift (the sign survives the shift, and ~x >> s == ~(x >> s)),
// so a table over those bits is exact for all 65,536 inputs.
template <int Shift, std::uint8_t (*Compress)(std::int16_t)>
constexpr auto make_encode_table() {
    std::array<std::uint8_t, (1 << (16 - Shift))> table{};
    for (std::size_t i = 0; i < table.size(); ++i) {
        const auto x = static_cast<std::int16_t>(static_cast<std::uint16_t>(i << Shift));
        table[i] = Compress(x);
    }
    return table;
}

template <std::int16_t (*Expand)(std::uint8_t)>
constexpr auto make_decode_table() {
    std::array<std::int16_t, 256> table{};
    for (std::size_t i = 0; i < table.size(); ++i) table[i] = Expand(static_cast<std::uint8_t>(i));
    return table;
}

constexpr int kUlawShift = 2;
constexpr int kAlawShift = 4;
constexpr auto kUlawEncode = make_encode_table<kUlawShift, ulaw_compress>();
constexpr auto kAlawEncode = make_encode_table<kAlawShift, alaw_compress>();
constexpr auto kUlawDecode = make_decode_table<ulaw_expand>();
constexpr auto kAlawDecode = make_decode_table<alaw_expand>();

template <int Shift, std::size_t N>
void encode_with(const std::array<std::uint8_t, N>& table, const std::int16_t* in, std::uint8_t* out,
                 std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) out[i] = table[static_cast<std::uint16_t>(in[i]) >> Shift];
}

void decode_with(const std::array<std::int16_t, 256>& table, const std::uint8_t* in, std::int16_t* out,
                 std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) out[i] = table[in[i]];
}

}  // namespace

std::uint8_t ulaw_compress_reference(std::int16_t x) noexcept { return ulaw_compress(x); }
std::int16_t ulaw_expand_reference(std::uint8_t code) noexcept { return ulaw_expand(code); }
std::uint8_t alaw_compress_reference(std::int16_t x) noexcept { return alaw_compress(x); }
std::int16_t alaw_expand_reference(std::uint8_t code) noexcept { return alaw_expand(code); }

void ulaw_encode(const std::int16_t* in, std::uint8_t* out, std::size_t n) noexcept {
    encode_with<kUlawShift>(kUlawEncode, in, out, n);
}
void alaw_encode(const std::int16_t* in, std::uint8_t* out, std::size_t n) noexcept {
    encode_with<kAlawShift>(kAlawEncode, in, out, n);
}
void ulaw_decode(const std::uint8_t* in, std::int16_t* out, std::size_t n) noexcept {
    decode_with(kUlawDecode, in, out, n);
}
void alaw_decode(const std::uint8_t* in, std::int16_t* out, std::size_t n) noexcept {
    decode_with(kAlawDecode, in, out, n);
}

}  // namespace siperb::g711
