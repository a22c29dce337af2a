#include "common/error.hpp"

#include <cstddef>
#include <string_view>

namespace siperb {

namespace {

// Length of the well-formed UTF-8 sequence starting at s[i] (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), or 0 if there is none.
std::size_t utf8_sequence(std::string_view s, std::size_t i) noexcept {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = byte(i);
    if (c < 0x80) return 1;
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the range of the second octet
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c == 0xE0) n = 3, lo = 0xA0;
    else if (c >= 0xE1 && c <= 0xEC) n = 3;
    else if (c == 0xED) n = 3, hi = 0x9F;
    else if (c >= 0xEE && c <= 0xEF) n = 3;
    else if (c == 0xF0) n = 4, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) n = 4;
    else if (c == 0xF4) n = 4, hi = 0x8F;
    else return 0;
    if (i + n > s.size()) return 0;
    if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
    for (std::size_t k = 2; k < n; ++k)
        if ((byte(i + k) & 0xC0) != 0x80) return 0;
    return n;
}

bool is_control(unsigned char c) noexcept { return (c < 0x20 && c != '\t') || c == 0x7F; }

}  // namespace

std::string printable_utf8(std::string text) {
    const std::string_view s = text;
    std::size_t i = 0;
    for (std::size_t n; i < s.size(); i += n) {
        n = utf8_sequence(s, i);
        if (n == 0 || (n == 1 && is_control(static_cast<unsigned char>(s[i])))) break;
    }
    if (i == s.size()) return text;  // the usual case: nothing to escape
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out(s.substr(0, i));
    while (i < s.size()) {
        const std::size_t n = utf8_sequence(s, i);
        const auto c = static_cast<unsigned char>(s[i]);
        if (n == 0 || (n == 1 && is_control(c))) {
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 15];
            ++i;
        } else {
            out.append(s.substr(i, n));
            i += n;
        }
    }
    return out;
}

}  // namespace siperb
