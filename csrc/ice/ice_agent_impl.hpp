// The IceAgent's state, shared by ice_agent.cpp (lifecycle, candidates, timers) and
// ice_checks.cpp (STUN in and out). Private to csrc/ice.
#pragma once

#include "ice/ice_agent.hpp"
#include "ice/stun_message.hpp"

#include <climits>
#include <deque>
#include <random>

namespace siperb::ice {

enum class PairState { Frozen, Waiting, InProgress, Succeeded, Failed };

struct LocalCandidate {
    Candidate c;
    net::SocketAddress base;  // where checks leave from: the host address, or the relayed one
    bool relayed = false;
};

struct CandidatePair {
    std::size_t local = 0, remote = 0;  // indices into locals / remotes
    std::uint64_t priority = 0;
    PairState state = PairState::Frozen;
    std::string foundation;             // local:remote foundations, for unfreezing
    bool valid = false;                 // a check succeeded (or, lite: a check arrived)
    bool nominated = false;
    bool nominate_on_success = false;   // controlled: USE-CANDIDATE arrived before our check succeeded
    bool use_candidate = false;         // controlling: this check carries USE-CANDIDATE
    bool triggered = false;             // queued in the triggered-check queue
    IceRole sent_role = IceRole::Controlling;  // our role when the check went out (for 487)
    // The outstanding transaction of this pair's check.
    StunTransactionId tid{};
    std::int64_t next_retransmit_ns = INT64_MAX;
    unsigned transmissions = 0;
    std::uint32_t rto_ms = 0;
    std::vector<std::uint8_t> request;  // kept for retransmissions
};

struct SelectedPath {
    net::SocketAddress remote;
    bool relayed = false;
    std::uint64_t priority = 0;
    bool nominated = false;
};

struct IceAgent::Impl {
    IceConfig cfg;
    IceRole role = IceRole::Controlling;
    IceState state = IceState::New;
    std::string remote_ufrag, remote_pwd;
    bool started = false, closed = false, remote_eoc = false, local_restart_pending = false;
    std::vector<LocalCandidate> locals;
    std::vector<Candidate> remotes;
    std::vector<CandidatePair> pairs;
    std::deque<std::size_t> triggered;
    std::int64_t last_check_ns = INT64_MIN / 2;
    std::int64_t first_valid_ns = INT64_MAX;  // controlling: when the nomination timer started
    bool nominating = false;
    std::optional<SelectedPath> selected;
    // Consent freshness (RFC 7675) and keep-alive (RFC 8445 11) on the selected path.
    std::int64_t consent_next_ns = INT64_MAX, consent_last_ns = 0, keepalive_next_ns = INT64_MAX;
    std::int64_t media_last_ns = 0;
    std::deque<StunTransactionId> consent_tids;
    std::deque<Transmit> out;
    std::deque<IceEvent> events;
    IceAgent::Stats stats;
    std::mt19937_64 rng{std::random_device{}()};
    unsigned prflx_counter = 0;

    explicit Impl(IceConfig c);

    // ice_agent.cpp
    void emit(IceEventType type, std::string detail);
    void set_state(IceState s);
    void add_local(CandidateType type, const net::SocketAddress& addr, const net::SocketAddress& base,
                   bool relayed, const std::string& server);
    std::optional<std::size_t> add_remote(const Candidate& c);
    std::optional<std::size_t> add_pair(std::size_t local, std::size_t remote);
    void recompute_priorities();
    void unfreeze_initial();
    void select(const CandidatePair& p, bool nominated);
    void update_state(std::int64_t now_ns);
    std::uint32_t local_preference(CandidateType type) const;
    void queue_transmit(const net::SocketAddress& to, std::vector<std::uint8_t> data, bool relayed);

    // ice_checks.cpp
    void handle_request(const StunMessage& m, const net::SocketAddress& from, bool relayed, std::int64_t now_ns);
    void handle_response(const StunMessage& m, const net::SocketAddress& from, bool relayed, std::int64_t now_ns);
    std::vector<std::uint8_t> build_check(const CandidatePair& p, const StunTransactionId& tid, bool use_candidate) const;
    void send_check(std::size_t pair, std::int64_t now_ns);
    void send_consent(std::int64_t now_ns);
    bool pace(std::int64_t now_ns);  // sends the next ordinary/triggered check if one is due
    void maybe_nominate(std::int64_t now_ns);
    void retransmit(std::int64_t now_ns);
    void switch_role(const char* why);
    std::optional<std::size_t> find_local_for(const net::SocketAddress& from, bool relayed) const;
    std::optional<std::size_t> find_remote(const net::SocketAddress& addr) const;
    std::optional<std::size_t> find_pair(std::size_t local, std::size_t remote) const;
    bool has_work() const;
};

constexpr std::size_t kMaxRemoteCandidates = 100;
constexpr std::size_t kMaxPairs = 100;
constexpr std::size_t kMaxLocalCandidates = 16;
constexpr std::size_t kMaxQueued = 256;

}  // namespace siperb::ice
