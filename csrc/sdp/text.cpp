#include "sdp/text.hpp"

#include "common/error.hpp"

namespace siperb::sdp::text {

namespace {
bool is_ws(char c) noexcept { return c == ' ' || c == '\t'; }
}  // namespace

std::vector<std::string_view> split_ws(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && is_ws(s[i])) ++i;
        std::size_t start = i;
        while (i < s.size() && !is_ws(s[i])) ++i;
        if (i > start) out.push_back(s.substr(start, i - start));
    }
    return out;
}

std::pair<std::string_view, std::string_view> split_first(std::string_view s) {
    s = trim(s);
    std::size_t i = 0;
    while (i < s.size() && !is_ws(s[i])) ++i;
    return {s.substr(0, i), trim(s.substr(i))};
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && is_ws(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_ws(s.back())) s.remove_suffix(1);
    return s;
}

std::uint64_t to_uint(std::string_view s, std::uint64_t max, const std::string& field,
                      const char* what) {
    if (s.empty()) throw SdpParseError(field, std::string(what) + " is missing");
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9')
            throw SdpParseError(field, std::string(what) + " '" + std::string(s) +
                                           "' is not a number");
        unsigned d = static_cast<unsigned>(c - '0');
        if (d > max || v > (max - d) / 10)
            throw SdpParseError(field, std::string(what) + " '" + std::string(s) +
                                           "' is out of range (max " + std::to_string(max) + ")");
        v = v * 10 + d;
    }
    return v;
}

bool is_token(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f) return false;
    }
    return true;
}

bool valid_utf8(std::string_view s) noexcept {
    std::size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t n;
        std::uint32_t cp;
        if ((c & 0xE0) == 0xC0) n = 1, cp = c & 0x1F;
        else if ((c & 0xF0) == 0xE0) n = 2, cp = c & 0x0F;
        else if ((c & 0xF8) == 0xF0) n = 3, cp = c & 0x07;
        else return false;
        if (s.size() - i <= n) return false;
        for (std::size_t k = 1; k <= n; ++k) {
            auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
        if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += n + 1;
    }
    return true;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

void check_line_safe(std::string_view s, const char* field) {
    if (s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos)
        throw SdpParseError(field, "value contains a line break or NUL");
}

}  // namespace siperb::sdp::text
