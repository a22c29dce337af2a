// An ICE agent (RFC 8445) with consent freshness (RFC 7675), sans-IO in the manner of pjnath's
// session core: datagrams in (STUN only; the caller demultiplexes by first byte, RFC 7983),
// datagrams out (poll_transmit), and a next deadline (on_timeout). It owns no socket, no
// thread and no clock: every call takes now_ns (CLOCK_MONOTONIC), so it can be fuzzed and
// tested in isolation, and the media engine drives it from its own timers.
//
// INTERFACE CONTRACT (written before the implementation so that the engine integration can be
// built in parallel): the names and signatures below are what csrc/media uses. The
// implementation may add members; changing these needs the engine side changed in the same
// commit.
#pragma once

#include "net/udp_socket.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace siperb::ice {

enum class CandidateType { Host, ServerReflexive, PeerReflexive, Relayed };
enum class IceRole { Controlling, Controlled };
enum class IceState { New, Checking, Connected, Completed, Failed, Disconnected, Closed };
const char* to_string(IceState s) noexcept;

struct Candidate {
    std::string foundation;
    unsigned component = 1;          // rtcp-mux only: always 1
    std::string transport = "udp";   // only UDP candidates are used; others are kept and ignored
    std::uint32_t priority = 0;
    net::SocketAddress address;
    CandidateType type = CandidateType::Host;
    net::SocketAddress related;      // raddr/rport (empty for host)
    // The SDP a=candidate value (without "candidate:"), RFC 8839 5.1.
    std::string to_sdp() const;
};

// Parses an a=candidate value ("candidate:" prefix optional). nullopt for a candidate that is
// well-formed but unusable here (TCP, an mDNS ".local" name, an unknown type); throws
// SdpParseError("candidate", reason) for a malformed one.
std::optional<Candidate> parse_candidate(const std::string& value);

struct IceConfig {
    IceRole role = IceRole::Controlling;
    bool lite = false;                       // RFC 8445 2.5: answer checks, never send them
    std::string local_ufrag, local_pwd;      // empty: random (ufrag 8 chars, pwd 24 chars)
    std::uint64_t tie_breaker = 0;           // 0: random
    std::uint32_t ta_ms = 50;                // pacing of ordinary checks (RFC 8445 14.2)
    std::uint32_t consent_interval_ms = 5000;  // RFC 7675: randomised 0.8-1.2
    std::uint32_t consent_timeout_ms = 30000;  // no consent response for this long: Failed
    std::uint32_t keepalive_ms = 15000;
    // Added beside the contract: retransmission of checks (RFC 8445 14.3: RTO doubling from
    // check_rto_ms, at most check_max_transmissions sends, then one more RTO for the answer),
    // the controlling side's wait for better pairs before it nominates the best valid one
    // (regular nomination), and the bounds on what a remote can make us hold.
    std::uint32_t check_rto_ms = 500;
    std::uint32_t check_max_transmissions = 7;
    std::uint32_t nomination_delay_ms = 200;
    std::uint32_t max_remote_candidates = 100;
    std::uint32_t max_pairs = 100;
};

// What the agent asks the caller to send. `relayed` is true when it must go through the TURN
// allocation (the caller passes it to the TurnClient, which wraps it).
struct Transmit {
    net::SocketAddress to;
    std::vector<std::uint8_t> data;
    bool relayed = false;
};

enum class IceEventType { StateChanged, SelectedPair, RoleConflict, ConsentLost, LocalCandidate };
struct IceEvent {
    IceEventType type;
    IceState state = IceState::New;
    std::string detail;  // human-readable: the pair, the reason, or the candidate's SDP value
};

class IceAgent {
public:
    explicit IceAgent(IceConfig cfg);
    ~IceAgent();
    IceAgent(IceAgent&&) noexcept;
    IceAgent& operator=(IceAgent&&) noexcept;

    const std::string& local_ufrag() const noexcept;
    const std::string& local_pwd() const noexcept;
    IceRole role() const noexcept;
    IceState state() const noexcept;
    bool lite() const noexcept;

    // Our candidates: the host candidate of the session socket, a server-reflexive one learnt
    // from a STUN server, a relayed one from a TURN allocation. Each shows up in
    // local_candidates() with its priority and foundation filled in.
    void add_host_candidate(const net::SocketAddress& local);
    void add_server_reflexive(const net::SocketAddress& mapped, const net::SocketAddress& base);
    void add_relayed(const net::SocketAddress& relayed, const net::SocketAddress& base);
    std::vector<Candidate> local_candidates() const;

    // The remote's credentials; a ufrag/pwd change on a started agent is an ICE restart (RFC
    // 8445 9): checks start again, the selected pair is kept until a new one is nominated.
    void set_remote_credentials(const std::string& ufrag, const std::string& pwd, std::int64_t now_ns);
    void add_remote_candidate(const Candidate& c, std::int64_t now_ns);
    void end_of_remote_candidates();
    // Starts connectivity checks (full agent) or waits for them (lite).
    void start(std::int64_t now_ns);
    void close();
    // Added: our side of an ICE restart (RFC 8445 9): new local ufrag/pwd (empty: random) before
    // an offer that restarts. When the remote's ufrag changes without this (we answer a
    // restart), the agent picks new local credentials itself: read local_ufrag() after
    // set_remote_credentials() for the answer.
    void restart_local_credentials(const std::string& ufrag = {}, const std::string& pwd = {});
    std::vector<Candidate> remote_candidates() const;

    // A STUN datagram from `from` that arrived on the session socket (relayed: unwrapped by
    // the TurnClient). Anything that is not a valid STUN message for this agent (bad
    // integrity, fingerprint, unknown ufrag) is counted and dropped, never thrown.
    void on_stun(const std::uint8_t* data, std::size_t len, const net::SocketAddress& from, bool relayed,
                 std::int64_t now_ns);
    // Non-STUN traffic (DTLS, SRTP) from a remote address also refreshes consent liveness for
    // the purposes of the selected pair's "last received" time, but never grants consent.
    void on_media_received(const net::SocketAddress& from, std::int64_t now_ns) noexcept;

    // Deadlines: the earliest time on_timeout needs to run (INT64_MAX: nothing pending).
    std::int64_t next_deadline() const noexcept;
    void on_timeout(std::int64_t now_ns);

    // Output queues, drained by the caller after every call above.
    bool poll_transmit(Transmit& out);
    bool poll_event(IceEvent& out);

    // The nominated (or, before nomination on the controlled side, the best valid) pair's
    // remote address, where media goes; nullopt before one exists.
    std::optional<net::SocketAddress> selected_remote() const;
    bool selected_is_relayed() const noexcept;
    // True when `from` is the selected pair's remote (media from elsewhere is not accepted).
    bool is_selected_remote(const net::SocketAddress& from) const noexcept;

    struct Stats {
        std::uint64_t checks_sent = 0, checks_received = 0, responses_received = 0, dropped = 0,
                      role_conflicts = 0;
        // Added: candidates or pairs refused by the bounds (max_remote_candidates, max_pairs).
        std::uint64_t refused = 0;
    };
    Stats stats() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace siperb::ice
