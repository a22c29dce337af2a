// A media session: one RTP stream with its own RTP and RTCP sockets, run by an engine thread.
// Created by Engine::create_session (sockets bound at once, so the local port can go into the
// SDP), started with the negotiated StreamParams, updated by a re-INVITE, closed with RTCP BYE.
// Every method may be called from any thread; none blocks the engine thread: controls run as
// commands on the engine loop (the caller waits for its own command only), mute is an atomic
// and stats() copies a snapshot the engine publishes every packet time.
#pragma once

#include "audio/audio_port.hpp"
#include "audio/recorder.hpp"
#include "media/rtp_stream.hpp"
#include "media/session_config.hpp"
#include "media/session_stats.hpp"
#include "net/udp_socket.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace siperb::media {

class Worker;
class Engine;

class MediaSession : public std::enable_shared_from_this<MediaSession> {
public:
    MediaSession(std::uint64_t id, SessionConfig cfg, std::shared_ptr<Worker> worker, EventQueue* events,
                 std::pair<net::UdpSocket, net::UdpSocket> sockets);
    ~MediaSession();
    MediaSession(const MediaSession&) = delete;
    MediaSession& operator=(const MediaSession&) = delete;

    std::uint64_t id() const noexcept { return id_; }
    const SessionConfig& config() const noexcept { return cfg_; }
    std::uint16_t local_port() const noexcept { return rtp_port_; }
    std::uint16_t local_rtcp_port() const noexcept { return rtcp_port_; }
    std::uint32_t ssrc() const noexcept { return stream_.ssrc(); }
    bool started() const noexcept { return started_.load(); }
    bool closed() const noexcept { return closed_.load(); }
    StreamParams params() const;

    // Applies the negotiated parameters and starts the packet clock (or, once started, updates
    // them: a re-INVITE; a codec change plays the old stream out and keeps SSRC/sequence).
    // Throws MediaError/CodecError naming the bad parameter.
    void start(const StreamParams& p);
    void update(const StreamParams& p) { start(p); }
    // Sends RTCP BYE, stops the clock and closes the sockets (idempotent).
    void close();

    void set_mute(bool muted);
    bool muted() const noexcept { return stream_.muted(); }
    void set_direction(sdp::Direction d);
    void set_remote(const std::string& host, std::uint16_t port, const std::string& rtcp_host = {},
                    std::uint16_t rtcp_port = 0);
    // Any AudioSource/AudioSink (nullptr detaches); the replaced one is released by the caller.
    void set_source(std::shared_ptr<audio::AudioSource> source);
    void set_sink(std::shared_ptr<audio::AudioSink> sink);
    // Records both directions through a two-input recorder (Stereo: left sent, right received;
    // or Mix), starting it unless already started; a previous recorder is stopped. Throws
    // MediaError("recorder") for nullptr or a Mono recorder, WavError if the file won't open.
    void start_recording(std::shared_ptr<audio::Recorder> recorder);
    // Detaches and stops (flushes) the recorder; returns it (nullptr if none). Throws the
    // recorder's writer error (disk full...), if any, once detached.
    std::shared_ptr<audio::Recorder> stop_recording();
    // Queues RFC 4733 digits ("0-9*#A-D"); throws MediaError("digits") for other characters,
    // MediaError("telephone_event") if none was negotiated.
    void send_dtmf(const std::string& digits, std::uint32_t duration_ms = 100, std::uint8_t volume = 10);
    SessionStats stats() const { return stream_.stats(); }

    // WebRTC (SessionConfig::webrtc): our ICE credentials and DTLS fingerprint (fixed for the
    // session's life: a re-INVITE keeps them), and the states for stats and tests. Empty
    // strings / "new" for other sessions.
    std::string ice_ufrag() const;
    std::string ice_pwd() const;
    std::string dtls_fingerprint() const;
    std::string ice_state() const;
    std::string dtls_state() const;
    // The a=candidate values (without "candidate:"): the host one at once, relayed and
    // server-reflexive ones when servers are configured, waiting at most gather_timeout_ms.
    // Blocks the caller (never the engine thread).
    std::vector<std::string> gather_candidates();
    // Engine::create_session, for a WebRTC session: joins the engine loop before start().
    void attach_early();

    // Engine thread only.
    RtpStream& stream() noexcept { return stream_; }
    const RtpStream& stream() const noexcept { return stream_; }
    int rtp_fd() const noexcept { return rtp_.fd(); }
    int rtcp_fd() const noexcept { return rtcp_.fd(); }
    struct Watch {
        MediaSession* session;
        bool rtcp;
    };
    Watch watch_rtp{this, false}, watch_rtcp{this, true};
    void mark_closed() noexcept { closed_.store(true); }

private:
    void control(const std::function<void()>& fn);
    // The Opus decoder's rate the sink and recorder need now; a started Opus session whose
    // decoder runs at another rate gets a new one (built here, swapped on the loop). ctl_mu_ held.
    void follow_rates(const std::function<void()>& swap);

    std::uint64_t id_;
    SessionConfig cfg_;
    std::shared_ptr<Worker> worker_;
    net::UdpSocket rtp_, rtcp_;
    std::uint16_t rtp_port_ = 0, rtcp_port_ = 0;
    RtpStream stream_;
    mutable std::mutex ctl_mu_;  // serialises control calls; never taken by the engine thread
    StreamParams params_;
    int sink_rate_ = 0, recorder_rate_ = 0;  // what the received audio is played / recorded at
    int decode_rate_ = 0;                    // the Opus decoder's, once started
    std::atomic<bool> started_{false}, closed_{false}, on_loop_{false};
};

}  // namespace siperb::media
