#include "media/send_batch.hpp"

#include "media/rtp_transport.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

namespace siperb::media {

namespace {
thread_local SendBatch* t_active = nullptr;

bool disabled_by_environment() noexcept {
    const char* v = std::getenv("SIPERB_SEND_BATCH");
    return v && (std::strcmp(v, "off") == 0 || std::strcmp(v, "0") == 0);
}
}  // namespace

SendBatch::SendBatch() : slots_(std::make_unique<std::array<Slot, kCapacity>>()) {
    for (std::size_t i = 0; i < kCapacity; ++i) {
        Slot& s = (*slots_)[i];
        s.iov = {s.data.data(), 0};
        s.hdr = msghdr{};
        s.hdr.msg_name = &s.to;
        s.hdr.msg_iov = &s.iov;
        s.hdr.msg_iovlen = 1;
        msgs_[i] = &s.hdr;
    }
}

SendBatch::~SendBatch() = default;  // empty: every Scope flushed it

SendBatch* SendBatch::active() noexcept { return t_active; }

SendBatch::Scope::Scope(SendBatch& b) noexcept : b_(b), prev_(t_active) { t_active = &b; }

SendBatch::Scope::~Scope() {
    b_.flush();
    t_active = prev_;
}

bool SendBatch::batching() noexcept {
    if (state_ == State::Untried)
        state_ = !disabled_by_environment() && ring_.open(static_cast<unsigned>(kCapacity)) && ring_.capacity() >= kCapacity
                     ? State::Open
                     : State::Off;
    return state_ == State::Open;
}

bool SendBatch::queue(int fd, const std::uint8_t* buf, std::size_t len, const net::SocketAddress& to, RtpTransport* owner,
                      bool connected) noexcept {
    if (len > kMaxPacket || to.length > sizeof(sockaddr_storage) || !batching()) return false;
    if (n_ == kCapacity) flush();
    Slot& s = (*slots_)[n_];
    std::memcpy(s.data.data(), buf, len);
    s.iov.iov_len = len;
    std::memcpy(&s.to, &to.storage, to.length);
    s.to_len = to.length;
    s.hdr.msg_name = connected ? nullptr : &s.to;  // SendRing sends an unnamed one as IORING_OP_SEND
    s.hdr.msg_namelen = connected ? 0 : to.length;
    s.owner = owner;
    fds_[n_] = fd;
    ++n_;
    return true;
}

void SendBatch::send_one(std::size_t i) noexcept {
    Slot& s = (*slots_)[i];
    ++stats_.fallbacks;
    if (::sendmsg(fds_[i], &s.hdr, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) result_[i] = -errno;
    else result_[i] = static_cast<int>(s.iov.iov_len);
}

void SendBatch::flush() noexcept {
    if (n_ == 0) return;
    const std::size_t n = n_;
    n_ = 0;
    if (ring_.submit(fds_.data(), msgs_.data(), n, result_.data())) ++stats_.submits;
    else
        for (std::size_t i = 0; i < n; ++i) result_[i] = INT_MIN;
    stats_.packets += n;
    for (std::size_t i = 0; i < n; ++i) {
        if (result_[i] == INT_MIN) send_one(i);  // the kernel did not take it
        if (result_[i] >= 0) continue;
        ++stats_.errors;
        Slot& s = (*slots_)[i];
        net::SocketAddress to;
        std::memcpy(&to.storage, &s.to, s.to_len);
        to.length = s.to_len;
        if (s.owner) s.owner->on_send_error(-result_[i], to);
    }
}

}  // namespace siperb::media
