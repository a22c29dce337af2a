// The receiving half of a stream on the engine thread: RTP packets (already SRTP-checked by
// the stream) into the jitter buffer of their payload type, and once per packet time the
// playout: jitter buffer -> decode/PLC/FEC -> time stretch -> resample -> sink. Telephone
// events go to IncomingDtmf. Buffers are sized once; nothing allocates per packet.
#pragma once

#include "audio/audio_port.hpp"
#include "codec/resampler.hpp"
#include "jbuf/jitter_buffer.hpp"
#include "media/codec_unit.hpp"
#include "media/pcm_fifo.hpp"
#include "media/rtp_dtmf.hpp"
#include "media/session_config.hpp"
#include "media/session_stats.hpp"
#include "media/stream_events.hpp"
#include "rtp/receiver_stats.hpp"

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace siperb::media {

// One receive chain: a payload type's jitter buffer and decoder (two live across a codec change).
struct RxChain {
    unsigned pt = 0;
    CodecKind kind = CodecKind::Pcmu;
    std::uint32_t clock = 8000;
    std::unique_ptr<jbuf::JitterBuffer> jb;
    std::unique_ptr<AudioDecoder> dec;
    PcmBuffer sync;                        // decoded audio not yet played (decoder rate)
    std::unique_ptr<codec::Resampler> sink_rs;
    std::uint32_t frame_samples = 0;        // jitter buffer frame (RTP clock)
    bool adapted = false;                   // frame length checked against the first packets
};

class RtpReceiver {
public:
    // Any thread: a chain for p's codec, allocated off the engine thread.
    // decode_rate: the Opus decoder's PCM rate (codec_unit.hpp opus_decode_rate_for).
    static std::unique_ptr<RxChain> make_chain(const SessionConfig& cfg, const StreamParams& p, CodecKind kind,
                                               int decode_rate);

    // params: the stream's (RtpStream swaps new ones in place); all references outlive this.
    RtpReceiver(const SessionConfig& cfg, const StreamParams& params, SessionStats& st, StreamEvents& events);

    // A codec change: rx becomes the chain; the one it replaces plays out first if it still
    // holds packets. rx gets what is to be freed (by the caller, off the engine thread).
    void swap_chain(std::unique_ptr<RxChain>& rx);
    void swap_sink(std::shared_ptr<audio::AudioSink>& s) noexcept { std::swap(sink_, s); }
    // A decoder at another rate for the current Opus chain (the sink's rate changed): what was
    // decoded but not yet played (under a packet time) is dropped. dec gets the replaced one
    // (to be freed by the caller); untouched when the chain is not Opus.
    void swap_decoder(std::unique_ptr<AudioDecoder>& dec) noexcept;
    void set_telephone_event_rate(std::uint32_t rate) { dtmf_.set_clock_rate(rate); }
    // The inactivity timer starts (again) at now_ns; receiving again after not receiving
    // re-arms the Timeout event.
    void start(std::int64_t now_ns) noexcept { last_rx_ns_ = now_ns; }
    void rearm_timeout() noexcept { timed_out_ = false; }

    // One RTP packet (at least 12 bytes) that arrived at now_ns.
    void on_rtp(std::uint8_t* buf, int len, std::int64_t now_ns);
    bool can_play() const noexcept { return rx_ != nullptr; }
    // One packet time of audio into out (and the sink); returns its sample rate (the decoder's).
    int play(std::int64_t now_ns, std::span<std::int16_t> out, std::size_t& out_len);
    // Emits Timeout once when no RTP came for the configured time.
    void check_timeout(std::int64_t now_ns) noexcept;

    // For RTCP: the RTP clock of the current chain (0: none), and a reception report block's
    // figures about the remote source (false: none to report yet).
    std::uint32_t clock_rate() const noexcept { return rx_ ? rx_->clock : 0; }
    bool take_report(std::uint32_t& remote_ssrc, rtp::ReceptionReport& r);
    void update_stats() noexcept;  // loss, jitter, jitter buffer and level figures

private:
    void fill_chain(RxChain& c, double now_ms);

    const SessionConfig& cfg_;
    const StreamParams& params_;
    SessionStats& st_;
    StreamEvents& events_;
    std::unique_ptr<RxChain> rx_, rx_old_;
    std::shared_ptr<audio::AudioSink> sink_;
    PcmBuffer dec_buf_, stretch_buf_, play_buf_, sink_buf_;
    std::unique_ptr<rtp::RtpReceiverStats> rstats_;
    IncomingDtmf dtmf_;
    static constexpr int kSsrcProbation = 3;  // in-sequence packets that prove a new SSRC
    bool have_remote_ssrc_ = false;
    std::uint32_t remote_ssrc_ = 0;
    std::uint32_t new_ssrc_ = 0;  // a would-be new source and its progress
    std::uint16_t new_ssrc_seq_ = 0;
    int new_ssrc_count_ = 0;
    std::int64_t last_rx_ns_ = 0;
    bool timed_out_ = false;
    double mean_sq_ = 0;  // of the last frame played (the level meter)
    jbuf::Frame frame_;   // the jitter buffer's output, buffers reused
};

}  // namespace siperb::media
