#include "media/recv_batch.hpp"

#include "common/clock.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace siperb::media {

namespace {
constexpr std::int64_t kMs = 1'000'000;

bool disabled_by_environment() noexcept {
    const char* v = std::getenv("SIPERB_RECV_BATCH");
    return v && (std::strcmp(v, "off") == 0 || std::strcmp(v, "0") == 0);
}

bool icmp_error(int err) noexcept { return err == ECONNREFUSED || err == EHOSTUNREACH || err == ENETUNREACH; }

// The kernel's receive time of msg (SO_TIMESTAMPNS, CLOCK_REALTIME) on the monotonic clock.
std::int64_t arrival_ns(const msghdr& msg, std::int64_t now, std::int64_t& mono, std::int64_t& real) noexcept {
    for (const cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(const_cast<msghdr*>(&msg), const_cast<cmsghdr*>(c))) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS) continue;
        timespec ts;
        std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
        if (real == 0) {
            real = realtime_ns();
            mono = monotonic_ns();
        }
        const std::int64_t age = real - (std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec);
        return mono - std::clamp<std::int64_t>(age, 0, 10'000 * kMs);  // a clock step is not a delay
    }
    return now;
}
}  // namespace

RecvBatch::RecvBatch(bool probe) : slots_(std::make_unique<std::array<Slot, kCapacity>>()) {
    probe_ = probe ? State::On : State::Off;
    for (std::size_t k = 0; k < kCapacity; ++k) {
        Slot& s = (*slots_)[k];
        s.iov = {s.data.data(), s.data.size() - 1};
        msghdr& h = msgs_[k].msg_hdr;
        h.msg_name = &s.name;
        h.msg_iov = &s.iov;
        h.msg_iovlen = 1;
        h.msg_control = s.control.data();
        hdrs_[k] = &h;
    }
}

RecvBatch::~RecvBatch() = default;

void RecvBatch::reset(std::size_t k) noexcept {  // the kernel rewrites these on every receive
    msghdr& h = msgs_[k].msg_hdr;
    h.msg_namelen = sizeof(sockaddr_storage);
    h.msg_controllen = (*slots_)[k].control.size();
    h.msg_flags = 0;
}

void RecvBatch::deliver(std::size_t k, std::size_t i, int len, std::int64_t now, Clocks& clocks, Sink& sink) {
    const msghdr& h = msgs_[k].msg_hdr;
    net::SocketAddress from;
    std::memcpy(&from.storage, h.msg_name, std::min<std::size_t>(h.msg_namelen, sizeof from.storage));
    from.length = h.msg_namelen;
    sink.datagram(i, (*slots_)[k].data.data(), len, from, arrival_ns(h, now, clocks.mono, clocks.real));
}

void RecvBatch::drain_one(int fd, std::size_t i, std::int64_t now, Sink& sink) {
    Clocks clocks;
    for (int round = 0; round < kMaxRounds; ++round) {
        for (std::size_t k = 0; k < kDirect; ++k) reset(k);
        const int n = ::recvmmsg(fd, msgs_.data(), kDirect, MSG_DONTWAIT, nullptr);
        if (n < 0) {
            if (!icmp_error(errno)) return;  // EAGAIN: drained
            sink.read_error(i, errno);
            continue;
        }
        for (int k = 0; k < n; ++k)
            deliver(static_cast<std::size_t>(k), i, static_cast<int>(msgs_[static_cast<std::size_t>(k)].msg_len), now, clocks, sink);
        if (n < static_cast<int>(kDirect)) return;
    }
}

bool RecvBatch::drain(net::SendRing* ring, const int* fds, std::size_t n, std::int64_t now, Sink& sink) {
    if (state_ == State::Untried) state_ = disabled_by_environment() ? State::Off : State::On;
    if (!ring || state_ == State::Off || ring->capacity() < kCapacity) return false;
    Clocks clocks;
    pending_.resize(n);
    for (std::size_t i = 0; i < n; ++i) pending_[i] = static_cast<std::uint32_t>(i);
    for (int round = 0; round < kRingRounds && !pending_.empty(); ++round) {
        next_.clear();  // read again: an ICMP error came first
        more_.clear();  // gave a datagram: perhaps more queued
        for (std::size_t first = 0; first < pending_.size(); first += kCapacity) {
            const std::size_t m = std::min(kCapacity, pending_.size() - first);
            for (std::size_t k = 0; k < m; ++k) {
                reset(k);
                fds_[k] = fds[pending_[first + k]];
            }
            if (ring->receive(fds_.data(), hdrs_.data(), m, result_.data())) ++stats_.submits;
            else std::fill_n(result_.begin(), m, INT_MIN);
            for (std::size_t k = 0; k < m; ++k) {
                const std::uint32_t i = pending_[first + k];
                const int r = result_[k];
                if (r >= 0) {
                    ++stats_.packets;
                    deliver(k, i, r, now, clocks, sink);
                    more_.push_back(i);
                } else if (r == INT_MIN) {  // the kernel did not take it: read it directly, below
                    direct_.push_back(i);
                } else if (icmp_error(-r)) {
                    sink.read_error(i, -r);
                    next_.push_back(i);
                }  // EAGAIN: drained
            }
            for (const std::uint32_t i : direct_) drain_one(fds[i], i, now, sink);  // reuses the slots
            direct_.clear();
        }
        probe(*ring, fds);  // moves the sockets of more_ that still hold a datagram to next_
        pending_.swap(next_);
    }
    for (const std::uint32_t i : pending_) drain_one(fds[i], i, now, sink);  // bursts
    return true;
}

void RecvBatch::probe(net::SendRing& ring, const int* fds) {
    if (probe_ == State::Off) {  // a kernel without SIOCINQ in io_uring: read again to know
        next_.insert(next_.end(), more_.begin(), more_.end());
        return;
    }
    for (std::size_t first = 0; first < more_.size(); first += kCapacity) {
        const std::size_t m = std::min(kCapacity, more_.size() - first);
        for (std::size_t k = 0; k < m; ++k) fds_[k] = fds[more_[first + k]];
        if (ring.queued(fds_.data(), m, result_.data())) ++stats_.probes;
        else std::fill_n(result_.begin(), m, INT_MIN);
        for (std::size_t k = 0; k < m; ++k) {
            const int r = result_[k];
            if (r == 0) continue;  // nothing queued
            next_.push_back(more_[first + k]);
            if (r < 0 && r != INT_MIN) probe_ = State::Off;  // EOPNOTSUPP, EINVAL: not this kernel
        }
    }
}

}  // namespace siperb::media
