// name-addr / addr-spec with header parameters (From, To, Contact, Route, Refer-To, ...).
#include "sip/headers.hpp"

#include "sip/text.hpp"

namespace siperb::sip {

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
