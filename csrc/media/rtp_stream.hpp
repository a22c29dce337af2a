// One media session's real-time state, on the engine thread only: a small coordinator that
// routes datagrams and packet times to its parts (RtpSender, RtpReceiver, RtcpSession,
// StreamRecording over one RtpTransport) and swaps negotiated changes in. No threads, no
// locks on the packet path: MediaSession and the Engine drive it; the fuzzer drives it directly.
#pragma once

#include "audio/audio_port.hpp"
#include "media/codec_unit.hpp"
#include "media/event_queue.hpp"
#include "media/rtcp_session.hpp"
#include "media/rtp_dtmf.hpp"
#include "media/rtp_receiver.hpp"
#include "media/rtp_sender.hpp"
#include "media/rtp_transport.hpp"
#include "media/session_config.hpp"
#include "media/session_stats.hpp"
#include "media/source_latch.hpp"
#include "media/srtp.hpp"
#include "media/stream_events.hpp"
#include "media/stream_recording.hpp"
#include "media/webrtc_transport.hpp"
#include "net/udp_socket.hpp"

#include <algorithm>
#include <deque>
#include <memory>
#include <optional>
#include <random>

namespace siperb::audio {
class Recorder;
}

namespace siperb::media {

// Everything a StreamParams needs, built off the engine thread (allocations, key parsing,
// codec construction) and swapped in by RtpStream::apply.
struct StreamSetup {
    StreamParams params;
    CodecKind kind = CodecKind::Pcmu;
    bool codec_changed = true;
    std::unique_ptr<AudioEncoder> encoder;
    std::unique_ptr<RxChain> rx;
    std::unique_ptr<SrtpContext> srtp_tx, srtp_rx;
    bool srtp_changed = true;
    net::SocketAddress remote_rtp, remote_rtcp;
    std::optional<WebRtcSetup> webrtc;  // a WebRTC session's ICE/DTLS parameters
};

class RtpStream {
public:
    RtpStream(std::uint64_t id, SessionConfig cfg, EventQueue* events, int rtp_fd, int rtcp_fd);
    ~RtpStream();
    RtpStream(const RtpStream&) = delete;  // the parts hold references into it
    RtpStream& operator=(const RtpStream&) = delete;

    // Any thread. `current` (may be null) is the params in force, to keep what did not change.
    // decode_rate: the Opus decoder's PCM rate (0: cfg's, or 48 kHz when that is automatic).
    static std::unique_ptr<StreamSetup> prepare(const SessionConfig& cfg, const StreamParams& p,
                                                const StreamParams* current, int decode_rate = 0);
    // Engine thread: takes the setup's objects; the setup gets the replaced ones (to be freed by
    // the caller, off the engine thread).
    void apply(StreamSetup& s, std::int64_t now_ns);
    bool configured() const noexcept { return configured_; }

    // Engine thread, once per packet time.
    void on_tick(std::int64_t now_ns);
    void on_datagram(std::uint8_t* buf, int len, const net::SocketAddress& from, bool rtcp_socket, std::int64_t now_ns);
    int on_error_queue(int fd, std::int64_t now_ns) { return net_.on_error_queue(fd, now_ns); }
    void on_recv_error(int err, const net::SocketAddress* to, std::int64_t now_ns) { net_.on_recv_error(err, to, now_ns); }
    void send_bye() noexcept;

    // WebRTC sessions (null otherwise): the ICE/DTLS layer on the one socket, its timers and
    // whether the socket is to be read as datagrams come (while connecting) or at ticks.
    WebRtcTransport* webrtc() noexcept { return webrtc_.get(); }
    const WebRtcTransport* webrtc() const noexcept { return webrtc_.get(); }
    std::int64_t transport_deadline() const noexcept { return webrtc_ ? webrtc_->next_deadline() : INT64_MAX; }
    void on_transport_timeout(std::int64_t now_ns);
    bool wants_read() const noexcept { return webrtc_ && webrtc_->connecting(); }
    void close_transport(std::int64_t now_ns);

    // Controls (engine thread, except mute which is an atomic).
    void set_mute(bool m) noexcept { tx_.set_mute(m); }
    bool muted() const noexcept { return tx_.muted(); }
    void set_direction(sdp::Direction d) noexcept;
    void set_remote(const net::SocketAddress& rtp, const net::SocketAddress& rtcp) noexcept;
    void swap_source(std::shared_ptr<audio::AudioSource>& s) noexcept { tx_.swap_source(s); }
    void swap_sink(std::shared_ptr<audio::AudioSink>& s) noexcept { rx_.swap_sink(s); }
    void swap_decoder(std::unique_ptr<AudioDecoder>& d) noexcept { rx_.swap_decoder(d); }
    // r: a two-input audio::Recorder (MediaSession checks): input 0 gets what we send, input 1
    // what we receive, at the recorder's rate, the same number of frames each packet time.
    void swap_recorder(std::shared_ptr<audio::Recorder>& r) noexcept { rec_.swap(r); }
    void queue_dtmf(std::deque<DtmfRequest>& digits) { tx_.queue_dtmf(digits); }  // appends (moves from) digits
    void note_ticks(std::uint64_t late, std::uint64_t missed) noexcept;
    // The engine thread's CPU governor level for this session: an Opus encoder runs at
    // min(level, the configured complexity). Cheap when nothing changes.
    void cap_complexity(int level) noexcept {
        if (level != complexity_cap_) apply_complexity_cap(level);
    }
    int complexity_cap() const noexcept { return complexity_cap_; }
    // The configured Opus complexity (-3..10), the most the governor can give.
    int complexity_ceiling() const noexcept { return std::clamp(cfg_.opus_complexity, -3, 10); }

    unsigned ptime() const noexcept { return params_.ptime; }
    CodecKind codec_kind() const noexcept { return kind_; }
    sdp::Direction direction() const noexcept { return params_.direction; }
    std::uint32_t ssrc() const noexcept { return tx_.ssrc(); }
    std::uint64_t id() const noexcept { return events_.session(); }
    // Copies the engine-side counters into the snapshot readers see (never blocks: try_lock).
    void publish(bool force = false) noexcept;
    SessionStats stats() const { return rtcp_.stats(); }

private:
    void send_rtcp(bool bye) noexcept;
    void learn_remote(const net::SocketAddress& from, bool rtcp);
    void sync_webrtc() noexcept;
    void apply_complexity_cap(int level) noexcept;

    // Declared before the parts, which hold references to them.
    SessionConfig cfg_;
    StreamEvents events_;
    std::mt19937 rng_;
    bool configured_ = false;
    StreamParams params_;
    CodecKind kind_ = CodecKind::Pcmu;
    SessionStats st_;
    int complexity_cap_ = 10;  // the governor's level last applied

    net::SocketAddress negotiated_rtp_, negotiated_rtcp_;
    SourceLatch rtp_src_;  // where RTP is taken from
    RtpTransport net_;
    RtcpSession rtcp_;
    RtpSender tx_;
    RtpReceiver rx_;
    StreamRecording rec_;
    std::unique_ptr<WebRtcTransport> webrtc_;
};

}  // namespace siperb::media
