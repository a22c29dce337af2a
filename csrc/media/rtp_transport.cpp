#include "media/rtp_transport.hpp"

#include "common/clock.hpp"
#include "media/send_batch.hpp"

#include <linux/errqueue.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstdlib>
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
    // To the connected peer without an address: with one the kernel looks the route up again.
    const bool to_peer = connected_ && fd == rtp_fd_ && to == peer_;
    const auto n = static_cast<std::size_t>(len);
    // During the engine thread's ticks the packet joins the thread's batch (one system call
    // for many sessions); otherwise, or without io_uring, it goes now.
    if (SendBatch* batch = SendBatch::active(); batch && batch->queue(fd, buf, n, to, this, to_peer)) return;
    if ((to_peer ? ::send(fd, buf, n, 0) : ::sendto(fd, buf, n, 0, to.sa(), to.length)) < 0) on_send_error(errno, to);
}

namespace {
bool connecting_disabled() noexcept {  // SIPERB_CONNECT_PEER=off: measured against (bench_media.py)
    const char* v = std::getenv("SIPERB_CONNECT_PEER");
    return v && (std::strcmp(v, "off") == 0 || std::strcmp(v, "0") == 0);
}
}  // namespace

void RtpTransport::settle(const net::SocketAddress& source, std::int64_t heard_ns, std::int64_t now_ns) noexcept {
    const bool settled = heard_ns >= 0 && now_ns - heard_ns < kSettledNs && !source.empty() && source == remote_rtp_ &&
                         !relay_ && rtp_fd_ >= 0 && (!rtcp_mux_ || remote_rtcp_ == remote_rtp_);
    if (!settled) {
        if (connected_) unsettle();
        return;
    }
    if (connected_ && source == peer_) return;
    if (source == refused_) return;  // asked once: not again at every tick
    if (bound_ == Bound::Unknown)
        bound_ = !connecting_disabled() && net::bound_to_one_address(rtp_fd_) ? Bound::One : Bound::Wildcard;
    if (bound_ != Bound::One) return;
    if (!net::connect_peer(rtp_fd_, source)) {
        refused_ = source;
        if (connected_) unsettle();
        return;
    }
    peer_ = source;
    connected_ = true;
}

void RtpTransport::unsettle() noexcept {
    // A socket that stays connected would keep dropping what the source rules must see; if
    // the kernel refuses (it does not for UDP), the next settle() tries again.
    if (net::disconnect_peer(rtp_fd_)) connected_ = false;
    peer_ = {};
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

int RtpTransport::on_error_queue(int fd, std::int64_t now_ns) noexcept {
    int icmp = 0;
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
        if (::recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) return icmp;
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
            ++icmp;
        }
    }
    return icmp;
}

}  // namespace siperb::media
