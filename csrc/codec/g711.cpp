// G.711 tables built at compile time from a transcription of the G.191 STL algorithm.
#include "codec/g711.hpp"

#include <array>

#include "codec/g711_reference.hpp"

namespace siperb::g711 {
namespace {

using reference::alaw_compress;
using reference::alaw_expand;
using reference::ulaw_compress;
using reference::ulaw_expand;

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
