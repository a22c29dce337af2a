// SDP session description (RFC 8866) as plain value types.
// Well-known attributes are typed fields; every other attribute is kept, in order, in
// `attributes` (name + raw value) and written back after the typed ones.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace siperb::sdp {

// a=sendrecv / sendonly / recvonly / inactive (RFC 8866 6.7).
enum class Direction { sendrecv, sendonly, recvonly, inactive };
// a=setup (RFC 4145 4).
enum class Setup { active, passive, actpass, holdconn };

const char* to_string(Direction d) noexcept;
const char* to_string(Setup s) noexcept;
std::optional<Direction> direction_from(std::string_view name) noexcept;
std::optional<Setup> setup_from(std::string_view name) noexcept;
bool sends(Direction d) noexcept;
bool receives(Direction d) noexcept;
Direction direction_of(bool send, bool recv) noexcept;

// o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>
struct Origin {
    std::string username = "-";
    std::uint64_t session_id = 0;
    std::uint64_t session_version = 0;
    std::string nettype = "IN";
    std::string addrtype = "IP4";
    std::string address = "127.0.0.1";
    bool operator==(const Origin&) const = default;
};

// c=<nettype> <addrtype> <address>[/<ttl>][/<count>] (ttl for IP4 multicast only).
struct Connection {
    std::string nettype = "IN";
    std::string addrtype = "IP4";
    std::string address;
    std::optional<unsigned> ttl;
    std::optional<unsigned> count;
    bool operator==(const Connection&) const = default;
};

// b=<bwtype>:<bandwidth>, e.g. AS (kbit/s) or TIAS (bit/s).
struct Bandwidth {
    std::string type;
    std::uint64_t value = 0;
    bool operator==(const Bandwidth&) const = default;
};

// t=<start> <stop>, followed by its r= lines (kept raw).
struct Timing {
    std::uint64_t start = 0;
    std::uint64_t stop = 0;
    std::vector<std::string> repeats;
    bool operator==(const Timing&) const = default;
};

// An attribute that has no typed field: a=<name> or a=<name>:<value>.
struct Attribute {
    std::string name;
    std::optional<std::string> value;
    bool operator==(const Attribute&) const = default;
};

// a=rtpmap:<pt> <encoding>/<clock>[/<channels>]
struct RtpMap {
    unsigned payload_type = 0;
    std::string encoding;
    std::uint32_t clock_rate = 0;
    std::optional<unsigned> channels;
    bool operator==(const RtpMap&) const = default;
};

// a=fmtp:<format> <params>; `parameters()` splits "k=v;k2=v2" (a bare item maps to "").
struct Fmtp {
    std::string format;
    std::string params;
    std::vector<std::pair<std::string, std::string>> parameters() const;
    bool operator==(const Fmtp&) const = default;
};

// a=rtcp:<port> [<nettype> <addrtype> <address>] (RFC 3605).
struct Rtcp {
    std::uint16_t port = 0;
    std::string nettype;
    std::string addrtype;
    std::string address;
    bool operator==(const Rtcp&) const = default;
};

// a=crypto:<tag> <suite> <key-params> [<session-params>...] (RFC 4568).
struct Crypto {
    std::uint32_t tag = 1;
    std::string suite;
    std::string key_params;
    std::vector<std::string> session_params;
    bool operator==(const Crypto&) const = default;
};

// a=fingerprint:<hash-func> <value> (RFC 8122).
struct Fingerprint {
    std::string hash_func;
    std::string value;
    bool operator==(const Fingerprint&) const = default;
};

// a=candidate (RFC 8839 5.1).
struct Candidate {
    std::string foundation;
    unsigned component = 1;
    std::string transport;
    std::uint32_t priority = 0;
    std::string address;
    std::uint16_t port = 0;
    std::string type;
    std::optional<std::string> related_address;
    std::optional<std::uint16_t> related_port;
    std::vector<std::pair<std::string, std::string>> extensions;
    bool operator==(const Candidate&) const = default;
};

// a=group:<semantics> <mid>... (RFC 5888).
struct Group {
    std::string semantics;
    std::vector<std::string> mids;
    bool operator==(const Group&) const = default;
};

// a=ssrc:<id> <attribute>[:<value>] (RFC 5576).
struct Ssrc {
    std::uint32_t id = 0;
    std::string attribute;
    std::optional<std::string> value;
    bool operator==(const Ssrc&) const = default;
};

// a=extmap:<id>[/<direction>] <uri> [<extension attributes>] (RFC 8285).
struct Extmap {
    unsigned id = 0;
    std::optional<Direction> direction;
    std::string uri;
    std::string attributes;
    bool operator==(const Extmap&) const = default;
};

// a=msid:<id> [<appdata>] (RFC 8830).
struct Msid {
    std::string id;
    std::string appdata;
    bool operator==(const Msid&) const = default;
};

// One m= section.
struct Media {
    std::string kind = "audio";
    std::uint16_t port = 0;
    std::optional<unsigned> port_count;
    std::string proto = "RTP/AVP";
    std::vector<std::string> formats;
    std::optional<std::string> information;
    std::optional<Connection> connection;
    std::vector<Bandwidth> bandwidths;
    std::optional<std::string> key;

    std::vector<RtpMap> rtpmaps;
    std::vector<Fmtp> fmtps;
    std::optional<unsigned> ptime;
    std::optional<unsigned> maxptime;
    std::optional<Direction> direction;
    std::optional<Rtcp> rtcp;
    bool rtcp_mux = false;
    std::optional<std::string> mid;
    std::optional<std::string> ice_ufrag;
    std::optional<std::string> ice_pwd;
    std::vector<std::string> ice_options;
    std::vector<Fingerprint> fingerprints;
    std::optional<Setup> setup;
    bool ice_lite = false;           // a=ice-lite (RFC 8839 says session level; tolerated here)
    bool end_of_candidates = false;  // a=end-of-candidates (RFC 8840)
    std::vector<Crypto> crypto;
    std::vector<Extmap> extmaps;
    std::vector<Msid> msids;
    std::vector<Candidate> candidates;
    std::vector<Ssrc> ssrcs;
    std::vector<Attribute> attributes;

    bool is_rtp() const noexcept;  // proto is an RTP profile, so formats are payload types
    bool is_dtls() const noexcept; // UDP/TLS/RTP/SAVP[F]: keys by DTLS-SRTP (RFC 5764)
    const RtpMap* rtpmap_for(unsigned payload_type) const noexcept;
    const Fmtp* fmtp_for(std::string_view format) const noexcept;
    bool operator==(const Media&) const = default;
};

// The whole description.
struct Session {
    unsigned version = 0;
    Origin origin;
    std::string name = "-";
    std::optional<std::string> information;
    std::optional<std::string> uri;
    std::vector<std::string> emails;
    std::vector<std::string> phones;
    std::optional<Connection> connection;
    std::vector<Bandwidth> bandwidths;
    std::vector<Timing> timings{Timing{}};
    std::optional<std::string> zone;
    std::optional<std::string> key;

    std::optional<Direction> direction;
    std::vector<Group> groups;
    std::optional<std::string> ice_ufrag;
    std::optional<std::string> ice_pwd;
    std::vector<std::string> ice_options;
    std::vector<Fingerprint> fingerprints;
    std::optional<Setup> setup;
    bool ice_lite = false;
    bool end_of_candidates = false;
    std::vector<Attribute> attributes;

    std::vector<Media> media;

    // Parses RFC 8866 text (CRLF or LF). Throws SdpParseError(field, reason).
    static Session parse(std::string_view text);
    // CRLF text in RFC 8866 section 5 order. Throws SdpParseError if a field holds a line break.
    std::string to_string() const;

    // The media's own direction, else the session default, else sendrecv.
    Direction media_direction(std::size_t index) const;
    // The media's own c=, else the session c= (nullptr if neither).
    const Connection* media_connection(std::size_t index) const;
    bool operator==(const Session&) const = default;
};

}  // namespace siperb::sdp
