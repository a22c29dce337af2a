// Where one stream's datagrams go and how they are protected: the RTP and RTCP sockets (owned
// by MediaSession; -1 when a fuzzer drives the stream), the remote addresses, the SRTP
// contexts of both directions, and the ICMP errors sends run into. Engine thread only.
#pragma once

#include "media/session_stats.hpp"
#include "media/srtp.hpp"
#include "media/stream_events.hpp"
#include "net/udp_socket.hpp"

#include <cstdint>
#include <memory>

namespace siperb::media {

// Where protected packets go instead of the socket when the path is a TURN relay (WebRTC).
class MediaRelay {
public:
    virtual void send_media(const net::SocketAddress& to, const std::uint8_t* data, std::size_t len) noexcept = 0;

protected:
    ~MediaRelay() = default;
};

class RtpTransport {
public:
    RtpTransport(int rtp_fd, int rtcp_fd, SessionStats& st, StreamEvents& events) noexcept
        : rtp_fd_(rtp_fd), rtcp_fd_(rtcp_fd), st_(st), events_(events) {}

    const net::SocketAddress& remote_rtp() const noexcept { return remote_rtp_; }
    const net::SocketAddress& remote_rtcp() const noexcept { return remote_rtcp_; }
    void set_remote_rtp(const net::SocketAddress& a) noexcept { remote_rtp_ = a; }
    void set_remote_rtcp(const net::SocketAddress& a) noexcept { remote_rtcp_ = a; }
    void set_rtcp_mux(bool mux) noexcept { rtcp_mux_ = mux; }
    // The replaced contexts are left in tx and rx (freed by the caller, off the engine thread).
    void swap_srtp(std::unique_ptr<SrtpContext>& tx, std::unique_ptr<SrtpContext>& rx) noexcept;

    // Protects in place and sends; buf has SrtpContext::kSrtpTrailer bytes of room after len.
    void send_rtp(std::uint8_t* buf, int len) noexcept { send(rtp_fd_, buf, len, false, remote_rtp_); }
    void send_rtcp(std::uint8_t* buf, int len) noexcept {
        send(rtcp_mux_ ? rtp_fd_ : rtcp_fd_, buf, len, true, remote_rtcp_);
    }
    // WebRTC: nothing is sent until DTLS gave keys and ICE a pair, nor after consent is lost.
    void set_send_open(bool open) noexcept { open_ = open; }
    bool send_open() const noexcept { return open_; }
    bool protects() const noexcept { return srtp_tx_ != nullptr; }
    void set_relay(MediaRelay* relay) noexcept { relay_ = relay; }
    // True when received packets are SRTP: one that unprotects came from the key holder.
    bool authenticates() const noexcept { return srtp_rx_ != nullptr; }
    // Unprotects in place (len updated); false, and counted, when the packet must be dropped.
    bool unprotect(std::uint8_t* buf, int& len, bool rtcp) noexcept;

    // An ICMP error (ECONNREFUSED ...) for a datagram to `to` (null: the remote RTP address);
    // now_ns 0 reads the clock. Counted; reported at most once a second.
    void on_recv_error(int err, const net::SocketAddress* to, std::int64_t now_ns) noexcept;
    // Drains fd's error queue (IP_RECVERR) into on_recv_error.
    void on_error_queue(int fd, std::int64_t now_ns) noexcept;
    // A send to `to` failed with err (here, or later in the thread's SendBatch): counted in
    // send_errors, and an ICMP-reported one as on_recv_error.
    void on_send_error(int err, const net::SocketAddress& to) noexcept;

private:
    void send(int fd, std::uint8_t* buf, int len, bool rtcp, const net::SocketAddress& to) noexcept;

    int rtp_fd_, rtcp_fd_;
    bool rtcp_mux_ = false;
    bool open_ = true;
    MediaRelay* relay_ = nullptr;
    net::SocketAddress remote_rtp_, remote_rtcp_;
    std::unique_ptr<SrtpContext> srtp_tx_, srtp_rx_;
    std::int64_t last_icmp_ns_ = 0;
    SessionStats& st_;
    StreamEvents& events_;
};

}  // namespace siperb::media
