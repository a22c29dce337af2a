// A STUN Binding client (RFC 8489) for server-reflexive gathering, sans-IO: start() queues a
// Binding request to the server, poll_transmit() hands it out, on_datagram() takes the answer
// and yields the mapped (server-reflexive) address. Retransmissions double from rto_ms
// (100, 200, 400 ms ...) and the whole attempt gives up at cap_ms, so a call's INVITE is never
// held back longer than the cap waiting for a STUN server that does not answer.
#pragma once

#include "ice/ice_agent.hpp"
#include "ice/stun_message.hpp"
#include "net/udp_socket.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace siperb::ice {

struct StunBindingConfig {
    std::uint32_t rto_ms = 100;   // first retransmission timeout, doubled each time
    std::uint32_t cap_ms = 1500;  // give up (Failed) after this long without an answer
    std::string software;         // SOFTWARE attribute when not empty
};

enum class StunBindingState { Idle, Running, Done, Failed };

class StunBindingClient {
public:
    explicit StunBindingClient(StunBindingConfig cfg = {});

    // (Re)starts a Binding transaction towards `server` (numeric).
    void start(const net::SocketAddress& server, std::int64_t now_ns);
    // The Binding request (and retransmissions) to send to the server.
    bool poll_transmit(Transmit& out);
    // A datagram that arrived on the socket: true when it was the answer to our transaction
    // (consumed; state Done or Failed), false when it is not ours (the caller passes it on).
    bool on_datagram(const std::uint8_t* data, std::size_t len, const net::SocketAddress& from,
                     std::int64_t now_ns);
    std::int64_t next_deadline() const noexcept;  // INT64_MAX when not running
    void on_timeout(std::int64_t now_ns);

    StunBindingState state() const noexcept { return state_; }
    const net::SocketAddress& server() const noexcept { return server_; }
    // The server-reflexive address, once Done.
    std::optional<net::SocketAddress> mapped() const { return mapped_; }
    const std::string& failure() const noexcept { return failure_; }
    unsigned transmissions() const noexcept { return sent_; }

private:
    void queue_request();

    StunBindingConfig cfg_;
    StunBindingState state_ = StunBindingState::Idle;
    net::SocketAddress server_;
    StunTransactionId tid_{};
    std::vector<std::uint8_t> request_;
    bool pending_ = false;
    unsigned sent_ = 0;
    std::int64_t started_ns_ = 0, next_ns_ = INT64_MAX;
    std::uint32_t rto_current_ms_ = 0;
    std::optional<net::SocketAddress> mapped_;
    std::string failure_;
};

}  // namespace siperb::ice
