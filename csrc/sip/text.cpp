#include "sip/text.hpp"

#include "common/error.hpp"
#include "sip/scan.hpp"

namespace siperb::sip {

namespace {
int hex_value(char c) {
    if (is_digit(c)) return c - '0';
    return lower(c) - 'a' + 10;
}
}  // namespace

void fail(std::string_view field, std::string reason) {
    throw SipParseError(std::string(field), std::move(reason));
}

std::string to_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = lower(c);
    return out;
}

bool is_token(std::string_view s) { return !s.empty() && kTokenChars.all(s); }

std::optional<uint64_t> parse_uint(std::string_view s, uint64_t max) {
    if (s.empty() || s.size() > 20) return std::nullopt;
    uint64_t v = 0;
    if (s.size() <= 19) {  // below 10^19 < 2^64: no overflow, one comparison at the end
        for (char c : s) {
            if (!is_digit(c)) return std::nullopt;
            v = v * 10 + uint64_t(c - '0');
        }
        if (v > max) return std::nullopt;
        return v;
    }
    for (char c : s) {
        if (!is_digit(c)) return std::nullopt;
        uint64_t d = uint64_t(c - '0');
        if (v > (max - d) / 10) return std::nullopt;
        v = v * 10 + d;
    }
    return v;
}

int32_t parse_port(std::string_view s, std::string_view field) {
    auto v = parse_uint(s, 65535);
    if (!v) fail(field, std::string("invalid port ").append(s));
    return int32_t(*v);
}

size_t quoted_length(std::string_view s) {
    if (s.empty() || s[0] != '"') return 0;
    for (size_t i = find_either(s.data(), 1, s.size(), '"', '\\'); i < s.size();
         i = find_either(s.data(), i, s.size(), '"', '\\')) {
        if (s[i] == '"') return i + 1;
        i += 2;  // quoted-pair: any octet except CR/LF follows the backslash
    }
    return 0;
}

std::string unquote(std::string_view q) {
    std::string out;
    if (q.size() < 2) return out;
    q = q.substr(1, q.size() - 2);
    out.reserve(q.size());
    for (size_t i = 0; i < q.size(); ++i) {
        if (q[i] == '\\' && i + 1 < q.size()) ++i;
        out.push_back(q[i]);
    }
    return out;
}

std::string unquote_if_quoted(std::string_view s) {
    if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return unquote(s);
    return std::string(s);
}

bool has_escape(std::string_view s) { return s.find('%') != std::string_view::npos; }

std::string unescape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && is_hex(s[i + 1]) && is_hex(s[i + 2])) {
            out.push_back(char(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
            i += 2;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

size_t find_top_level(std::string_view s, char sep, size_t start, std::string_view field) {
    size_t i = start;
    while (i < s.size()) {
        char c = s[i];
        if (c == sep) return i;
        if (c == '"') {
            size_t n = quoted_length(s.substr(i));
            if (n == 0) fail(field, "unterminated quoted string");
            i += n;
            continue;
        }
        if (c == '<') {
            size_t e = s.find('>', i + 1);
            if (e == std::string_view::npos) fail(field, "unterminated '<'");
            i = e + 1;
            continue;
        }
        ++i;
    }
    return std::string_view::npos;
}

bool CommaList::next(std::string_view& out) {
    if (pos_ == 0 && !done_ && v_.find(',') == std::string_view::npos) {
        done_ = true;  // one element; its own parser checks quotes and brackets
        out = trim(v_);
        return !out.empty();
    }
    while (!done_) {
        size_t e = find_top_level(v_, ',', pos_, field_);
        std::string_view item;
        if (e == std::string_view::npos) {
            item = v_.substr(pos_);
            done_ = true;
        } else {
            item = v_.substr(pos_, e - pos_);
            pos_ = e + 1;
        }
        item = trim(item);
        if (!item.empty()) {
            out = item;
            return true;
        }
    }
    return false;
}

bool ParamList::next(Param& out) {
    size_t i = pos_;
    while (i < s_.size() && is_wsp(s_[i])) ++i;
    if (i >= s_.size()) {
        pos_ = i;
        return false;
    }
    if (s_[i] != ';') fail(field_, "expected ';' before parameter");
    ++i;
    while (i < s_.size() && is_wsp(s_[i])) ++i;
    size_t nb = i;
    i = kTokenChars.span(s_, i);
    if (i == nb) fail(field_, "empty parameter");
    out.name = s_.substr(nb, i - nb);
    out.value = {};
    out.has_value = false;
    while (i < s_.size() && is_wsp(s_[i])) ++i;
    if (i < s_.size() && s_[i] == '=') {
        ++i;
        while (i < s_.size() && is_wsp(s_[i])) ++i;
        size_t vb = i;
        if (i < s_.size() && s_[i] == '"') {
            size_t n = quoted_length(s_.substr(i));
            if (n == 0) fail(field_, "unterminated quoted string in parameter '" + std::string(out.name) + "'");
            i += n;
        } else if (i < s_.size() && s_[i] == '[') {
            size_t e = s_.find(']', i);
            if (e == std::string_view::npos) fail(field_, "unterminated '[' in parameter");
            i = e + 1;
        } else {
            i = kParamValueChars.span(s_, i);
        }
        if (i == vb) fail(field_, "empty value of parameter '" + std::string(out.name) + "'");
        out.value = s_.substr(vb, i - vb);
        out.has_value = true;
        while (i < s_.size() && is_wsp(s_[i])) ++i;
    }
    if (i < s_.size() && s_[i] != ';')
        fail(field_, "unexpected character '" + std::string(1, s_[i]) + "' in parameters");
    pos_ = i;
    return true;
}

std::optional<Param> ParamList::find(std::string_view s, std::string_view name, std::string_view field) {
    ParamList pl(s, field);
    Param p;
    while (pl.next(p))
        if (iequals(p.name, name)) return p;
    return std::nullopt;
}

}  // namespace siperb::sip
