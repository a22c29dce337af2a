// Candidates (RFC 8445 5.1.2, RFC 8839 5.1): priorities, foundations, the SDP a=candidate value.
#include "ice/ice_agent.hpp"
#include "ice/ice_candidate.hpp"

#include "common/error.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <sstream>
#include <vector>

namespace siperb::ice {

const char* to_string(IceState s) noexcept {
    switch (s) {
    case IceState::New: return "new";
    case IceState::Checking: return "checking";
    case IceState::Connected: return "connected";
    case IceState::Completed: return "completed";
    case IceState::Failed: return "failed";
    case IceState::Disconnected: return "disconnected";
    case IceState::Closed: return "closed";
    }
    return "unknown";
}

const char* candidate_type_name(CandidateType t) noexcept {
    switch (t) {
    case CandidateType::Host: return "host";
    case CandidateType::ServerReflexive: return "srflx";
    case CandidateType::PeerReflexive: return "prflx";
    case CandidateType::Relayed: return "relay";
    }
    return "host";
}

std::uint32_t type_preference(CandidateType t) noexcept {
    switch (t) {
    case CandidateType::Host: return 126;
    case CandidateType::PeerReflexive: return 110;
    case CandidateType::ServerReflexive: return 100;
    case CandidateType::Relayed: return 0;
    }
    return 0;
}

std::uint32_t candidate_priority(CandidateType t, std::uint32_t local_pref, unsigned component) noexcept {
    return (type_preference(t) << 24) + ((local_pref & 0xFFFF) << 8) + (256 - (component & 0xFF));
}

std::uint64_t pair_priority(std::uint32_t controlling, std::uint32_t controlled) noexcept {
    const std::uint64_t g = controlling, d = controlled;
    return (std::min(g, d) << 32) + 2 * std::max(g, d) + (g > d ? 1 : 0);
}

std::string make_foundation(CandidateType t, const net::SocketAddress& base, const std::string& server) {
    // FNV-1a over what makes two candidates "similar" (RFC 8445 5.1.1.3): type, base IP, server.
    std::uint32_t h = 2166136261u;
    const auto mix = [&](const std::string& s) {
        for (unsigned char c : s) h = (h ^ c) * 16777619u;
        h = (h ^ '|') * 16777619u;
    };
    mix(candidate_type_name(t));
    mix(base.host());
    mix(server);
    return std::to_string(h);
}

std::string Candidate::to_sdp() const {
    std::ostringstream o;
    o << foundation << ' ' << component << ' ' << transport << ' ' << priority << ' ' << address.host() << ' '
      << address.port() << " typ " << candidate_type_name(type);
    if (type != CandidateType::Host && !related.empty())
        o << " raddr " << related.host() << " rport " << related.port();
    return o.str();
}

namespace {

bool ice_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

template <class T>
T number(const std::string& s, const char* what, T max) {
    T v{};
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty() || v > max)
        throw SdpParseError("candidate", std::string(what) + " '" + s + "' is not a number in range");
    return v;
}

// Numeric address or nullopt (a name: mDNS or FQDN, not resolved here).
std::optional<net::SocketAddress> numeric(const std::string& host, std::uint16_t port) {
    in6_addr a6{};
    in_addr a4{};
    if (inet_pton(AF_INET, host.c_str(), &a4) != 1 && inet_pton(AF_INET6, host.c_str(), &a6) != 1) return std::nullopt;
    return net::SocketAddress::parse(host, port, "candidate");
}

}  // namespace

std::optional<Candidate> parse_candidate(const std::string& value) {
    std::string v = value;
    if (v.rfind("a=", 0) == 0) v = v.substr(2);
    if (v.rfind("candidate:", 0) == 0) v = v.substr(10);
    while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.pop_back();
    if (v.size() > 1024) throw SdpParseError("candidate", "longer than 1024 characters");
    std::vector<std::string> tok;
    std::istringstream in(v);
    for (std::string t; in >> t;) {
        if (tok.size() >= 64) throw SdpParseError("candidate", "more than 64 fields");
        tok.push_back(t);
    }
    if (tok.size() < 8) throw SdpParseError("candidate", "fewer than 8 fields: '" + v + "'");
    Candidate c;
    c.foundation = tok[0];
    if (c.foundation.empty() || c.foundation.size() > 32)
        throw SdpParseError("candidate", "foundation '" + tok[0] + "' is not 1-32 ice-chars");
    for (char ch : c.foundation)
        if (!ice_char(ch)) throw SdpParseError("candidate", "foundation '" + tok[0] + "' is not 1-32 ice-chars");
    c.component = number<unsigned>(tok[1], "component", 256);
    if (c.component < 1) throw SdpParseError("candidate", "component 0");
    c.transport = tok[2];
    c.priority = number<std::uint32_t>(tok[3], "priority", 0xFFFFFFFFu);
    const auto port = number<unsigned>(tok[5], "port", 65535);
    if (tok[6] != "typ") throw SdpParseError("candidate", "'typ' expected, got '" + tok[6] + "'");
    const std::string& type = tok[7];
    for (std::size_t i = 8; i + 1 < tok.size(); i += 2) {
        if (tok[i] == "raddr" || tok[i] == "rport") {
            // Checked for syntax only; they are informational (RFC 8445 5.1.3).
            if (tok[i] == "rport") number<unsigned>(tok[i + 1], "rport", 65535);
        }
    }
    std::string lower = c.transport;
    for (auto& ch : lower) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    if (lower != "udp") return std::nullopt;  // ICE-TCP is not used
    c.transport = "udp";
    if (type == "host") c.type = CandidateType::Host;
    else if (type == "srflx") c.type = CandidateType::ServerReflexive;
    else if (type == "prflx") c.type = CandidateType::PeerReflexive;
    else if (type == "relay") c.type = CandidateType::Relayed;
    else return std::nullopt;
    if (c.component != 1) return std::nullopt;  // rtcp-mux only: RTCP components are not used
    const auto addr = numeric(tok[4], std::uint16_t(port));
    if (!addr) return std::nullopt;  // mDNS ".local" or a name: skipped, never a failure
    if (port == 0) return std::nullopt;
    c.address = *addr;
    for (std::size_t i = 8; i + 1 < tok.size(); i += 2) {
        if (tok[i] != "raddr") continue;
        std::uint16_t rport = 0;
        for (std::size_t j = 8; j + 1 < tok.size(); j += 2)
            if (tok[j] == "rport") rport = std::uint16_t(number<unsigned>(tok[j + 1], "rport", 65535));
        if (auto r = numeric(tok[i + 1], rport)) c.related = *r;
    }
    return c;
}

}  // namespace siperb::ice
