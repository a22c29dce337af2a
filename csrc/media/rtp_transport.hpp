// Where one stream's datagrams go and how they are protected: the RTP and RTCP sockets (owned
// by MediaSession; -1 when a fuzzer drives the stream), the remote addresses, the SRTP
// contexts of both directions, and the ICMP errors sends run into. Engine thread only.
//
// A settled peer gets a connected socket (settle()): once the RTP source in force is also
// where our RTP goes (the negotiated remote, or the latched one with symmetric RTP) and was
// heard within kSettledNs, the RTP socket is connect()ed to it. The kernel then keeps the route
// (a send without an address skips the route lookup an unconnected sendto pays per packet; on
// a real interface the receive side takes the early-demux path) and drops datagrams from any
// other address before we read them, which the source rules (source_latch.hpp) would drop
// anyway. Everything that needs other sources disconnects first (AF_UNSPEC): the source going
// quiet (kSettledNs < SourceLatch::kQuietNs - 4 packet times, so a NAT rebinding's packets are
// seen in time to latch as before; also the peer's hold or DTX pauses), a new remote (re-INVITE,
// set_remote, a latch) at once, a TURN relay. Not connected: RTCP sockets (a report every few
// seconds, and RTCP may come from another port of the peer's host), WebRTC sockets (STUN
// from the TURN and STUN servers, checks on other pairs and ICE restarts share that socket),
// sockets bound to a wildcard address (see net::bound_to_one_address).
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
    void set_remote_rtp(const net::SocketAddress& a) noexcept {
        remote_rtp_ = a;
        if (connected_ && !(a == peer_)) unsettle();  // the new remote's packets must get in
    }
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
    void set_relay(MediaRelay* relay) noexcept {
        relay_ = relay;
        if (relay) unsettle();
    }
    // True when received packets are SRTP: one that unprotects came from the key holder.
    bool authenticates() const noexcept { return srtp_rx_ != nullptr; }
    // Unprotects in place (len updated); false, and counted, when the packet must be dropped.
    bool unprotect(std::uint8_t* buf, int& len, bool rtcp) noexcept;

    // An ICMP error (ECONNREFUSED ...) for a datagram to `to` (null: the remote RTP address);
    // now_ns 0 reads the clock. Counted; reported at most once a second.
    void on_recv_error(int err, const net::SocketAddress* to, std::int64_t now_ns) noexcept;
    // Drains fd's error queue (IP_RECVERR) into on_recv_error; the ICMP errors it held.
    int on_error_queue(int fd, std::int64_t now_ns) noexcept;
    // A send to `to` failed with err (here, or later in the thread's SendBatch): counted in
    // send_errors, and an ICMP-reported one as on_recv_error.
    void on_send_error(int err, const net::SocketAddress& to) noexcept;

    // Connects the RTP socket to source when it is remote_rtp() and was heard (heard_ns, -1:
    // never) within kSettledNs of now_ns, disconnects it when not (see above). Once per tick.
    static constexpr std::int64_t kSettledNs = 160'000'000;
    void settle(const net::SocketAddress& source, std::int64_t heard_ns, std::int64_t now_ns) noexcept;
    bool connected() const noexcept { return connected_; }

private:
    void unsettle() noexcept;
    void send(int fd, std::uint8_t* buf, int len, bool rtcp, const net::SocketAddress& to) noexcept;

    int rtp_fd_, rtcp_fd_;
    bool rtcp_mux_ = false;
    bool open_ = true;
    MediaRelay* relay_ = nullptr;
    net::SocketAddress remote_rtp_, remote_rtcp_;
    std::unique_ptr<SrtpContext> srtp_tx_, srtp_rx_;
    std::int64_t last_icmp_ns_ = 0;
    net::SocketAddress peer_, refused_;  // connected to; a connect the kernel refused
    bool connected_ = false;
    enum class Bound : std::uint8_t { Unknown, One, Wildcard } bound_ = Bound::Unknown;
    SessionStats& st_;
    StreamEvents& events_;
};

}  // namespace siperb::media
