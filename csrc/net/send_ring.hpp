// A minimal io_uring used for one thing: handing the kernel a batch of sendmsg (or recvmsg,
// or SIOCINQ) calls on different sockets in one system call. sendmmsg takes one socket, and every media session
// owns its own socket (its RTP port is its source port: symmetric RTP and NATs need it), so
// sendmmsg cannot batch across sessions; an io_uring submission can. Raw system calls (the
// kernel's uapi header), no liburing. Sends are non-blocking (MSG_DONTWAIT): each completes,
// or fails with its errno, inside the submission, so submit() never waits on the network.
//
// Where io_uring is missing or forbidden (old kernels, a container's seccomp profile,
// kernel.io_uring_disabled), open() returns false and the caller sends one by one.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>

namespace siperb::net {

class SendRing {
public:
    SendRing() = default;
    ~SendRing();
    SendRing(const SendRing&) = delete;
    SendRing& operator=(const SendRing&) = delete;

    // Creates the ring on the calling thread (its only submitter), with room for `entries`
    // sends per submit. False (errno kept) when the kernel refuses.
    bool open(unsigned entries) noexcept;
    bool is_open() const noexcept { return fd_ >= 0; }
    unsigned capacity() const noexcept { return entries_; }

    // Sends msgs[i] on fds[i] for i < n (n <= capacity()), one system call (a message without
    // a name, one buffer and no control data, on a connected socket, as a plain send); result[i] is the
    // byte count or -errno, or INT_MIN when the kernel did not take it (the caller sends those
    // one by one). False when it took none.
    bool submit(const int* fds, msghdr* const* msgs, std::size_t n, int* result) noexcept {
        return run(Op::Send, fds, msgs, n, result);
    }
    // The same with recvmsg: one datagram (or -EAGAIN at once: MSG_DONTWAIT) per socket.
    // io_uring reports no "more queued" for UDP (IORING_CQE_F_SOCK_NONEMPTY stays clear).
    bool receive(const int* fds, msghdr* const* msgs, std::size_t n, int* result) noexcept {
        return run(Op::Recv, fds, msgs, n, result);
    }
    // SIOCINQ on each socket (SOCKET_URING_OP_SIOCINQ, Linux 6.7+): for UDP the length of the
    // first queued datagram, 0 when none; a negative errno where the kernel cannot.
    bool queued(const int* fds, std::size_t n, int* result) noexcept { return run(Op::Inq, fds, nullptr, n, result); }

private:
    enum class Op : std::uint8_t { Send, Recv, Inq };
    bool run(Op op, const int* fds, msghdr* const* msgs, std::size_t n, int* result) noexcept;
    void close() noexcept;

    int fd_ = -1;
    unsigned entries_ = 0;
    void* sq_ring_ = nullptr;
    std::size_t sq_ring_size_ = 0;
    void* sqes_ = nullptr;
    std::size_t sqes_size_ = 0;
    unsigned* sq_head_ = nullptr;
    unsigned* sq_tail_ = nullptr;
    unsigned* sq_mask_ = nullptr;
    unsigned* cq_head_ = nullptr;
    unsigned* cq_tail_ = nullptr;
    unsigned* cq_mask_ = nullptr;
    void* cqes_ = nullptr;
};

}  // namespace siperb::net
