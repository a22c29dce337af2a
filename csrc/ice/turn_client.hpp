// A TURN client (RFC 8656) for one allocation over UDP, sans-IO like the IceAgent: allocate
// with long-term credentials (401 -> realm/nonce -> retry; 438 stale nonce), refresh before
// the lifetime ends, permissions per peer address (refreshed), channel bindings for the peers
// media flows to (ChannelData framing, 4-byte header), Send/Data indications before that.
//
// INTERFACE CONTRACT (written before the implementation so that the engine integration can be
// built in parallel): the names and signatures below are what csrc/media uses.
#pragma once

#include "net/udp_socket.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace siperb::ice {

struct TurnConfig {
    net::SocketAddress server;  // numeric: names are resolved in Python
    std::string username, password;
    std::uint32_t lifetime_s = 600;
    // Added: retransmission of requests (RFC 8489 6.2.1: RTO doubling, Rc sends) and the bound on
    // peers (permissions/channels) one allocation keeps.
    std::uint32_t rto_ms = 500;
    std::uint32_t max_transmissions = 7;
    std::uint32_t max_peers = 64;
    std::string software;  // SOFTWARE attribute when not empty
};

enum class TurnState { New, Allocating, Allocated, Failed, Closed };

class TurnClient {
public:
    explicit TurnClient(TurnConfig cfg);
    ~TurnClient();
    TurnClient(TurnClient&&) noexcept;
    TurnClient& operator=(TurnClient&&) noexcept;

    TurnState state() const noexcept;
    const std::string& failure() const noexcept;
    const net::SocketAddress& server() const noexcept;
    // Once Allocated: the relayed transport address and our server-reflexive (mapped) one.
    std::optional<net::SocketAddress> relayed() const;
    std::optional<net::SocketAddress> mapped() const;

    void start(std::int64_t now_ns);
    void close(std::int64_t now_ns);  // Refresh with lifetime 0
    std::int64_t next_deadline() const noexcept;
    void on_timeout(std::int64_t now_ns);

    // Permission (and, for media peers, a channel) for a peer address.
    void add_peer(const net::SocketAddress& peer, bool channel, std::int64_t now_ns);
    // Wraps data for a peer (ChannelData when bound, else a Send indication) into a datagram
    // for the server, queued on poll_transmit. A peer not added before gets a permission
    // request first (its data flows once the server has installed it).
    void send_to_peer(const net::SocketAddress& peer, const std::uint8_t* data, std::size_t len,
                      std::int64_t now_ns);

    // A datagram from the TURN server. Returns true if it carried peer data, unwrapped into
    // peer_data/peer (the caller demultiplexes it again); false for control traffic (handled)
    // or garbage (counted and dropped).
    bool on_datagram(const std::uint8_t* data, std::size_t len, std::int64_t now_ns,
                     std::vector<std::uint8_t>& peer_data, net::SocketAddress& peer);

    // Datagrams to send to the server.
    bool poll_transmit(std::vector<std::uint8_t>& out);

    // Added: whether a peer's channel is bound (data then goes as ChannelData), and counters.
    bool channel_bound(const net::SocketAddress& peer) const noexcept;
    bool permitted(const net::SocketAddress& peer) const noexcept;
    struct Stats {
        std::uint64_t requests_sent = 0, responses_received = 0, dropped = 0, data_in = 0, data_out = 0;
    };
    Stats stats() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace siperb::ice
