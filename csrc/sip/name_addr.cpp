// name-addr / addr-spec with header parameters (From, To, Contact, Route, Refer-To, ...).
#include "sip/headers.hpp"

#include "sip/text.hpp"

#include <charconv>
#include <cstdlib>
#include <string>
#include <system_error>

namespace siperb::sip {

namespace {

// The number of a q parameter. The decimal spellings are read with from_chars, without a copy;
// the few that it refuses but strtod takes (a leading '+', hex floats, exponents out of range)
// go through strtod on a copy, so the accepted set is exactly the one of the C library.
std::optional<double> q_number(std::string_view s) {
    if (s.empty()) return std::nullopt;
    double v = 0;
    const char* const end = s.data() + s.size();
    auto [stop, ec] = std::from_chars(s.data(), end, v);
    if (ec == std::errc() && stop == end) return v;
    const std::string copy(s);
    char* copy_stop = nullptr;
    v = std::strtod(copy.c_str(), &copy_stop);
    if (copy_stop != copy.c_str() + copy.size()) return std::nullopt;
    return v;
}

}  // namespace

std::optional<uint32_t> NameAddr::expires() const {
    auto p = ParamList::find(params, "expires", "Contact");
    if (!p) return std::nullopt;
    auto v = parse_uint(p->value, 0xFFFFFFFFull);
    if (!v) fail("Contact", "expires parameter must be a number");
    return uint32_t(*v);
}

std::optional<double> NameAddr::q() const {
    auto p = ParamList::find(params, "q", "Contact");
    if (!p) return std::nullopt;
    auto v = q_number(p->value);
    if (!v || *v < 0 || *v > 1) fail("Contact", "q parameter must be 0-1");
    return v;
}

std::string NameAddr::display_name() const {
    if (display.empty()) return {};
    if (display.front() == '"') return unquote(display);
    std::string out;
    bool space = false;
    for (char c : display) {
        if (is_wsp(c)) {
            space = true;
            continue;
        }
        if (space && !out.empty()) out.push_back(' ');
        space = false;
        out.push_back(c);
    }
    return out;
}

NameAddr parse_name_addr(std::string_view value, std::string_view field) {
    NameAddr na;
    std::string_view s = trim(value);
    na.raw = s;
    if (s.empty()) fail(field, "empty value");
    size_t i = 0;
    size_t laquot = std::string_view::npos;
    if (s[0] == '"') {
        size_t n = quoted_length(s);
        if (n == 0) fail(field, "unterminated quoted display name");
        na.display = s.substr(0, n);
        i = skip_ws(s, n);
        if (i >= s.size() || s[i] != '<') fail(field, "quoted display name not followed by '<'");
        laquot = i;
    } else {
        size_t lt = s.find('<');
        if (lt != std::string_view::npos) {
            std::string_view disp = trim(s.substr(0, lt));
            for (char c : disp)
                if (!is_token_char(c) && !is_wsp(c))
                    fail(field, "invalid character in unquoted display name (use a quoted string)");
            na.display = disp;
            laquot = lt;
        }
    }
    std::string_view rest;
    if (laquot != std::string_view::npos) {
        size_t gt = s.find('>', laquot);
        if (gt == std::string_view::npos) fail(field, "unterminated '<'");
        na.angle = true;
        std::string_view inner = s.substr(laquot + 1, gt - laquot - 1);
        if (!inner.empty() && (is_wsp(inner.front()) || is_wsp(inner.back())))
            fail(field, "whitespace inside '<' '>' around the URI");
        na.uri = Uri::parse(inner, field);
        rest = s.substr(gt + 1);
    } else {
        size_t semi = s.find(';');
        std::string_view spec = trim(s.substr(0, semi));
        if (spec.find_first_of(",?") != std::string_view::npos)
            fail(field, "a URI with ',' or '?' must be enclosed in '<' '>'");
        na.uri = Uri::parse(spec, field);
        rest = semi == std::string_view::npos ? std::string_view() : s.substr(semi);
    }
    na.params = trim(rest);
    ParamList pl(na.params, field);
    Param p;
    while (pl.next(p)) {
        if (iequals(p.name, "tag")) {
            if (!p.has_value) fail(field, "tag without value");
            na.tag = p.value;
            na.has_tag = true;
        }
    }
    return na;
}

void parse_name_addr_list(std::string_view value, std::string_view field, std::vector<NameAddr>& out) {
    CommaList cl(value, field);
    std::string_view item;
    while (cl.next(item)) out.push_back(parse_name_addr(item, field));
}

}  // namespace siperb::sip
