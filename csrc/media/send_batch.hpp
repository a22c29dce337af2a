// The packets one engine thread sends during a run of ticks, handed to the kernel together: while
// a SendBatch::Scope is open on the thread, RtpTransport queues each protected packet here
// (copied into a fixed slot: no allocation per packet) instead of calling sendto, and the batch
// goes out with one io_uring submission per kCapacity packets (net::SendRing), each packet from
// its own session's socket to its own destination. Measured on loopback (2-core VM): a
// sendto costs about 3.1 us of CPU, a packet of a 1,000-packet submission about 2.2 us;
// sendmmsg on each session's socket with its one packet is slower than sendto (it takes one
// socket per call), and one shared socket would change the source port (symmetric RTP).
//
// A packet waits for at most the kCapacity - 1 ticks queued after it (about 0.3 ms of G.711
// work), never past the end of the run: the worker runs the ticks of one 1 ms phase bin at once.
//
// A send that fails (its errno, or a partial submission's leftovers sent one by one) is
// reported to its transport (RtpTransport::on_send_error: send_errors, ICMP errors) as a
// sendto failure was. Without io_uring (refused by the kernel or a seccomp profile, or
// SIPERB_SEND_BATCH=off in the environment) nothing is queued and sessions send directly.
// Engine thread only.
#pragma once

#include "net/send_ring.hpp"
#include "net/udp_socket.hpp"

#include <array>
#include <cstdint>
#include <memory>

namespace siperb::media {

class RtpTransport;

struct SendBatchStats {
    std::uint64_t submits = 0, packets = 0, errors = 0, fallbacks = 0;
};

class SendBatch {
public:
    static constexpr std::size_t kCapacity = 64;
    static constexpr std::size_t kMaxPacket = 1500 + 160;  // an RTP packet plus its SRTP trailer

    SendBatch();
    ~SendBatch();
    SendBatch(const SendBatch&) = delete;
    SendBatch& operator=(const SendBatch&) = delete;

    // Queues a copy of buf for `to` on fd; owner hears of a failure. connected: fd is
    // connect()ed to `to`, and the packet goes without an address (the kernel's cached route).
    // False when not batching (no ring, or a packet too large): the caller sends it itself.
    bool queue(int fd, const std::uint8_t* buf, std::size_t len, const net::SocketAddress& to, RtpTransport* owner,
               bool connected = false) noexcept;
    // Sends what is queued (one submission; per packet sendto where the ring did not take it).
    void flush() noexcept;
    std::size_t pending() const noexcept { return n_; }
    // True once the ring is open (opened on first use, on the thread that uses it).
    bool batching() noexcept;
    // The thread's ring, for its receives too (RecvBatch); null when not batching.
    net::SendRing* ring() noexcept { return batching() ? &ring_ : nullptr; }
    const SendBatchStats& stats() const noexcept { return stats_; }

    // The batch RtpTransport queues into on this thread (null: send directly).
    static SendBatch* active() noexcept;

    // Makes b the thread's active batch; flushes it and restores the previous one at the end.
    class Scope {
    public:
        explicit Scope(SendBatch& b) noexcept;
        ~Scope();
        Scope(const Scope&) = delete;
        Scope& operator=(const Scope&) = delete;

    private:
        SendBatch& b_;
        SendBatch* prev_;
    };

private:
    struct Slot {
        msghdr hdr;
        iovec iov;
        sockaddr_storage to;
        socklen_t to_len;  // kept for error reports when the packet goes without it
        RtpTransport* owner;
        std::array<std::uint8_t, kMaxPacket> data;
    };
    void send_one(std::size_t i) noexcept;

    std::unique_ptr<std::array<Slot, kCapacity>> slots_;  // ~110 KB, once per thread
    std::array<int, kCapacity> fds_{};
    std::array<msghdr*, kCapacity> msgs_{};
    std::array<int, kCapacity> result_{};
    std::size_t n_ = 0;
    enum class State : std::uint8_t { Untried, Open, Off } state_ = State::Untried;
    net::SendRing ring_;
    SendBatchStats stats_;
};

}  // namespace siperb::media
