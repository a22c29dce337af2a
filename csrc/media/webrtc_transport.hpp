// The WebRTC layer of one session's socket: an ICE agent, a DTLS-SRTP session and an optional
// TURN allocation composed over the one socket (rtcp-mux) the session owns. The stream hands
// it every datagram that RFC 7983 classifies as STUN, DTLS or TURN ChannelData; it answers at
// once (datagrams out are sent straight away to the selected pair, or through the relay), and
// tells the stream what changed: the selected pair (where RTP goes, and the only address RTP
// is taken from) and the SRTP keys of a finished handshake. Engine thread only, apart from
// the identity (ufrag, pwd, fingerprint) and the two state atomics.
//
// A ClientHello can come before start() gave us the remote fingerprint (the answerer's DTLS
// client is faster than the SIP answer): up to kEarlyDtls datagrams / kEarlyDtlsBytes are kept
// and fed to the DTLS session once it exists; the peer is verified once the fingerprint is
// known, before any key is used.
#pragma once

#include "dtls/dtls_session.hpp"
#include "ice/ice_agent.hpp"
#include "ice/stun_gather.hpp"
#include "ice/turn_client.hpp"
#include "media/demux.hpp"
#include "media/rtp_transport.hpp"
#include "media/session_config.hpp"
#include "media/session_stats.hpp"
#include "media/stream_events.hpp"
#include "net/udp_socket.hpp"

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace siperb::media {

// What StreamParams ask of the WebRTC layer, checked and parsed off the engine thread.
struct WebRtcSetup {
    std::string ufrag, pwd;
    std::vector<ice::Candidate> candidates;  // usable ones (mDNS/TCP ones are skipped)
    bool remote_lite = false, controlling = false;
    dtls::DtlsRole dtls_role = dtls::DtlsRole::Server;
    std::string fp_algorithm, fp_hex;
    // Throws MediaError naming the field (ice_ufrag, dtls_setup, dtls_fingerprint) or
    // SdpParseError("candidate") for a malformed candidate.
    static WebRtcSetup from(const StreamParams& p);
};

class WebRtcTransport final : public MediaRelay {
public:
    static constexpr std::size_t kEarlyDtls = 16, kEarlyDtlsBytes = 32 * 1024, kPendingOut = 16;

    // Creates the ICE agent (controlling until start() says otherwise: before an answer only
    // the offerer receives checks) with its host candidate on fd's address.
    WebRtcTransport(const SessionConfig& cfg, int fd, SessionStats& st, StreamEvents& events);
    ~WebRtcTransport();
    WebRtcTransport(const WebRtcTransport&) = delete;
    WebRtcTransport& operator=(const WebRtcTransport&) = delete;

    // Our credentials: new ones after the remote restarted ICE (the answer carries them).
    std::string local_ufrag() const;
    std::string local_pwd() const;
    const std::string& local_fingerprint() const noexcept { return fingerprint_; }  // "sha-256 AB:..."
    ice::IceState ice_state() const noexcept { return static_cast<ice::IceState>(ice_state_.load()); }
    dtls::DtlsState dtls_state() const noexcept { return static_cast<dtls::DtlsState>(dtls_state_.load()); }

    // Engine thread. Applies an offer/answer result; true when DTLS restarted (new
    // fingerprint or role), so the caller drops the SRTP contexts until new keys come.
    bool apply(const WebRtcSetup& s, std::int64_t now);
    // True when the datagram was relayed media (TURN ChannelData/Data carrying SRTP): it waits
    // in relayed_media()/relayed_from() for the stream's RTP path.
    bool on_packet(PacketKind kind, const std::uint8_t* data, std::size_t len, const net::SocketAddress& from,
                   std::int64_t now);
    std::vector<std::uint8_t>& relayed_media() noexcept { return relayed_buf_; }
    const net::SocketAddress& relayed_from() const noexcept { return relayed_from_; }
    // The selected pair goes through the TURN relay: media is wrapped (MediaRelay).
    bool relayed() const noexcept { return ice_->selected_is_relayed() && turn_ != nullptr; }
    void send_media(const net::SocketAddress& to, const std::uint8_t* data, std::size_t len) noexcept override;
    // RTP/RTCP from `from`: true only from the selected pair's remote (refreshes liveness).
    bool accept_media(const net::SocketAddress& from, std::int64_t now) noexcept;
    std::int64_t next_deadline() const noexcept;
    void on_timeout(std::int64_t now);
    // True while ICE or DTLS is still connecting: the socket is then read as datagrams come.
    bool connecting() const noexcept;
    // Consent lost, ICE failed or DTLS failed: the stream stops sending.
    bool failed() const noexcept { return failed_; }
    // The selected remote, once per change.
    bool take_selected(net::SocketAddress& out) noexcept;
    // The keys of a finished handshake, once per handshake.
    std::optional<dtls::DtlsSession::SrtpKeys> take_keys();

    // Gathering (engine thread): relayed/server-reflexive candidates from the configured
    // servers; done when they answered, failed, or gather_timeout_ms passed.
    void start_gather(std::int64_t now);
    bool gather_done(std::int64_t now) const noexcept;
    std::vector<std::string> candidates() const;
    void close(std::int64_t now);

private:
    void make_agent(ice::IceRole role, std::int64_t now);
    void on_stun(const std::uint8_t* data, std::size_t len, const net::SocketAddress& from, bool relayed,
                 std::int64_t now);
    void on_dtls(const std::uint8_t* data, std::size_t len, const net::SocketAddress& from, std::int64_t now);
    bool on_turn(const std::uint8_t* data, std::size_t len, std::int64_t now);
    void send_raw(const net::SocketAddress& to, const std::uint8_t* data, std::size_t len) noexcept;
    void send(const net::SocketAddress& to, const std::uint8_t* data, std::size_t len, bool relayed, std::int64_t now);
    void send_dtls(std::vector<std::uint8_t>& d, std::int64_t now);
    void start_dtls_client(std::int64_t now);
    void after(std::int64_t now);  // drains every queue and notes state changes
    void note_gathered();

    SessionConfig cfg_;
    int fd_;
    SessionStats& st_;
    StreamEvents& events_;
    net::SocketAddress local_;
    mutable std::mutex id_mu_;  // ufrag_/pwd_ are read from any thread
    std::string ufrag_, pwd_, fingerprint_;
    std::uint64_t tie_breaker_ = 0;
    std::shared_ptr<const dtls::DtlsCertificate> cert_;
    std::unique_ptr<ice::IceAgent> ice_;
    bool ice_started_ = false, applied_ = false, failed_ = false;
    std::string remote_ufrag_, remote_pwd_;
    std::vector<std::string> remote_candidates_;  // SDP values already given to the agent
    std::unique_ptr<dtls::DtlsSession> dtls_;
    bool dtls_started_ = false, keys_taken_ = false;
    std::string fp_algorithm_, fp_hex_;
    std::deque<std::vector<std::uint8_t>> early_dtls_, pending_out_;
    std::size_t early_bytes_ = 0;
    std::unique_ptr<ice::TurnClient> turn_;
    std::unique_ptr<ice::StunBindingClient> stun_;
    bool gathering_ = false, relay_added_ = false, srflx_added_ = false;
    std::int64_t gather_deadline_ = 0;
    net::SocketAddress selected_;
    bool selected_changed_ = false;
    ice::IceState last_ice_ = ice::IceState::New;
    dtls::DtlsState last_dtls_ = dtls::DtlsState::New;
    std::atomic<int> ice_state_{0}, dtls_state_{0};
    std::vector<std::uint8_t> scratch_, relayed_buf_;
    net::SocketAddress relayed_from_;
};

}  // namespace siperb::media
