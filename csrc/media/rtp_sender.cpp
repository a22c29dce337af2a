#include "media/rtp_sender.hpp"

#include "common/error.hpp"
#include "dsp/levels.hpp"
#include "media/pcm_fifo.hpp"
#include "rtp/bytes.hpp"

#include <algorithm>
#include <cstring>

namespace siperb::media {

RtpSender::RtpSender(Origin origin, const StreamParams& params, RtpTransport& net, SessionStats& st, StreamEvents& events)
    : params_(params), net_(net), st_(st), events_(events), ssrc_(origin.ssrc), seq_(origin.seq), ts_(origin.ts) {
    // Sized once for 60 ms at 48 kHz (the largest packet time at the largest codec rate).
    src_buf_.reserve(48000 * 60 / 1000);
    rs_buf_.reserve(48000 * 60 / 1000 + 64);
    enc_fifo_.reserve(48000 * 60 / 1000 * 2);
}

void RtpSender::swap_encoder(std::unique_ptr<AudioEncoder>& e) noexcept {
    std::swap(enc_, e);
    enc_fifo_.clear();
    marker_next_ = true;
}

void RtpSender::swap_source(std::shared_ptr<audio::AudioSource>& s) noexcept {
    std::swap(source_, s);
    source_end_reported_ = false;
    enc_fifo_.clear();
}

void RtpSender::update_stats() noexcept { st_.tx_level_dbfs = dsp::level_dbfs(mean_sq_); }

void RtpSender::tick(bool sending, std::uint32_t clock_rate, std::span<std::int16_t> frame_out, std::size_t& frame_len) {
    frame_len = 0;
    if (sending) {
        if (!send_dtmf()) {
            send_audio(frame_out, frame_len);
        } else if (source_) {  // keep the source moving while the digit replaces the audio
            src_buf_.resize(static_cast<std::size_t>(source_->sample_rate()) * params_.ptime / 1000);
            source_->read(src_buf_);
        }
    }
    ts_ += clock_rate * params_.ptime / 1000;
}

void RtpSender::send_rtp(std::span<const std::uint8_t> payload, unsigned pt, bool marker, std::uint32_t ts) noexcept {
    if (payload.size() > 1500 - 12) return;
    std::uint8_t* p = pkt_.data();
    p[0] = 0x80;
    p[1] = static_cast<std::uint8_t>((marker ? 0x80 : 0) | (pt & 0x7F));
    rtp::put16(p + 2, seq_++);
    rtp::put16(p + 4, static_cast<std::uint16_t>(ts >> 16));
    rtp::put16(p + 6, static_cast<std::uint16_t>(ts));
    rtp::put16(p + 8, static_cast<std::uint16_t>(ssrc_ >> 16));
    rtp::put16(p + 10, static_cast<std::uint16_t>(ssrc_));
    std::memcpy(p + 12, payload.data(), payload.size());
    ++st_.packets_sent;
    st_.bytes_sent += payload.size();
    sent_since_report_ = true;
    net_.send_rtp(p, static_cast<int>(12 + payload.size()));
}

bool RtpSender::send_dtmf() {
    const auto packets = dtmf_.next(params_, ts_, st_);
    if (packets.empty()) return false;
    const auto pt = static_cast<unsigned>(params_.telephone_event_pt);
    const auto& d = packets.front();
    std::array<std::uint8_t, 4> pl{};
    pl[0] = d.event.event;
    pl[1] = static_cast<std::uint8_t>((d.event.end ? 0x80 : 0) | (d.event.volume & 0x3F));
    rtp::put16(pl.data() + 2, d.event.duration);
    send_rtp(pl, pt, d.marker, d.timestamp);
    for (const auto& r : packets.subspan(1)) {  // the end packet's repeats
        rtp::put16(pl.data() + 2, r.event.duration);
        send_rtp(pl, pt, false, r.timestamp);
    }
    if (dtmf_.digit_done()) marker_next_ = true;
    return true;
}

void RtpSender::send_audio(std::span<std::int16_t> frame_out, std::size_t& frame_len) {
    const int enc_rate = enc_->sample_rate();
    const std::size_t frame = static_cast<std::size_t>(enc_rate) * params_.ptime / 1000;
    frame_len = 0;
    // Source -> encoder rate, through a FIFO so resampler jitter never shortens a frame.
    if (source_) {
        const int src_rate = source_->sample_rate();
        const std::size_t want = static_cast<std::size_t>(src_rate) * params_.ptime / 1000;
        src_buf_.resize(want);
        std::size_t got = source_->read(src_buf_);
        if (got < want) {
            if (got == 0 && source_->ended()) {
                if (!source_end_reported_) events_.emit(MediaEventType::SourceEnded);
                source_end_reported_ = true;
            } else {
                ++st_.source_underruns;
            }
            std::fill(src_buf_.begin() + static_cast<std::ptrdiff_t>(got), src_buf_.end(), std::int16_t{0});
        }
        try {
            resample_into(src_rs_, src_rate, enc_rate, src_buf_, rs_buf_, enc_fifo_);
        } catch (const Error&) {
            enc_fifo_.insert(enc_fifo_.end(), frame, 0);
        }
    }
    if (enc_fifo_.size() < frame) enc_fifo_.insert(enc_fifo_.begin(), frame - enc_fifo_.size(), 0);
    std::copy_n(enc_fifo_.begin(), frame, frame_out.begin());
    take_front(enc_fifo_, frame);
    mean_sq_ = dsp::mean_square(std::span<const std::int16_t>(frame_out.data(), frame));
    if (enc_fifo_.size() > frame * 4) enc_fifo_.clear();  // a source faster than its rate
    if (muted()) std::fill_n(frame_out.begin(), frame, std::int16_t{0});
    frame_len = frame;
    std::array<std::uint8_t, 1500> payload;
    std::size_t n = 0;
    try {
        n = enc_->encode(frame_out.first(frame), payload);
    } catch (const Error&) {
        n = 0;
    }
    if (n == 0) {  // DTX: nothing to send; the next packet starts a talk spurt
        marker_next_ = true;
        return;
    }
    send_rtp(std::span<const std::uint8_t>(payload.data(), n), params_.payload_type, marker_next_, ts_);
    marker_next_ = false;
}

}  // namespace siperb::media
