// The sending half of a stream, once per packet time on the engine thread: source -> resample
// -> encode (or an RFC 4733 digit instead) -> RTP header -> RtpTransport (SRTP, socket). Owns
// the RTP sequence and timestamp; buffers are sized once, nothing allocates per packet.
#pragma once

#include "audio/audio_port.hpp"
#include "codec/resampler.hpp"
#include "media/codec_unit.hpp"
#include "media/pcm_fifo.hpp"
#include "media/rtp_dtmf.hpp"
#include "media/rtp_transport.hpp"
#include "media/session_config.hpp"
#include "media/session_stats.hpp"
#include "media/stream_events.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <utility>
#include <vector>

namespace siperb::media {

class RtpSender {
public:
    struct Origin {  // random per stream (RFC 3550 5.1)
        std::uint32_t ssrc = 0;
        std::uint16_t seq = 0;
        std::uint32_t ts = 0;
    };

    // params: the stream's (RtpStream swaps new ones in place); all references outlive this.
    RtpSender(Origin origin, const StreamParams& params, RtpTransport& net, SessionStats& st, StreamEvents& events);

    // A codec change: the replaced encoder is left in e; the next packet starts a talk spurt.
    void swap_encoder(std::unique_ptr<AudioEncoder>& e) noexcept;
    void swap_source(std::shared_ptr<audio::AudioSource>& s) noexcept;
    void queue_dtmf(std::deque<DtmfRequest>& digits) { dtmf_.queue(digits); }
    void set_mute(bool m) noexcept { mute_.store(m, std::memory_order_relaxed); }  // any thread
    bool muted() const noexcept { return mute_.load(std::memory_order_relaxed); }

    // One packet time. sending: a packet may go out (else the clock only advances). frame_out
    // gets the audio frame sent (at sample_rate(), silence when muted), frame_len its length
    // (0: no audio went out). clock_rate: the RTP clock of the codec.
    void tick(bool sending, std::uint32_t clock_rate, std::span<std::int16_t> frame_out, std::size_t& frame_len);

    int sample_rate() const noexcept { return enc_ ? enc_->sample_rate() : 8000; }
    int complexity() const noexcept { return enc_ ? enc_->complexity() : -1; }
    void set_complexity(int c) noexcept {
        if (enc_) enc_->set_complexity(c);
    }
    std::uint32_t ssrc() const noexcept { return ssrc_; }
    std::uint32_t timestamp() const noexcept { return ts_; }
    // Whether RTP went out since the last call (an RTCP SR rather than an RR).
    bool take_sent_since_report() noexcept { return std::exchange(sent_since_report_, false); }
    void update_stats() noexcept;  // the send level meter

private:
    bool send_dtmf();
    void send_audio(std::span<std::int16_t> frame_out, std::size_t& frame_len);
    void send_rtp(std::span<const std::uint8_t> payload, unsigned pt, bool marker, std::uint32_t ts) noexcept;

    const StreamParams& params_;
    RtpTransport& net_;
    SessionStats& st_;
    StreamEvents& events_;
    std::uint32_t ssrc_;
    std::uint16_t seq_;
    std::uint32_t ts_;
    bool marker_next_ = true;
    bool sent_since_report_ = false;
    std::unique_ptr<AudioEncoder> enc_;
    std::shared_ptr<audio::AudioSource> source_;
    std::unique_ptr<codec::Resampler> src_rs_;
    PcmBuffer src_buf_, rs_buf_, enc_fifo_;
    std::array<std::uint8_t, 1500 + SrtpContext::kSrtpTrailer> pkt_{};
    std::atomic<bool> mute_{false};
    bool source_end_reported_ = false;
    OutgoingDtmf dtmf_;
    double mean_sq_ = 0;  // of the last frame sent (the level meter)
};

}  // namespace siperb::media
