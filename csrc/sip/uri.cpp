#include "sip/uri.hpp"

#include "sip/text.hpp"

#include <algorithm>

namespace siperb::sip {

namespace {

constexpr bool is_unreserved_c(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == '!' || c == '~' || c == '*' || c == '\'' || c == '(' || c == ')';
}
constexpr bool in(unsigned char c, const char* set) {
    for (; *set; ++set)
        if (static_cast<unsigned char>(*set) == c) return true;
    return false;
}
// Characters allowed (besides %HH escapes) in each URI part (RFC 3261 25.1).
constexpr CharClass kUserChars([](unsigned char c) { return is_unreserved_c(c) || in(c, "&=+$,;?/"); });
constexpr CharClass kPasswordChars([](unsigned char c) { return is_unreserved_c(c) || in(c, "&=+$,"); });
constexpr CharClass kParamChars([](unsigned char c) { return is_unreserved_c(c) || in(c, "[]/:&+$="); });
constexpr CharClass kTelParamChars([](unsigned char c) { return is_unreserved_c(c) || in(c, "[]/:&+$=;"); });
constexpr CharClass kHeaderChars([](unsigned char c) { return is_unreserved_c(c) || in(c, "[]/?:+$=&"); });

// Every octet of s is allowed in the part, or is part of a %HH escape.
void check_chars(std::string_view s, const CharClass& allowed, std::string_view field, const char* part) {
    for (size_t i = allowed.span(s, 0); i < s.size(); ++i) {
        char c = s[i];
        if (allowed(c)) continue;
        if (c == '%' && i + 2 < s.size() && is_hex(s[i + 1]) && is_hex(s[i + 2])) {
            i += 2;
            continue;
        }
        fail(field, std::string("invalid character in URI ") + part + " (0x" + "0123456789abcdef"[(c >> 4) & 15] +
                        "0123456789abcdef"[c & 15] + ")");
    }
}

// h is made of kHostChars already.
bool is_hostname(std::string_view h) { return !h.empty() && h.front() != '.' && h.front() != '-'; }

bool eq_ci(const std::string& a, const std::string& b) { return iequals(a, b); }

}  // namespace

bool is_valid_ipv4(std::string_view s) {
    int parts = 0;
    size_t i = 0;
    while (true) {
        size_t b = i;
        while (i < s.size() && is_digit(s[i])) ++i;
        if (i == b || i - b > 3) return false;
        auto v = parse_uint(s.substr(b, i - b), 255);
        if (!v) return false;
        ++parts;
        if (i == s.size()) break;
        if (s[i] != '.' || parts == 4) return false;
        ++i;
    }
    return parts == 4;
}

bool is_valid_ipv6(std::string_view s) {
    // hexpart [":" IPv4address], at most one "::", 8 groups (an IPv4 tail counts for 2).
    // RFC 5118 4.10: RFC 3261's ABNF let hexpart end in "::" before the ":" of the IPv4 part,
    // so ":::" right before an IPv4 tail is tolerated ("2001:db8:::192.0.2.1"), nowhere else.
    if (s.empty()) return false;
    int groups = 0;
    bool double_colon = false;
    size_t i = 0;
    const auto ipv4_after_extra_colon = [&](size_t at) {
        return at < s.size() && s[at] == ':' && is_valid_ipv4(s.substr(at + 1)) && groups + 2 < 8;
    };
    if (s.substr(0, 2) == "::") {
        double_colon = true;
        i = 2;
        if (i == s.size()) return true;
        if (ipv4_after_extra_colon(i)) return true;
    } else if (s[0] == ':') {
        return false;
    }
    while (i < s.size()) {
        size_t b = i;
        while (i < s.size() && is_hex(s[i])) ++i;
        if (i < s.size() && s[i] == '.') {  // IPv4 tail
            if (!is_valid_ipv4(s.substr(b))) return false;
            groups += 2;
            i = s.size();
            break;
        }
        if (i == b || i - b > 4) return false;
        ++groups;
        if (i == s.size()) break;
        if (s[i] != ':') return false;
        ++i;
        if (i < s.size() && s[i] == ':') {
            if (double_colon) return false;
            double_colon = true;
            ++i;
            if (i == s.size()) break;
            if (s[i] == ':') return ipv4_after_extra_colon(i);
        } else if (i == s.size()) {
            return false;  // trailing single ':'
        }
    }
    return double_colon ? groups < 8 : groups == 8;
}

Uri Uri::parse(std::string_view text, std::string_view field) {
    Uri u;
    u.raw = text;
    if (text.empty()) fail(field, "empty URI");
    size_t colon = 0;
    while (colon < text.size() && (is_alnum(text[colon]) || text[colon] == '+' || text[colon] == '-' ||
                                   text[colon] == '.'))
        ++colon;
    if (colon == 0 || colon == text.size() || text[colon] != ':' || !is_alpha(text[0]))
        fail(field, "URI without a scheme");
    u.scheme = text.substr(0, colon);
    std::string_view rest = text.substr(colon + 1);
    if (rest.empty()) fail(field, "empty URI after scheme");

    if (iequals(u.scheme, "sip"))
        u.kind = UriScheme::Sip;
    else if (iequals(u.scheme, "sips"))
        u.kind = UriScheme::Sips;
    else if (iequals(u.scheme, "tel"))
        u.kind = UriScheme::Tel;
    else
        u.kind = UriScheme::Other;

    if (u.kind == UriScheme::Other) {
        for (char c : rest)
            if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == '"')
                fail(field, "whitespace, control character or delimiter inside URI");
        u.opaque = rest;
        return u;
    }
    if (u.kind == UriScheme::Tel) {
        size_t semi = rest.find(';');
        u.user = rest.substr(0, semi);
        if (u.user.empty()) fail(field, "tel URI without a number");
        for (char c : u.user)
            if (!(is_hex(c) || c == '+' || c == '-' || c == '.' || c == '(' || c == ')' || c == '*' || c == '#'))
                fail(field, "invalid character in tel URI number");
        if (semi != std::string_view::npos) {
            u.params = rest.substr(semi);
            check_chars(u.params.substr(1), kTelParamChars, field, "parameters");
        }
        return u;
    }

    size_t at = rest.find('@');
    std::string_view hostpart = rest;
    if (at != std::string_view::npos) {
        std::string_view userinfo = rest.substr(0, at);
        size_t pc = userinfo.find(':');
        u.user = userinfo.substr(0, pc);
        if (pc != std::string_view::npos) {
            u.has_password = true;
            u.password = userinfo.substr(pc + 1);
            check_chars(u.password, kPasswordChars, field, "password");
        }
        if (u.user.empty()) fail(field, "empty user part before '@'");
        check_chars(u.user, kUserChars, field, "user");
        hostpart = rest.substr(at + 1);
    }
    size_t i = 0;
    if (!hostpart.empty() && hostpart[0] == '[') {
        size_t e = hostpart.find(']');
        if (e == std::string_view::npos) fail(field, "unterminated IPv6 reference");
        if (!is_valid_ipv6(hostpart.substr(1, e - 1))) fail(field, "invalid IPv6 reference");
        i = e + 1;
    } else {
        i = kHostChars.span(hostpart, i);
        if (!is_hostname(hostpart.substr(0, i))) fail(field, "invalid host");
    }
    u.host = hostpart.substr(0, i);
    if (i < hostpart.size() && hostpart[i] == ':') {
        size_t b = ++i;
        while (i < hostpart.size() && is_digit(hostpart[i])) ++i;
        auto port = parse_uint(hostpart.substr(b, i - b), 65535);
        if (!port) fail(field, "invalid port");
        u.port = int32_t(*port);
    }
    if (i < hostpart.size() && hostpart[i] == ';') {
        size_t e = hostpart.find('?', i);
        u.params = hostpart.substr(i, e == std::string_view::npos ? std::string_view::npos : e - i);
        i += u.params.size();
        size_t p = 1;
        while (p <= u.params.size()) {
            size_t n = u.params.find(';', p);
            std::string_view one = u.params.substr(p, n == std::string_view::npos ? std::string_view::npos : n - p);
            if (one.empty() || one[0] == '=') fail(field, "empty URI parameter");
            check_chars(one, kParamChars, field, "parameter");
            if (n == std::string_view::npos) break;
            p = n + 1;
        }
    }
    if (i < hostpart.size() && hostpart[i] == '?') {
        u.headers = hostpart.substr(i + 1);
        if (u.headers.empty()) fail(field, "empty URI headers");
        check_chars(u.headers, kHeaderChars, field, "headers");
        i = hostpart.size();
    }
    if (i != hostpart.size()) fail(field, "unexpected character after host");
    return u;
}

std::string Uri::user_decoded() const { return unescape(user); }
std::string Uri::password_decoded() const { return unescape(password); }
std::string Uri::host_lower() const { return to_lower(host); }
std::string Uri::scheme_lower() const { return to_lower(scheme); }

std::vector<Uri::Param> Uri::param_list() const {
    std::vector<Param> out;
    size_t p = 1;
    while (p <= params.size() && !params.empty()) {
        size_t n = params.find(';', p);
        std::string_view one = params.substr(p, n == std::string_view::npos ? std::string_view::npos : n - p);
        size_t eq = one.find('=');
        if (eq == std::string_view::npos)
            out.push_back({unescape(one), {}, false});
        else
            out.push_back({unescape(one.substr(0, eq)), unescape(one.substr(eq + 1)), true});
        if (n == std::string_view::npos) break;
        p = n + 1;
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> Uri::header_list() const {
    std::vector<std::pair<std::string, std::string>> out;
    size_t p = 0;
    while (p < headers.size()) {
        size_t n = headers.find('&', p);
        std::string_view one = headers.substr(p, n == std::string_view::npos ? std::string_view::npos : n - p);
        size_t eq = one.find('=');
        if (eq == std::string_view::npos)
            out.emplace_back(unescape(one), std::string());
        else
            out.emplace_back(unescape(one.substr(0, eq)), unescape(one.substr(eq + 1)));
        if (n == std::string_view::npos) break;
        p = n + 1;
    }
    return out;
}

std::optional<std::string> Uri::param(std::string_view name) const {
    size_t p = 1;
    while (p <= params.size() && !params.empty()) {
        size_t n = params.find(';', p);
        std::string_view one = params.substr(p, n == std::string_view::npos ? std::string_view::npos : n - p);
        size_t eq = one.find('=');
        std::string_view pn = one.substr(0, eq);
        if (iequals(pn, name) || (has_escape(pn) && iequals(unescape(pn), name)))
            return eq == std::string_view::npos ? std::string() : unescape(one.substr(eq + 1));
        if (n == std::string_view::npos) break;
        p = n + 1;
    }
    return std::nullopt;
}

bool Uri::has_param(std::string_view name) const { return param(name).has_value(); }

namespace {
std::string tel_digits(std::string_view s) {
    std::string out;
    for (char c : s)
        if (c != '-' && c != '.' && c != '(' && c != ')') out.push_back(lower(c));
    return out;
}
}  // namespace

std::string uri_equality_key(const Uri& u) {
    std::string key(1, char('0' + int(u.kind)));
    key += '|';
    if (u.kind == UriScheme::Other) {
        for (char c : u.scheme) key.push_back(lower(c));
        return key + '|' + unescape(u.opaque);
    }
    if (u.kind == UriScheme::Tel) return key + tel_digits(u.user);
    return key + u.user_decoded() + '|' + u.host_lower() + '|' + std::to_string(u.port);
}

bool uri_equal(const Uri& a, const Uri& b) {
    if (a.kind != b.kind) return false;
    if (a.kind == UriScheme::Other)
        return iequals(a.scheme, b.scheme) && unescape(a.opaque) == unescape(b.opaque);
    if (a.kind == UriScheme::Tel) {
        if (tel_digits(a.user) != tel_digits(b.user)) return false;
    } else {
        if (a.user_decoded() != b.user_decoded()) return false;
        if (a.has_password != b.has_password || a.password_decoded() != b.password_decoded()) return false;
        if (!iequals(a.host, b.host)) return false;
        if (a.port != b.port) return false;
    }
    // Parameters: user, ttl, method, maddr, transport must match if present in either; any
    // other parameter is compared only when present in both.
    auto pa = a.param_list();
    auto pb = b.param_list();
    auto find = [](const std::vector<Uri::Param>& v, const std::string& n) -> const Uri::Param* {
        for (const auto& p : v)
            if (eq_ci(p.name, n)) return &p;
        return nullptr;
    };
    static const char* const kMustMatch[] = {"user", "ttl", "method", "maddr", "transport"};
    for (const char* n : kMustMatch) {
        const auto* x = find(pa, n);
        const auto* y = find(pb, n);
        if ((x == nullptr) != (y == nullptr)) return false;
        if (x && !eq_ci(x->value, y->value)) return false;
    }
    for (const auto& x : pa) {
        const auto* y = find(pb, x.name);
        if (y && (x.has_value != y->has_value || !eq_ci(x.value, y->value))) return false;
    }
    if (a.kind == UriScheme::Tel) {
        for (const auto& y : pb)
            if (!find(pa, y.name)) return false;
        for (const auto& x : pa)
            if (!find(pb, x.name)) return false;
    }
    // Headers: all must match, in any order.
    auto ha = a.header_list();
    auto hb = b.header_list();
    if (ha.size() != hb.size()) return false;
    for (const auto& x : ha) {
        bool found = std::any_of(hb.begin(), hb.end(),
                                 [&](const auto& h) { return eq_ci(h.first, x.first) && h.second == x.second; });
        if (!found) return false;
    }
    return true;
}

}  // namespace siperb::sip
