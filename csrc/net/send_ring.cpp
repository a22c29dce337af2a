#include "net/send_ring.hpp"

#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

namespace siperb::net {

namespace {
int ring_setup(unsigned entries, io_uring_params& p) noexcept {
    return static_cast<int>(::syscall(__NR_io_uring_setup, entries, &p));
}
int ring_enter(int fd, unsigned submit, unsigned complete, unsigned flags) noexcept {
    return static_cast<int>(::syscall(__NR_io_uring_enter, fd, submit, complete, flags, nullptr, 0));
}
constexpr std::uint32_t kSiocInq = 0;  // SOCKET_URING_OP_SIOCINQ (linux/io_uring.h of 6.7+)
template <class T>
T* at(void* base, unsigned off) noexcept {
    return reinterpret_cast<T*>(static_cast<char*>(base) + off);
}
}  // namespace

SendRing::~SendRing() { close(); }

void SendRing::close() noexcept {
    if (sqes_) ::munmap(sqes_, sqes_size_);
    if (sq_ring_) ::munmap(sq_ring_, sq_ring_size_);
    if (fd_ >= 0) ::close(fd_);
    sqes_ = sq_ring_ = nullptr;
    fd_ = -1;
    entries_ = 0;
}

bool SendRing::open(unsigned entries) noexcept {
    close();
    io_uring_params p{};
    // One submitter (the engine thread), completions reaped in the same call: the kernel can
    // skip the cross-thread work. Older kernels refuse these flags; plain rings work there.
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    int fd = ring_setup(entries, p);
    if (fd < 0 && errno == EINVAL) {
        p = io_uring_params{};
        fd = ring_setup(entries, p);
    }
    if (fd < 0) return false;
    if (!(p.features & IORING_FEAT_SINGLE_MMAP)) {  // kernels before 5.4: not worth a second map
        ::close(fd);
        errno = ENOSYS;
        return false;
    }
    fd_ = fd;
    const std::size_t sq = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    const std::size_t cq = p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe);
    sq_ring_size_ = sq > cq ? sq : cq;
    sq_ring_ = ::mmap(nullptr, sq_ring_size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
    if (sq_ring_ == MAP_FAILED) {
        sq_ring_ = nullptr;
        close();
        return false;
    }
    sqes_size_ = p.sq_entries * sizeof(io_uring_sqe);
    sqes_ = ::mmap(nullptr, sqes_size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
    if (sqes_ == MAP_FAILED) {
        sqes_ = nullptr;
        close();
        return false;
    }
    sq_head_ = at<unsigned>(sq_ring_, p.sq_off.head);
    sq_tail_ = at<unsigned>(sq_ring_, p.sq_off.tail);
    sq_mask_ = at<unsigned>(sq_ring_, p.sq_off.ring_mask);
    cq_head_ = at<unsigned>(sq_ring_, p.cq_off.head);
    cq_tail_ = at<unsigned>(sq_ring_, p.cq_off.tail);
    cq_mask_ = at<unsigned>(sq_ring_, p.cq_off.ring_mask);
    cqes_ = at<void>(sq_ring_, p.cq_off.cqes);
    unsigned* array = at<unsigned>(sq_ring_, p.sq_off.array);  // slot i holds SQE i, for good
    for (unsigned i = 0; i < p.sq_entries; ++i) array[i] = i;
    entries_ = p.sq_entries;
    return true;
}

bool SendRing::run(Op op, const int* fds, msghdr* const* msgs, std::size_t n, int* result) noexcept {
    if (fd_ < 0 || n == 0 || n > entries_) return false;
    auto* sqes = static_cast<io_uring_sqe*>(sqes_);
    const unsigned tail = *sq_tail_, mask = *sq_mask_;
    for (std::size_t i = 0; i < n; ++i) {
        io_uring_sqe& e = sqes[(tail + i) & mask];
        std::memset(&e, 0, sizeof e);
        e.fd = fds[i];
        e.user_data = i;
        result[i] = INT_MIN;
        if (op == Op::Inq) {
            e.opcode = IORING_OP_URING_CMD;
            e.cmd_op = kSiocInq;
            continue;
        }
        const msghdr& m = *msgs[i];
        if (op == Op::Send && !m.msg_name && m.msg_iovlen == 1 && m.msg_controllen == 0) {
            // A connected socket's packet: a plain send, which spares the kernel copying and
            // checking the message header and its iovec array.
            e.opcode = IORING_OP_SEND;
            e.addr = reinterpret_cast<std::uintptr_t>(m.msg_iov[0].iov_base);
            e.len = static_cast<std::uint32_t>(m.msg_iov[0].iov_len);
        } else {
            e.opcode = op == Op::Recv ? IORING_OP_RECVMSG : IORING_OP_SENDMSG;
            e.addr = reinterpret_cast<std::uintptr_t>(msgs[i]);
            e.len = 1;
        }
        // Fail with EAGAIN rather than wait for room (or, reading, for a datagram).
        e.msg_flags = op == Op::Recv ? MSG_DONTWAIT : MSG_DONTWAIT | MSG_NOSIGNAL;
    }
    __atomic_store_n(sq_tail_, tail + static_cast<unsigned>(n), __ATOMIC_RELEASE);
    int r;
    do r = ring_enter(fd_, static_cast<unsigned>(n), static_cast<unsigned>(n), IORING_ENTER_GETEVENTS);
    while (r < 0 && errno == EINTR && __atomic_load_n(sq_head_, __ATOMIC_ACQUIRE) == tail);
    // What the kernel did not take is taken back, so no stale message goes out later.
    const unsigned taken = __atomic_load_n(sq_head_, __ATOMIC_ACQUIRE) - tail;
    if (taken < n) __atomic_store_n(sq_tail_, tail + taken, __ATOMIC_RELEASE);
    unsigned reaped = 0;
    for (int spins = 0; reaped < taken && spins < 1000; ++spins) {
        unsigned head = *cq_head_;
        const unsigned ctail = __atomic_load_n(cq_tail_, __ATOMIC_ACQUIRE);
        for (; head != ctail; ++head, ++reaped) {
            const auto& c = static_cast<io_uring_cqe*>(cqes_)[head & *cq_mask_];
            if (c.user_data < n) result[c.user_data] = c.res;
        }
        __atomic_store_n(cq_head_, head, __ATOMIC_RELEASE);
        if (reaped < taken) ring_enter(fd_, 0, taken - reaped, IORING_ENTER_GETEVENTS);
    }
    return taken > 0;
}

}  // namespace siperb::net
