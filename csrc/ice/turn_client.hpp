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
    // for the server, queued on poll_transmit.
    void send_to_peer(const net::SocketAddress& peer, const std::uint8_t* data, std::size_t len,
                      std::int64_t now_ns);

    // A datagram from the TURN server. Returns true if it carried peer data, unwrapped into
    // peer_data/peer (the caller demultiplexes it again); false for control traffic (handled)
    // or garbage (counted and dropped).
    bool on_datagram(const std::uint8_t* data, std::size_t len, std::int64_t now_ns,
                     std::vector<std::uint8_t>& peer_data, net::SocketAddress& peer);

    // Datagrams to send to the server.
    bool poll_transmit(std::vector<std::uint8_t>& out);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace siperb::ice
