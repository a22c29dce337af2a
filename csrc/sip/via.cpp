// Via (RFC 3261 20.42): sent-protocol, sent-by and the via-params.
#include "sip/headers.hpp"

#include "sip/text.hpp"

namespace siperb::sip {

std::string Via::sent_protocol() const { return std::string(protocol).append("/").append(version); }
std::string Via::received_address() const { return unquote_if_quoted(received); }

Via parse_via(std::string_view s, std::string_view field) {
    Via v;
    v.raw = s;
    // sent-protocol = protocol-name SLASH protocol-version SLASH transport (LWS around SLASH)
    size_t i = 0;
    auto part = [&](std::string_view& out, bool slash_before, const char* what) {
        i = skip_ws(s, i);
        if (slash_before) {
            if (i >= s.size() || s[i] != '/') fail(field, "malformed sent-protocol");
            i = skip_ws(s, i + 1);
        }
        size_t b = i;
        i = scan_token(s, i);
        if (i == b) fail(field, std::string("missing ") + what);
        out = s.substr(b, i - b);
    };
    part(v.protocol, false, "sent-protocol");
    part(v.version, true, "protocol version");
    part(v.transport, true, "transport");
    size_t ws = skip_ws(s, i);
    if (ws == i) fail(field, "missing LWS before sent-by");
    i = ws;
    size_t b = i;
    if (i < s.size() && s[i] == '[') {
        size_t e = s.find(']', i);
        if (e == std::string_view::npos || !is_valid_ipv6(s.substr(i + 1, e - i - 1)))
            fail(field, "invalid IPv6 reference in sent-by");
        i = e + 1;
    } else {
        i = kHostChars.span(s, i);
    }
    if (i == b) fail(field, "missing sent-by host");
    v.host = s.substr(b, i - b);
    i = skip_ws(s, i);
    if (i < s.size() && s[i] == ':') {
        i = skip_ws(s, i + 1);
        b = i;
        while (i < s.size() && is_digit(s[i])) ++i;
        v.port = parse_port(s.substr(b, i - b), field);
        i = skip_ws(s, i);
    }
    v.params = s.substr(i);
    ParamList pl(v.params, field);
    Param p;
    while (pl.next(p)) {
        if (iequals(p.name, "branch")) {
            if (!p.has_value) fail(field, "branch without value");
            v.branch = p.value;
            v.has_branch = true;
        } else if (iequals(p.name, "received")) {
            if (!p.has_value) fail(field, "received without value");
            v.received = p.value;
            v.has_received = true;
        } else if (iequals(p.name, "rport")) {
            v.has_rport = true;
            if (p.has_value) v.rport = parse_port(p.value, field);
        } else if (iequals(p.name, "maddr")) {
            if (!p.has_value) fail(field, "maddr without value");
            v.maddr = p.value;
            v.has_maddr = true;
        } else if (iequals(p.name, "ttl")) {
            auto t = p.has_value ? parse_uint(p.value, 255) : std::nullopt;
            if (!t) fail(field, "ttl must be 0-255");
            v.ttl = int32_t(*t);
        }
    }
    return v;
}

void parse_via_list(std::string_view value, std::string_view field, std::vector<Via>& out) {
    CommaList cl(value, field);
    std::string_view item;
    bool any = false;
    while (cl.next(item)) {
        out.push_back(parse_via(item, field));
        any = true;
    }
    if (!any) fail(field, "empty Via");
}

}  // namespace siperb::sip
