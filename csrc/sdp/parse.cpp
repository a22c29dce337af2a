// RFC 8866 parser: tolerant of LF-only endings, trailing whitespace and doubled spaces;
// strict about structure, numbers, and the attributes it types.
#include <arpa/inet.h>

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "common/error.hpp"
#include "sdp/attributes.hpp"
#include "sdp/session.hpp"
#include "sdp/text.hpp"

namespace siperb::sdp {

namespace {

using text::split_ws;
using text::to_uint;

[[noreturn]] void fail(std::string field, std::string reason) {
    throw SdpParseError(std::move(field), std::move(reason));
}

template <class T>
void set_once(std::optional<T>& slot, T value, const std::string& field) {
    if (slot) fail(field, "appears more than once");
    slot = std::move(value);
}

bool all_of_chars(std::string_view s, std::string_view allowed) {
    return s.find_first_not_of(allowed) == std::string_view::npos;
}

void check_address(std::string_view addrtype, std::string_view addr, const char* field) {
    unsigned char buf[16];
    std::string a(addr);
    if (addrtype == "IP4" && all_of_chars(addr, "0123456789.")) {
        if (inet_pton(AF_INET, a.c_str(), buf) != 1) fail(field, "'" + a + "' is not an IPv4 address");
    } else if (addrtype == "IP6" && addr.find(':') != std::string_view::npos) {
        if (inet_pton(AF_INET6, a.c_str(), buf) != 1) fail(field, "'" + a + "' is not an IPv6 address");
    } else if (!text::is_token(addr)) {
        fail(field, "bad address");
    }
}

Connection parse_connection(std::string_view v) {
    auto f = split_ws(v);
    if (f.size() != 3) fail("c", "expected '<nettype> <addrtype> <address>'");
    Connection c{std::string(f[0]), std::string(f[1]), {}, {}, {}};
    std::string_view addr = f[2];
    auto s1 = addr.find('/');
    c.address = std::string(addr.substr(0, s1));
    if (s1 != std::string_view::npos) {
        std::string_view rest = addr.substr(s1 + 1);
        auto s2 = rest.find('/');
        if (c.addrtype == "IP6") {
            if (s2 != std::string_view::npos) fail("c", "IPv6 multicast takes only /<count>");
            c.count = static_cast<unsigned>(to_uint(rest, 65535, "c", "address count"));
        } else {
            c.ttl = static_cast<unsigned>(to_uint(rest.substr(0, s2), 255, "c", "TTL"));
            if (s2 != std::string_view::npos)
                c.count = static_cast<unsigned>(to_uint(rest.substr(s2 + 1), 65535, "c", "address count"));
        }
        if (c.count && *c.count == 0) fail("c", "address count must not be 0");
    }
    check_address(c.addrtype, c.address, "c");
    return c;
}

Origin parse_origin(std::string_view v) {
    auto f = split_ws(v);
    if (f.size() != 6)
        fail("o", "expected '<username> <sess-id> <sess-version> <nettype> <addrtype> <address>'");
    Origin o;
    o.username = std::string(f[0]);
    o.session_id = to_uint(f[1], UINT64_MAX, "o", "sess-id");
    o.session_version = to_uint(f[2], UINT64_MAX, "o", "sess-version");
    o.nettype = std::string(f[3]);
    o.addrtype = std::string(f[4]);
    o.address = std::string(f[5]);
    check_address(o.addrtype, o.address, "o");
    return o;
}

Bandwidth parse_bandwidth(std::string_view v) {
    auto colon = v.find(':');
    if (colon == std::string_view::npos || colon == 0) fail("b", "expected '<bwtype>:<bandwidth>'");
    std::string type(v.substr(0, colon));
    if (!text::is_token(type)) fail("b", "bad bandwidth type");
    return Bandwidth{type, to_uint(v.substr(colon + 1), UINT64_MAX, "b", "bandwidth")};
}

Timing parse_timing(std::string_view v) {
    auto f = split_ws(v);
    if (f.size() != 2) fail("t", "expected '<start-time> <stop-time>'");
    return Timing{to_uint(f[0], UINT64_MAX, "t", "start time"), to_uint(f[1], UINT64_MAX, "t", "stop time"), {}};
}

Media parse_media_line(std::string_view v) {
    auto f = split_ws(v);
    if (f.size() < 3) fail("m", "expected '<media> <port>[/<count>] <proto> <fmt>...'");
    Media m;
    m.kind = std::string(f[0]);
    std::string_view port = f[1];
    auto slash = port.find('/');
    m.port = static_cast<std::uint16_t>(to_uint(port.substr(0, slash), 65535, "m", "port"));
    if (slash != std::string_view::npos) {
        m.port_count = static_cast<unsigned>(to_uint(port.substr(slash + 1), 65535, "m", "port count"));
        if (*m.port_count == 0) fail("m", "port count must not be 0");
    }
    m.proto = std::string(f[2]);
    for (std::size_t i = 3; i < f.size(); ++i) m.formats.emplace_back(f[i]);
    if (m.formats.empty() && m.port != 0) fail("m", "no media formats");
    if (m.is_rtp())
        for (const auto& fmt : m.formats) {
            to_uint(fmt, 127, "m", "payload type");
            if (fmt.size() > 1 && fmt[0] == '0') fail("m", "payload type '" + fmt + "' has a leading zero");
        }
    std::unordered_set<std::string_view> seen;
    for (const auto& fmt : m.formats)
        if (!seen.insert(fmt).second) fail("m", "format " + fmt + " is listed twice");
    return m;
}

struct AttrLine {
    std::string_view name;
    std::optional<std::string_view> value;
    std::string field;  // "a=<name>"
    std::string_view need() const {
        if (!value) fail(field, "missing value");
        return *value;
    }
    void no_value() const {
        if (value) fail(field, "takes no value");
    }
};

// Attributes typed at both levels; returns false if `a` is not one of them.
template <class Level>
bool common_attr(Level& l, const AttrLine& a) {
    if (auto d = direction_from(a.name)) {
        a.no_value();
        if (l.direction) fail(a.field, "more than one direction attribute");
        l.direction = d;
    } else if (a.name == "ice-ufrag") {
        set_once(l.ice_ufrag, attr::parse_ice_chars(a.need(), "a=ice-ufrag"), a.field);
    } else if (a.name == "ice-pwd") {
        set_once(l.ice_pwd, attr::parse_ice_chars(a.need(), "a=ice-pwd"), a.field);
    } else if (a.name == "ice-options") {
        for (auto o : split_ws(a.need())) l.ice_options.emplace_back(o);
    } else if (a.name == "fingerprint") {
        l.fingerprints.push_back(attr::parse_fingerprint(a.need()));
    } else if (a.name == "setup") {
        set_once(l.setup, attr::parse_setup(a.need()), a.field);
    } else if (a.name == "ice-lite") {
        a.no_value();
        l.ice_lite = true;
    } else if (a.name == "end-of-candidates") {
        a.no_value();
        l.end_of_candidates = true;
    } else {
        return false;
    }
    return true;
}

void session_attr(Session& s, const AttrLine& a) {
    if (common_attr(s, a)) return;
    if (a.name == "group")
        s.groups.push_back(attr::parse_group(a.need()));
    else
        s.attributes.push_back(Attribute{std::string(a.name), a.value ? std::optional<std::string>(*a.value) : std::nullopt});
}

void media_attr(Media& m, const AttrLine& a) {
    if (common_attr(m, a)) return;
    if (a.name == "rtpmap") {
        auto r = attr::parse_rtpmap(a.need());
        if (m.rtpmap_for(r.payload_type)) fail(a.field, "payload type " + std::to_string(r.payload_type) + " mapped twice");
        m.rtpmaps.push_back(std::move(r));
    } else if (a.name == "fmtp") {
        m.fmtps.push_back(attr::parse_fmtp(a.need()));
    } else if (a.name == "ptime") {
        set_once(m.ptime, attr::parse_ms(a.need(), "a=ptime"), a.field);
    } else if (a.name == "maxptime") {
        set_once(m.maxptime, attr::parse_ms(a.need(), "a=maxptime"), a.field);
    } else if (a.name == "rtcp") {
        set_once(m.rtcp, attr::parse_rtcp(a.need()), a.field);
    } else if (a.name == "rtcp-mux") {
        a.no_value();
        m.rtcp_mux = true;
    } else if (a.name == "mid") {
        set_once(m.mid, attr::parse_nonempty(a.need(), "a=mid"), a.field);
    } else if (a.name == "crypto") {
        auto c = attr::parse_crypto(a.need());
        for (const auto& x : m.crypto)
            if (x.tag == c.tag) fail(a.field, "tag " + std::to_string(c.tag) + " used twice");
        m.crypto.push_back(std::move(c));
    } else if (a.name == "candidate") {
        m.candidates.push_back(attr::parse_candidate(a.need()));
    } else if (a.name == "ssrc") {
        m.ssrcs.push_back(attr::parse_ssrc(a.need()));
    } else if (a.name == "extmap") {
        m.extmaps.push_back(attr::parse_extmap(a.need()));
    } else if (a.name == "msid") {
        m.msids.push_back(attr::parse_msid(a.need()));
    } else {
        m.attributes.push_back(Attribute{std::string(a.name), a.value ? std::optional<std::string>(*a.value) : std::nullopt});
    }
}

AttrLine split_attr(std::string_view v) {
    auto colon = v.find(':');
    AttrLine a;
    a.name = v.substr(0, colon);
    if (colon != std::string_view::npos) a.value = v.substr(colon + 1);
    if (!text::is_token(a.name) || a.name.find(':') != std::string_view::npos)
        fail("a", "bad attribute name '" + std::string(a.name) + "'");
    a.field = "a=" + std::string(a.name);
    return a;
}

// Cross-checks inside one m= section, once all its lines are read.
void finish_media(Media& m, const Session& s, std::size_t index) {
    const std::unordered_set<std::string_view> formats(m.formats.begin(), m.formats.end());
    // Rank of each format in rtpmap order (hostile input may carry thousands of fmtps).
    std::unordered_map<std::string, std::size_t> rank;
    for (const auto& r : m.rtpmaps) {
        if (!m.is_rtp()) fail("a=rtpmap", "rtpmap in non-RTP media (" + m.proto + ")");
        std::string pt = std::to_string(r.payload_type);
        if (!formats.count(pt)) fail("a=rtpmap", "payload type " + pt + " is not in the m= line formats");
        rank.emplace(std::move(pt), rank.size());
    }
    for (const auto& f : m.fmtps)
        if (!formats.count(f.format)) fail("a=fmtp", "format " + f.format + " is not in the m= line formats");
    if (!m.connection && !s.connection && m.port != 0)
        fail("c", "media " + std::to_string(index) + " (" + m.kind + ") has no c= line and there is no session-level c=");
    // Canonical order (each fmtp after its rtpmap), so parse(str(x)) == x.
    auto rank_of = [&rank](const Fmtp& f) {
        auto it = rank.find(f.format);
        return it == rank.end() ? rank.size() : it->second;
    };
    std::stable_sort(m.fmtps.begin(), m.fmtps.end(),
                     [&](const Fmtp& a, const Fmtp& b) { return rank_of(a) < rank_of(b); });
}

}  // namespace

Session Session::parse(std::string_view input) {
    Session s;
    s.timings.clear();
    bool seen_v = false, seen_o = false, seen_s = false;
    std::size_t lineno = 0;
    Media* m = nullptr;
    while (!input.empty()) {
        auto nl = input.find('\n');
        std::string_view line = input.substr(0, nl);
        input = nl == std::string_view::npos ? std::string_view{} : input.substr(nl + 1);
        ++lineno;
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
            line.remove_suffix(1);
        if (line.empty()) continue;
        if (line.size() < 2 || line[1] != '=' || line[0] < 'a' || line[0] > 'z')
            fail("line " + std::to_string(lineno), "expected '<type>=<value>'");
        if (line.find_first_of(std::string_view("\r\0", 2)) != std::string_view::npos)
            fail(std::string(1, line[0]), "contains a bare CR or a NUL");
        if (!text::valid_utf8(line)) fail(std::string(1, line[0]), "not valid UTF-8");
        const char type = line[0];
        const std::string field(1, type);
        std::string_view v = line.substr(2);
        if (!seen_v && type != 'v') fail("v", "the first line must be v=");
        if (m && std::string_view("iocbka").find(type) == std::string_view::npos && type != 'm')
            fail(field, "not allowed after an m= line");
        switch (type) {
            case 'v':
                if (seen_v) fail("v", "appears more than once");
                if (v != "0") fail("v", "unsupported version '" + std::string(v) + "'");
                seen_v = true;
                break;
            case 'o':
                if (seen_o) fail("o", "appears more than once");
                s.origin = parse_origin(v);
                seen_o = true;
                break;
            case 's':
                if (seen_s) fail("s", "appears more than once");
                s.name = std::string(text::trim(v));
                seen_s = true;
                break;
            case 'i':
                if (m) set_once(m->information, std::string(v), field);
                else set_once(s.information, std::string(v), field);
                break;
            case 'u': set_once(s.uri, std::string(v), field); break;
            case 'e': s.emails.emplace_back(v); break;
            case 'p': s.phones.emplace_back(v); break;
            case 'c':
                if (m) set_once(m->connection, parse_connection(v), field);
                else set_once(s.connection, parse_connection(v), field);
                break;
            case 'b': (m ? m->bandwidths : s.bandwidths).push_back(parse_bandwidth(v)); break;
            case 't': s.timings.push_back(parse_timing(v)); break;
            case 'r':
                if (s.timings.empty()) fail("r", "repeat time before any t= line");
                s.timings.back().repeats.emplace_back(v);
                break;
            case 'z': set_once(s.zone, std::string(v), field); break;
            case 'k':
                if (m) set_once(m->key, std::string(v), field);
                else set_once(s.key, std::string(v), field);
                break;
            case 'a': {
                AttrLine a = split_attr(v);
                if (m) media_attr(*m, a);
                else session_attr(s, a);
                break;
            }
            case 'm':
                if (m) {
                    finish_media(*m, s, s.media.size() - 1);
                } else {
                    if (!seen_o) fail("o", "missing");
                    if (!seen_s) fail("s", "missing");
                    if (s.timings.empty()) fail("t", "missing");
                }
                s.media.push_back(parse_media_line(v));
                m = &s.media.back();
                break;
            default: fail(field, "unknown line type");
        }
    }
    if (!seen_v) fail("v", "missing");
    if (!seen_o) fail("o", "missing");
    if (!seen_s) fail("s", "missing");
    if (s.timings.empty()) fail("t", "missing");
    if (m) finish_media(*m, s, s.media.size() - 1);
    return s;
}

}  // namespace siperb::sdp
