// What one engine thread reads: the RTP that arrived on its due sessions' sockets since their
// last tick, read right before their ticks. With the thread's io_uring (SendBatch's ring) the
// sockets of a run of ticks are read together: one submission holds one recvmsg per socket
// (MSG_DONTWAIT: a datagram or EAGAIN at once); the kernel does not say whether more is queued
// behind a UDP datagram, so a second submission asks the sockets that gave one (SIOCINQ, Linux
// 6.7+; where the kernel cannot, they are read again), and only those holding another are read
// again (SIOCINQ gives the first datagram's length: one of zero bytes, never valid RTP, reads
// as none, and what is queued behind it waits for the next tick). A run of N sessions with one
// packet each costs two system calls instead of N recvmmsg calls, and no read that finds its
// socket empty (measured: such a read costs about 0.6 us a packet, the SIOCINQ about 0.3). A
// socket that still holds datagrams after kRingRounds (a burst) is drained with recvmmsg, as is every socket without the ring (refused by the kernel,
// SIPERB_SEND_BATCH=off or SIPERB_RECV_BATCH=off). Datagrams land in fixed per-thread buffers
// (no allocation per packet) and reach their session in arrival order with the kernel's
// receive time (SO_TIMESTAMPNS) on the monotonic clock. Engine thread only.
#pragma once

#include "net/send_ring.hpp"
#include "net/udp_socket.hpp"

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

namespace siperb::media {

struct RecvBatchStats {
    std::uint64_t submits = 0, packets = 0;  // ring submissions, datagrams read through them
    std::uint64_t probes = 0;                // SIOCINQ submissions
};

class RecvBatch {
public:
    static constexpr std::size_t kCapacity = 64;  // sockets per submission (the ring's size)
    static constexpr int kRingRounds = 2;         // ring reads per socket before recvmmsg
    static constexpr int kMaxRounds = 8;          // recvmmsg calls of kDirect per socket

    // Who gets what is read: socket i of the caller's list.
    class Sink {
    public:
        virtual void datagram(std::size_t i, std::uint8_t* data, int len, const net::SocketAddress& from,
                              std::int64_t arrival_ns) = 0;
        virtual void read_error(std::size_t i, int err) = 0;  // ICMP: ECONNREFUSED ...

    protected:
        ~Sink() = default;
    };

    // probe false: never SIOCINQ (as on a kernel without it): a socket that gave a datagram is read again.
    explicit RecvBatch(bool probe = true);
    ~RecvBatch();
    RecvBatch(const RecvBatch&) = delete;
    RecvBatch& operator=(const RecvBatch&) = delete;

    // Reads everything queued on fds[0..n) through ring, per socket in order. False (nothing
    // read) when ring is null or receive batching is switched off: use drain_one.
    bool drain(net::SendRing* ring, const int* fds, std::size_t n, std::int64_t now, Sink& sink);
    // Reads everything queued on fd with recvmmsg (at most kMaxRounds x kDirect datagrams).
    void drain_one(int fd, std::size_t i, std::int64_t now, Sink& sink);
    const RecvBatchStats& stats() const noexcept { return stats_; }

private:
    static constexpr std::size_t kDirect = 8;  // datagrams per recvmmsg
    struct Slot {
        std::array<std::uint8_t, 2048> data;
        sockaddr_storage name;
        std::array<std::uint8_t, CMSG_SPACE(sizeof(timespec)) + 64> control;
        iovec iov;
    };
    void reset(std::size_t k) noexcept;
    void probe(net::SendRing& ring, const int* fds);
    // Both clocks read together at a drain's first timestamp: read apart (a system call between,
    // or a preemption) their gap would shift arrival times and show as jitter.
    struct Clocks {
        std::int64_t mono = 0, real = 0;
    };
    void deliver(std::size_t k, std::size_t i, int len, std::int64_t now, Clocks& clocks, Sink& sink);

    std::unique_ptr<std::array<Slot, kCapacity>> slots_;  // ~140 KB, once per thread
    std::array<mmsghdr, kCapacity> msgs_{};
    std::array<msghdr*, kCapacity> hdrs_{};
    std::array<int, kCapacity> fds_{}, result_{};
    std::vector<std::uint32_t> pending_, next_, more_, direct_;  // socket indexes (grown once, then reused)
    enum class State : std::uint8_t { Untried, On, Off } state_ = State::Untried, probe_ = State::On;
    RecvBatchStats stats_;
};

}  // namespace siperb::media
