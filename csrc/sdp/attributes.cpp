#include "sdp/attributes.hpp"

#include <cctype>

#include "common/error.hpp"
#include "sdp/text.hpp"

namespace siperb::sdp::attr {

using text::split_ws;
using text::to_uint;

namespace {

constexpr std::uint64_t kU16 = 65535;
constexpr std::uint64_t kU32 = 4294967295ULL;

[[noreturn]] void fail(const char* field, std::string reason) {
    throw SdpParseError(field, std::move(reason));
}

std::vector<std::string_view> fields(std::string_view v, const char* field, std::size_t min,
                                     const char* expected) {
    auto f = split_ws(v);
    if (f.size() < min) fail(field, std::string("expected ") + expected);
    return f;
}

std::string join(const std::vector<std::string_view>& parts, std::size_t from) {
    std::string out;
    for (std::size_t i = from; i < parts.size(); ++i) {
        if (!out.empty()) out += ' ';
        out += parts[i];
    }
    return out;
}

}  // namespace

RtpMap parse_rtpmap(std::string_view v) {
    static const std::string F = "a=rtpmap";
    auto f = fields(v, F.c_str(), 2, "'<payload type> <encoding>/<clock rate>[/<channels>]'");
    if (f.size() != 2) fail(F.c_str(), "unexpected text after the encoding");
    RtpMap r;
    r.payload_type = static_cast<unsigned>(to_uint(f[0], 127, F, "payload type"));
    std::string_view enc = f[1];
    auto s1 = enc.find('/');
    if (s1 == std::string_view::npos || s1 == 0) fail(F.c_str(), "expected <encoding>/<clock rate>");
    r.encoding = std::string(enc.substr(0, s1));
    std::string_view rest = enc.substr(s1 + 1);
    auto s2 = rest.find('/');
    r.clock_rate = static_cast<std::uint32_t>(to_uint(rest.substr(0, s2), kU32, F, "clock rate"));
    if (r.clock_rate == 0) fail(F.c_str(), "clock rate must not be 0");
    if (s2 != std::string_view::npos) {
        r.channels = static_cast<unsigned>(to_uint(rest.substr(s2 + 1), 255, F, "channels"));
        if (*r.channels == 0) fail(F.c_str(), "channels must not be 0");
    }
    return r;
}

Fmtp parse_fmtp(std::string_view v) {
    auto [format, params] = text::split_first(v);
    if (format.empty()) fail("a=fmtp", "expected '<format> <parameters>'");
    return Fmtp{std::string(format), std::string(params)};
}

Rtcp parse_rtcp(std::string_view v) {
    static const std::string F = "a=rtcp";
    auto f = fields(v, F.c_str(), 1, "'<port> [<nettype> <addrtype> <address>]'");
    if (f.size() != 1 && f.size() != 4) fail(F.c_str(), "expected '<port> [<nettype> <addrtype> <address>]'");
    Rtcp r;
    r.port = static_cast<std::uint16_t>(to_uint(f[0], kU16, F, "port"));
    if (f.size() == 4) {
        r.nettype = std::string(f[1]);
        r.addrtype = std::string(f[2]);
        r.address = std::string(f[3]);
    }
    return r;
}

Crypto parse_crypto(std::string_view v) {
    static const std::string F = "a=crypto";
    auto f = fields(v, F.c_str(), 3, "'<tag> <crypto-suite> <key-params> [<session-params>]'");
    Crypto c;
    c.tag = static_cast<std::uint32_t>(to_uint(f[0], 999999999, F, "tag"));
    c.suite = std::string(f[1]);
    c.key_params = std::string(f[2]);
    if (c.key_params.find(':') == std::string::npos)
        fail(F.c_str(), "key-params must be '<method>:<info>', e.g. inline:<key>");
    for (std::size_t i = 3; i < f.size(); ++i) c.session_params.emplace_back(f[i]);
    return c;
}

Fingerprint parse_fingerprint(std::string_view v) {
    static const char* F = "a=fingerprint";
    auto f = fields(v, F, 2, "'<hash-func> <fingerprint>'");
    if (f.size() != 2) fail(F, "unexpected text after the fingerprint");
    if (!text::is_token(f[0])) fail(F, "bad hash function name");
    // RFC 8122 5: pairs of hex digits separated by ':' (at most sha-512's 64 bytes).
    std::string_view hex = f[1];
    if (hex.size() % 3 != 2 || hex.size() > 64 * 3 - 1) fail(F, "expected hex pairs separated by ':'");
    for (std::size_t i = 0; i < hex.size(); ++i) {
        const char c = hex[i];
        bool ok = i % 3 == 2 ? c == ':' : std::isxdigit(static_cast<unsigned char>(c)) != 0;
        if (!ok) fail(F, "expected hex pairs separated by ':'");
    }
    return Fingerprint{std::string(f[0]), std::string(f[1])};
}

std::string parse_ice_chars(std::string_view v, const char* field) {
    v = text::trim(v);
    // RFC 8839 5.4: ice-char = ALPHA / DIGIT / "+" / "/", at most 256 of them.
    if (v.empty() || v.size() > 256) fail(field, "expected 1 to 256 ice-chars");
    for (char c : v)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/')
            fail(field, "only letters, digits, '+' and '/' are allowed");
    return std::string(v);
}

Setup parse_setup(std::string_view v) {
    auto s = setup_from(text::trim(v));
    if (!s) fail("a=setup", "'" + std::string(v) + "' is not active, passive, actpass or holdconn");
    return *s;
}

Candidate parse_candidate(std::string_view v) {
    static const std::string F = "a=candidate";
    auto f = fields(v, F.c_str(), 8,
                    "'<foundation> <component> <transport> <priority> <address> <port> typ <type>'");
    if (f[6] != "typ") fail(F.c_str(), "expected 'typ' after the port");
    Candidate c;
    c.foundation = std::string(f[0]);
    c.component = static_cast<unsigned>(to_uint(f[1], 256, F, "component"));
    if (c.component == 0) fail(F.c_str(), "component must not be 0");
    c.transport = std::string(f[2]);
    c.priority = static_cast<std::uint32_t>(to_uint(f[3], kU32, F, "priority"));
    c.address = std::string(f[4]);
    c.port = static_cast<std::uint16_t>(to_uint(f[5], kU16, F, "port"));
    c.type = std::string(f[7]);
    if ((f.size() - 8) % 2 != 0) fail(F.c_str(), "extension '" + std::string(f.back()) + "' has no value");
    for (std::size_t i = 8; i + 1 < f.size(); i += 2) {
        if (f[i] == "raddr" && !c.related_address)
            c.related_address = std::string(f[i + 1]);
        else if (f[i] == "rport" && !c.related_port)
            c.related_port = static_cast<std::uint16_t>(to_uint(f[i + 1], kU16, F, "rport"));
        else
            c.extensions.emplace_back(std::string(f[i]), std::string(f[i + 1]));
    }
    return c;
}

Group parse_group(std::string_view v) {
    auto f = fields(v, "a=group", 1, "'<semantics> <mid>...'");
    Group g{std::string(f[0]), {}};
    for (std::size_t i = 1; i < f.size(); ++i) g.mids.emplace_back(f[i]);
    return g;
}

Ssrc parse_ssrc(std::string_view v) {
    static const std::string F = "a=ssrc";
    auto [id, rest] = text::split_first(v);
    Ssrc s;
    s.id = static_cast<std::uint32_t>(to_uint(id, kU32, F, "ssrc id"));
    if (rest.empty()) fail(F.c_str(), "expected '<ssrc-id> <attribute>[:<value>]'");
    auto colon = rest.find(':');
    s.attribute = std::string(rest.substr(0, colon));
    if (s.attribute.empty() || !text::is_token(s.attribute)) fail(F.c_str(), "bad attribute name");
    if (colon != std::string_view::npos) s.value = std::string(rest.substr(colon + 1));
    return s;
}

Extmap parse_extmap(std::string_view v) {
    static const std::string F = "a=extmap";
    auto f = fields(v, F.c_str(), 2, "'<id>[/<direction>] <uri> [<attributes>]'");
    Extmap e;
    std::string_view id = f[0];
    auto slash = id.find('/');
    e.id = static_cast<unsigned>(to_uint(id.substr(0, slash), 4095, F, "id"));
    if (slash != std::string_view::npos) {
        e.direction = direction_from(id.substr(slash + 1));
        if (!e.direction) fail(F.c_str(), "'" + std::string(id.substr(slash + 1)) + "' is not a direction");
    }
    e.uri = std::string(f[1]);
    e.attributes = join(f, 2);
    return e;
}

Msid parse_msid(std::string_view v) {
    auto f = fields(v, "a=msid", 1, "'<id> [<appdata>]'");
    if (f.size() > 2) fail("a=msid", "expected '<id> [<appdata>]'");
    return Msid{std::string(f[0]), f.size() > 1 ? std::string(f[1]) : std::string()};
}

unsigned parse_ms(std::string_view v, const char* field) {
    return static_cast<unsigned>(to_uint(text::trim(v), 100000, field, "milliseconds"));
}

std::string parse_nonempty(std::string_view v, const char* field) {
    v = text::trim(v);
    if (!text::is_token(v)) fail(field, "expected one token");
    return std::string(v);
}

std::string format(const RtpMap& a) {
    std::string s = std::to_string(a.payload_type) + ' ' + a.encoding + '/' + std::to_string(a.clock_rate);
    if (a.channels) s += '/' + std::to_string(*a.channels);
    return s;
}

std::string format(const Fmtp& a) { return a.format + ' ' + a.params; }

std::string format(const Rtcp& a) {
    std::string s = std::to_string(a.port);
    if (!a.address.empty()) s += ' ' + a.nettype + ' ' + a.addrtype + ' ' + a.address;
    return s;
}

std::string format(const Crypto& a) {
    std::string s = std::to_string(a.tag) + ' ' + a.suite + ' ' + a.key_params;
    for (const auto& p : a.session_params) s += ' ' + p;
    return s;
}

std::string format(const Fingerprint& a) { return a.hash_func + ' ' + a.value; }

std::string format(const Candidate& a) {
    std::string s = a.foundation + ' ' + std::to_string(a.component) + ' ' + a.transport + ' ' +
                    std::to_string(a.priority) + ' ' + a.address + ' ' + std::to_string(a.port) +
                    " typ " + a.type;
    if (a.related_address) s += " raddr " + *a.related_address;
    if (a.related_port) s += " rport " + std::to_string(*a.related_port);
    for (const auto& [k, val] : a.extensions) s += ' ' + k + ' ' + val;
    return s;
}

std::string format(const Group& a) {
    std::string s = a.semantics;
    for (const auto& m : a.mids) s += ' ' + m;
    return s;
}

std::string format(const Ssrc& a) {
    std::string s = std::to_string(a.id) + ' ' + a.attribute;
    if (a.value) s += ':' + *a.value;
    return s;
}

std::string format(const Extmap& a) {
    std::string s = std::to_string(a.id);
    if (a.direction) s += std::string("/") + to_string(*a.direction);
    s += ' ' + a.uri;
    if (!a.attributes.empty()) s += ' ' + a.attributes;
    return s;
}

std::string format(const Msid& a) { return a.appdata.empty() ? a.id : a.id + ' ' + a.appdata; }

}  // namespace siperb::sdp::attr
