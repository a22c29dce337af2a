// The real-time state of one media session and everything it does per packet and per packet
// time, on the engine thread only: send (source -> resample -> encode -> SRTP -> socket),
// receive (socket -> SRTP -> jitter buffer -> decode/PLC/FEC -> stretch -> resample -> sink),
// RFC 4733 DTMF both ways, RTCP reports, recording, statistics and events. No threads, no
// locks on the packet path: MediaSession and the Engine drive it; the fuzzer drives it directly.
#pragma once

#include "audio/audio_port.hpp"
#include "codec/resampler.hpp"
#include "jbuf/jitter_buffer.hpp"
#include "media/codec_unit.hpp"
#include "media/event_queue.hpp"
#include "media/session_config.hpp"
#include "media/session_stats.hpp"
#include "media/srtp.hpp"
#include "net/udp_socket.hpp"
#include "rtp/receiver_stats.hpp"
#include "rtp/telephone_event.hpp"

#include <array>
#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <random>
#include <vector>

namespace siperb::audio {
class Recorder;
}

namespace siperb::media {

// One receive chain: a payload type's jitter buffer and decoder (two live across a codec change).
struct RxChain {
    unsigned pt = 0;
    CodecKind kind = CodecKind::Pcmu;
    std::uint32_t clock = 8000;
    std::unique_ptr<jbuf::JitterBuffer> jb;
    std::unique_ptr<AudioDecoder> dec;
    std::vector<std::int16_t> sync;         // decoded audio not yet played (decoder rate)
    std::unique_ptr<codec::Resampler> sink_rs;
    std::uint32_t frame_samples = 0;        // jitter buffer frame (RTP clock)
    bool adapted = false;                   // frame length checked against the first packets
};

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
    SocketAddress remote_rtp, remote_rtcp;
};

struct DtmfRequest {
    char digit = 0;
    std::uint32_t duration_ms = 100;
    std::uint8_t volume = 10;
};

class RtpStream {
public:
    RtpStream(std::uint64_t id, SessionConfig cfg, EventQueue* events, int rtp_fd, int rtcp_fd);
    ~RtpStream();

    // Any thread. `current` (may be null) is the params in force, to keep what did not change.
    static std::unique_ptr<StreamSetup> prepare(const SessionConfig& cfg, const StreamParams& p,
                                                const StreamParams* current);
    // Engine thread: takes the setup's objects; the setup gets the replaced ones (to be freed by
    // the caller, off the engine thread).
    void apply(StreamSetup& s, std::int64_t now_ns);
    bool configured() const noexcept { return configured_; }

    // Engine thread, once per packet time (returns false when the datagram was not handled).
    void on_tick(std::int64_t now_ns);
    void on_datagram(std::uint8_t* buf, int len, const SocketAddress& from, bool rtcp_socket, std::int64_t now_ns);
    void on_error_queue(int fd, std::int64_t now_ns);
    void on_recv_error(int err, const SocketAddress* to, std::int64_t now_ns);
    void send_bye() noexcept;

    // Controls (engine thread, except mute which is an atomic).
    void set_mute(bool m) noexcept { mute_.store(m, std::memory_order_relaxed); }
    bool muted() const noexcept { return mute_.load(std::memory_order_relaxed); }
    void set_direction(sdp::Direction d) noexcept;
    void set_remote(const SocketAddress& rtp, const SocketAddress& rtcp) noexcept;
    void swap_source(std::shared_ptr<AudioSource>& s) noexcept;
    void swap_sink(std::shared_ptr<AudioSink>& s) noexcept;
    // r: a two-input audio::Recorder (MediaSession checks): input 0 gets what we send, input 1
    // what we receive, at the recorder's rate, the same number of frames each packet time.
    void swap_recorder(std::shared_ptr<audio::Recorder>& r) noexcept;
    void queue_dtmf(std::deque<DtmfRequest>& digits);  // appends (moves from) digits
    void note_ticks(std::uint64_t late, std::uint64_t missed) noexcept;

    unsigned ptime() const noexcept { return params_.ptime; }
    CodecKind codec_kind() const noexcept { return kind_; }
    sdp::Direction direction() const noexcept { return params_.direction; }
    std::uint32_t ssrc() const noexcept { return ssrc_; }
    std::uint64_t id() const noexcept { return id_; }
    // Copies the engine-side counters into the snapshot readers see (never blocks: try_lock).
    void publish(bool force = false) noexcept;
    SessionStats stats() const;

private:
    void send_audio(std::int64_t now_ns, std::span<std::int16_t> frame_out, std::size_t& frame_len);
    bool send_dtmf_packet();
    void send_rtp(std::span<const std::uint8_t> payload, unsigned pt, bool marker, std::uint32_t ts) noexcept;
    void send_rtcp_report(bool bye) noexcept;
    void send_datagram(int fd, std::uint8_t* buf, int len, bool rtcp, const SocketAddress& to) noexcept;
    void play(std::int64_t now_ns, std::span<std::int16_t> out_at_chain, std::size_t& out_len, RxChain*& chain);
    void fill_chain(RxChain& c, double now_ms);
    void on_rtp(std::uint8_t* buf, int len, const SocketAddress& from, std::int64_t now_ns);
    void on_rtcp(std::uint8_t* buf, int len, std::int64_t now_ns);
    void learn_remote(const SocketAddress& from, bool rtcp);
    void emit(MediaEventType t, std::int64_t value = 0, const SocketAddress* addr = nullptr) noexcept;
    void record(std::span<const std::int16_t> tx, int tx_rate, std::span<const std::int16_t> rx, int rx_rate) noexcept;
    void schedule_rtcp(std::int64_t now_ns, bool initial) noexcept;
    void update_quality() noexcept;

    std::uint64_t id_;
    SessionConfig cfg_;
    EventQueue* events_;
    int rtp_fd_, rtcp_fd_;
    bool configured_ = false;
    StreamParams params_;
    CodecKind kind_ = CodecKind::Pcmu;
    SocketAddress remote_rtp_, remote_rtcp_;
    std::mt19937 rng_;

    // send
    std::uint32_t ssrc_;
    std::uint16_t seq_;
    std::uint32_t ts_;
    bool marker_next_ = true;
    bool sent_since_report_ = false;
    std::unique_ptr<AudioEncoder> enc_;
    std::shared_ptr<AudioSource> source_;
    std::unique_ptr<codec::Resampler> src_rs_, rec_tx_rs_;
    std::vector<std::int16_t> src_buf_, rs_buf_, enc_fifo_;
    std::array<std::uint8_t, 1500 + SrtpContext::kSrtpTrailer> pkt_{};
    std::unique_ptr<SrtpContext> srtp_tx_, srtp_rx_;
    std::atomic<bool> mute_{false};
    bool source_end_reported_ = false;
    std::deque<DtmfRequest> dtmf_queue_;
    std::vector<rtp::DtmfPacket> dtmf_packets_;
    std::size_t dtmf_next_ = 0;
    unsigned dtmf_gap_ticks_ = 0;

    // receive
    std::unique_ptr<RxChain> rx_, rx_old_;
    std::shared_ptr<AudioSink> sink_;
    std::vector<std::int16_t> dec_buf_, stretch_buf_, play_buf_, sink_buf_;
    std::unique_ptr<rtp::RtpReceiverStats> rstats_;
    std::unique_ptr<rtp::DtmfDetector> dtmf_rx_;
    bool have_remote_ssrc_ = false;
    std::uint32_t remote_ssrc_ = 0;
    std::int64_t last_rx_ns_ = 0;
    bool timed_out_ = false;
    std::int64_t last_icmp_ns_ = 0;

    // RTCP
    std::int64_t next_rtcp_ns_ = 0;
    std::uint32_t lsr_ = 0;
    std::int64_t lsr_arrival_ns_ = 0;
    std::int64_t next_stats_ns_ = 0;
    std::array<std::uint8_t, 1500 + SrtpContext::kSrtpTrailer> rtcp_buf_{};

    // recording
    std::shared_ptr<audio::Recorder> recorder_;
    std::array<std::shared_ptr<AudioSink>, 2> rec_in_;  // recorder_'s inputs: sent, received
    std::unique_ptr<codec::Resampler> rec_rx_rs_;
    std::vector<std::int16_t> rec_tx_, rec_rx_, rec_tmp_;

    SessionStats st_;
    double tx_mean_sq_ = 0, rx_mean_sq_ = 0;  // of the last frame sent / played (levels)
    jbuf::Frame frame_;                       // the jitter buffer's output, buffers reused
    mutable std::mutex pub_mu_;
    SessionStats published_;
};

}  // namespace siperb::media
