#include "media/rtp_transport.hpp"

#include "common/clock.hpp"
#include "media/send_batch.hpp"

#include <linux/errqueue.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace siperb::media {

void RtpTransport::swap_srtp(std::unique_ptr<SrtpContext>& tx, std::unique_ptr<SrtpContext>& rx) noexcept {
    std::swap(srtp_tx_, tx);
    std::swap(srtp_rx_, rx);
}

void RtpTransport::send(int fd, std::uint8_t* buf, int len, bool rtcp, const net::SocketAddress& to) noexcept {
    if (!open_) return;
    SrtpContext* srtp = srtp_tx_.get();
    if (srtp && !(rtcp ? srtp->protect_rtcp(buf, len) : srtp->protect_rtp(buf, len))) {
        ++st_.srtp_errors;
        return;
    }
    if (relay_ && !to.empty()) {
        relay_->send_media(to, buf, static_cast<std::size_t>(len));
        return;
    }
    if (fd < 0 || to.empty()) return;
    // During the engine thread's ticks the packet joins the thread's batch (one system call
    // for many sessions); otherwise, or without io_uring, it goes now.
    if (SendBatch* batch = SendBatch::active(); batch && batch->queue(fd, buf, static_cast<std::size_t>(len), to, this))
        return;
    if (::sendto(fd, buf, static_cast<std::size_t>(len), 0, to.sa(), to.length) < 0) on_send_error(errno, to);
}

void RtpTransport::on_send_error(int err, const net::SocketAddress& to) noexcept {
    ++st_.send_errors;
    if (err == ECONNREFUSED || err == EHOSTUNREACH || err == ENETUNREACH) on_recv_error(err, &to, 0);
}

bool RtpTransport::unprotect(std::uint8_t* buf, int& len, bool rtcp) noexcept {
    if (!srtp_rx_) return true;
    const SrtpStatus s = rtcp ? srtp_rx_->unprotect_rtcp(buf, len) : srtp_rx_->unprotect_rtp(buf, len);
    if (s == SrtpStatus::Ok) return true;
    ++(s == SrtpStatus::AuthFail ? st_.srtp_auth_failures : s == SrtpStatus::ReplayFail ? st_.srtp_replays : st_.srtp_errors);
    return false;
}

void RtpTransport::on_recv_error(int err, const net::SocketAddress* to, std::int64_t now_ns) noexcept {
    ++st_.icmp_errors;
    if (now_ns == 0) now_ns = monotonic_ns();
    if (last_icmp_ns_ != 0 && now_ns - last_icmp_ns_ < 1'000'000'000) return;  // one event a second
    last_icmp_ns_ = now_ns;
    events_.emit(MediaEventType::IcmpError, err, to ? to : &remote_rtp_);
}

void RtpTransport::on_error_queue(int fd, std::int64_t now_ns) noexcept {
    for (int i = 0; i < 16; ++i) {
        std::array<std::uint8_t, 512> control{};
        std::array<std::uint8_t, 64> data{};
        sockaddr_storage name{};
        iovec iov{data.data(), data.size()};
        msghdr msg{};
        msg.msg_name = &name;
        msg.msg_namelen = sizeof name;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.data();
        msg.msg_controllen = control.size();
        if (::recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) return;
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            if (!((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
                  (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)))
                continue;
            sock_extended_err ee;
            std::memcpy(&ee, CMSG_DATA(c), sizeof ee);
            if (ee.ee_origin != SO_EE_ORIGIN_ICMP && ee.ee_origin != SO_EE_ORIGIN_ICMP6) continue;
            net::SocketAddress to;
            to.storage = name;
            to.length = msg.msg_namelen;
            on_recv_error(static_cast<int>(ee.ee_errno), to.length ? &to : nullptr, now_ns);
        }
    }
}

}  // namespace siperb::media
