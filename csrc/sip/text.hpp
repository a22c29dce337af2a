// Lexical helpers of the RFC 3261 grammar (section 25): character classes, LWS trimming,
// quoted strings, %HH escapes, bounded integers and top-level comma splitting. All views, no
// allocation unless a decoded copy is asked for.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace siperb::sip {

constexpr bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }
inline bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
inline bool is_wsp(char c) { return c == ' ' || c == '\t'; }
// A 256-entry character class, built at compile time from a predicate.
struct CharClass {
    bool t[256];
    template <class Pred>
    constexpr explicit CharClass(Pred p) : t() {
        for (int i = 0; i < 256; ++i) t[i] = p(static_cast<unsigned char>(i));
    }
    constexpr bool operator()(char c) const { return t[static_cast<unsigned char>(c)]; }
    // The end of the run of class members in s starting at i: four octets per step while they
    // all belong (the hot loops of the parser scan runs of tens of octets).
    size_t span(std::string_view s, size_t i) const {
        const size_t n = s.size();
        const auto* p = reinterpret_cast<const unsigned char*>(s.data());
        while (i + 4 <= n && (t[p[i]] & t[p[i + 1]] & t[p[i + 2]] & t[p[i + 3]])) i += 4;
        while (i < n && t[p[i]]) ++i;
        return i;
    }
    bool all(std::string_view s) const { return span(s, 0) == s.size(); }
};

// token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
inline constexpr CharClass kTokenChars([](unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '!' || c == '%' || c == '*' || c == '_' || c == '+' || c == '`' || c == '\'' || c == '~';
});
inline bool is_token_char(char c) { return kTokenChars(c); }
bool is_token(std::string_view s);

// word (RFC 3261 25.1, used by Call-ID): token characters plus ( ) < > : \ " / [ ] ? { }
inline constexpr CharClass kWordChars([](unsigned char c) {
    return kTokenChars(char(c)) || c == '(' || c == ')' || c == '<' || c == '>' || c == ':' || c == '\\' ||
           c == '"' || c == '/' || c == '[' || c == ']' || c == '?' || c == '{' || c == '}';
});
inline bool is_word_char(char c) { return kWordChars(c); }

// hostname and IPv4 characters (RFC 3261 25.1, plus '_' as real hosts use it).
inline constexpr CharClass kHostChars([](unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_';
});

// An unquoted generic-param value: token characters plus the ':' '[' ']' '/' of host values.
inline constexpr CharClass kParamValueChars([](unsigned char c) {
    return kTokenChars(char(c)) || c == ':' || c == '[' || c == ']' || c == '/';
});

inline size_t skip_ws(std::string_view s, size_t i) {
    while (i < s.size() && is_wsp(s[i])) ++i;
    return i;
}
inline size_t scan_token(std::string_view s, size_t i) { return kTokenChars.span(s, i); }

constexpr char lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c + 32) : c; }
inline bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (a[i] != b[i] && lower(a[i]) != lower(b[i])) return false;
    return true;
}

// ASCII lower-case copy (scheme names, parameter names, tokens).
std::string to_lower(std::string_view s);

// Strip spaces and tabs (folding was already turned into spaces by the message parser).
inline std::string_view ltrim(std::string_view s) {
    size_t b = 0;
    while (b < s.size() && is_wsp(s[b])) ++b;
    return s.substr(b);
}
inline std::string_view trim(std::string_view s) {
    s = ltrim(s);
    size_t e = s.size();
    while (e > 0 && is_wsp(s[e - 1])) --e;
    return s.substr(0, e);
}

// Decimal integer with an upper bound; nullopt on anything else (sign, junk, overflow).
std::optional<uint64_t> parse_uint(std::string_view s, uint64_t max);
// A port number 0-65535, or SipParseError(field, ...).
int32_t parse_port(std::string_view s, std::string_view field);

// A quoted-string starting at s[0] == '"': returns its length including both quotes, or 0 if
// unterminated. quoted-pair "\x" is skipped over.
size_t quoted_length(std::string_view s);
// Contents of a quoted string with quoted-pairs resolved; s is given with its quotes.
std::string unquote(std::string_view quoted);
// A value that may be a quoted string: unquoted copy if quoted, else itself.
std::string unquote_if_quoted(std::string_view s);
// %HH decoding, done once; malformed escapes are kept literally (RFC 4475 esc02).
std::string unescape(std::string_view s);
bool has_escape(std::string_view s);

// Position of the next top-level occurrence of sep (outside quotes and <...>) at or after
// start, or npos. Throws SipParseError(field, ...) on an unterminated quote or '<'.
size_t find_top_level(std::string_view s, char sep, size_t start, std::string_view field);

// Iterates the comma-separated elements of a list header value. Empty elements (",,") are
// skipped, as RFC 7230-style list rules allow, except that the caller sees them if strict.
class CommaList {
public:
    CommaList(std::string_view value, std::string_view field) : v_(value), field_(field) {}
    // Next element (trimmed); false at the end.
    bool next(std::string_view& out);

private:
    std::string_view v_;
    std::string_view field_;
    size_t pos_ = 0;
    bool done_ = false;
};

// Iterates ";name[=value]" parameters (generic-param), LWS allowed around ';' and '='.
// The value may be a token, a quoted string or a bracketed IPv6 reference. Throws on an empty
// parameter (";;"), a missing name or a bad value.
struct Param {
    std::string_view name;
    std::string_view value;  // raw (still quoted if it was)
    bool has_value = false;
};
class ParamList {
public:
    // s starts at the first ';' (or is empty).
    ParamList(std::string_view s, std::string_view field) : s_(s), field_(field) {}
    bool next(Param& out);
    // Find a parameter by case-insensitive name.
    static std::optional<Param> find(std::string_view s, std::string_view name, std::string_view field);

private:
    std::string_view s_;
    std::string_view field_;
    size_t pos_ = 0;
};

[[noreturn]] void fail(std::string_view field, std::string reason);

}  // namespace siperb::sip
