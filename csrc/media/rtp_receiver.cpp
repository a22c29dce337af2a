#include "media/rtp_receiver.hpp"

#include "common/error.hpp"
#include "dsp/levels.hpp"
#include "media/pcm_fifo.hpp"
#include "media/playout.hpp"
#include "rtp/rtp_packet.hpp"

#include <algorithm>

namespace siperb::media {

std::unique_ptr<RxChain> RtpReceiver::make_chain(const SessionConfig& cfg, const StreamParams& p, CodecKind kind,
                                                 int decode_rate) {
    auto c = std::make_unique<RxChain>();
    c->pt = p.local_payload_type;
    c->kind = kind;
    c->clock = rtp_clock_rate(kind);
    jbuf::JitterBufferConfig jc;
    jc.clock_rate = c->clock;
    jc.frame_ms = p.ptime;
    jc.min_delay_ms = cfg.jitter_min_ms;
    jc.max_delay_ms = std::max(cfg.jitter_max_ms, cfg.jitter_min_ms);
    jc.start_delay_ms = cfg.jitter_start_ms;
    c->jb = std::make_unique<jbuf::JitterBuffer>(jc);
    c->frame_samples = c->clock * p.ptime / 1000;
    c->dec = make_decoder(kind, kind == CodecKind::Opus ? decode_rate : 8000);
    // Room for a decoder at any rate: a sink change may swap in a 48 kHz one (swap_decoder).
    const std::size_t most = kind == CodecKind::Opus ? 48000 * 120 / 1000 : c->dec->max_samples();
    c->sync.reserve(most + most / 2);
    return c;
}

RtpReceiver::RtpReceiver(const SessionConfig& cfg, const StreamParams& params, SessionStats& st, StreamEvents& events)
    : cfg_(cfg), params_(params), st_(st), events_(events) {
    // Sized once for the largest decoded frame (120 ms Opus at 48 kHz) and its stretch.
    dec_buf_.resize(48000 * 120 / 1000);
    stretch_buf_.resize(48000 * 180 / 1000);
    play_buf_.reserve(48000 * 60 / 1000);
    sink_buf_.reserve(48000 * 60 / 1000);
}

void RtpReceiver::swap_chain(std::unique_ptr<RxChain>& rx) {
    if (rx_ && rx_->pt != rx->pt && rx_->jb->size() > 0) {
        // The old stream plays out while the new one fills (no gap at a re-INVITE).
        std::unique_ptr<RxChain> older = std::move(rx_old_);
        rx_old_ = std::move(rx_);
        rx_ = std::move(rx);
        rx = std::move(older);
    } else {
        std::swap(rx_, rx);
    }
    st_.decode_rate = rx_->dec->sample_rate();
    if (!rstats_ || rstats_->clock_rate() != rx_->clock) rstats_ = std::make_unique<rtp::RtpReceiverStats>(rx_->clock);
}

void RtpReceiver::swap_decoder(std::unique_ptr<AudioDecoder>& dec) noexcept {
    if (!rx_ || rx_->kind != CodecKind::Opus || !dec) return;
    std::swap(rx_->dec, dec);
    rx_->sync.clear();
    st_.decode_rate = rx_->dec->sample_rate();
}

void RtpReceiver::on_rtp(std::uint8_t* buf, int len, std::int64_t now_ns) {
    rtp::RtpView v;
    try {
        v = rtp::RtpView::parse(rtp::Bytes(buf, static_cast<std::size_t>(len)));
    } catch (const Error&) {
        ++st_.invalid_packets;
        return;
    }
    ++st_.packets_received;
    st_.bytes_received += v.payload.size();
    last_rx_ns_ = now_ns;
    if (timed_out_) {
        timed_out_ = false;
        events_.emit(MediaEventType::RtpResumed);
    }
    if (!sdp::receives(params_.direction)) return;
    const double now_ms = static_cast<double>(now_ns) / 1e6;
    // Receiver statistics cover every packet of the remote source, telephone-events included
    // (they share the sequence space; counting only audio would report them as lost).
    if (!have_remote_ssrc_ || remote_ssrc_ != v.ssrc) {
        // A new SSRC replaces the source only after kSsrcProbation in-sequence packets (a
        // stray packet must not restart the statistics); until then its packets are dropped.
        const bool next = new_ssrc_count_ > 0 && v.ssrc == new_ssrc_ && v.sequence_number == static_cast<std::uint16_t>(new_ssrc_seq_ + 1);
        new_ssrc_count_ = next ? new_ssrc_count_ + 1 : 1;
        new_ssrc_ = v.ssrc;
        new_ssrc_seq_ = v.sequence_number;
        if (have_remote_ssrc_ && new_ssrc_count_ < kSsrcProbation) {
            ++st_.foreign_source;
            return;
        }
        new_ssrc_count_ = 0;
        have_remote_ssrc_ = true;
        remote_ssrc_ = v.ssrc;
        const std::uint32_t clock = rx_ ? rx_->clock : 8000;
        if (rstats_ && rstats_->clock_rate() == clock) *rstats_ = rtp::RtpReceiverStats(clock);  // no allocation
        else rstats_ = std::make_unique<rtp::RtpReceiverStats>(clock);
        st_.remote_ssrc = v.ssrc;
    } else {
        new_ssrc_count_ = 0;  // the source is alive: a newcomer starts over
    }
    rstats_->update(v.sequence_number, v.timestamp, now_ms);
    if (params_.local_telephone_event_pt >= 0 && v.payload_type == params_.local_telephone_event_pt) {
        if (!dtmf_.on_packet(v.timestamp, v.payload, events_, st_)) ++st_.invalid_packets;
        return;
    }
    RxChain* c = nullptr;
    if (rx_ && v.payload_type == rx_->pt) c = rx_.get();
    else if (rx_old_ && v.payload_type == rx_old_->pt) c = rx_old_.get();
    if (!c) {
        ++st_.unknown_payload;
        return;
    }
    if (!c->adapted) {
        // Follow the sender's packet time: the jitter buffer's frame must match its packets.
        c->adapted = true;
        const int samples = c->kind == CodecKind::Opus ? c->dec->samples_in(v.payload) * static_cast<int>(c->clock) / c->dec->sample_rate()
                                                       : static_cast<int>(v.payload.size());
        if (samples > 0 && static_cast<std::uint32_t>(samples) != c->frame_samples && samples * 1000 % c->clock == 0) {
            const auto ms = static_cast<std::uint32_t>(samples * 1000 / c->clock);
            if (ms >= 10 && ms <= 120 && ms % 10 == 0) {
                jbuf::JitterBufferConfig jc = c->jb->config();
                jc.frame_ms = ms;
                c->jb = std::make_unique<jbuf::JitterBuffer>(jc);
                c->frame_samples = static_cast<std::uint32_t>(samples);
            }
        }
    }
    try {
        c->jb->put(v.sequence_number, v.timestamp, v.payload, now_ms, v.ssrc, v.marker);
    } catch (const Error&) {
        ++st_.invalid_packets;
    }
}

void RtpReceiver::fill_chain(RxChain& c, double now_ms) {
    const int rate = c.dec->sample_rate();
    const std::size_t need = static_cast<std::size_t>(rate) * params_.ptime / 1000;
    for (int guard = 0; c.sync.size() < need && guard < 16; ++guard) {
        const double pending_ms = static_cast<double>(c.sync.size()) * 1000.0 / rate;
        jbuf::Frame& f = frame_;
        c.jb->get(now_ms, pending_ms, f);
        const std::span<const std::int16_t> out =
            play_frame(f, *c.dec, PlayoutOptions{c.clock, cfg_.time_stretch, c.kind == CodecKind::Opus && params_.opus_fec},
                       dec_buf_, stretch_buf_, st_);
        const std::size_t got = out.size();
        c.sync.insert(c.sync.end(), out.begin(), out.end());
        if (got == 0 && f.kind != jbuf::FrameKind::Packet) break;
    }
}

int RtpReceiver::play(std::int64_t now_ns, std::span<std::int16_t> out, std::size_t& out_len) {
    // The old chain (before a codec change) plays until its buffer is empty; a stretched
    // remainder shorter than a packet time is dropped.
    if (rx_old_ && rx_old_->jb->size() == 0 &&
        rx_old_->sync.size() < static_cast<std::size_t>(rx_old_->dec->sample_rate()) * params_.ptime / 1000)
        rx_old_.reset();
    RxChain& c = rx_old_ ? *rx_old_ : *rx_;
    const double now_ms = static_cast<double>(now_ns) / 1e6;
    fill_chain(c, now_ms);
    const int rate = c.dec->sample_rate();
    const std::size_t need = std::min(out.size(), static_cast<std::size_t>(rate) * params_.ptime / 1000);
    const std::size_t n = std::min(need, c.sync.size());
    std::copy_n(c.sync.begin(), n, out.begin());
    std::fill(out.begin() + static_cast<std::ptrdiff_t>(n), out.begin() + static_cast<std::ptrdiff_t>(need), std::int16_t{0});
    take_front(c.sync, n);
    out_len = need;
    mean_sq_ = dsp::mean_square(out.first(need));
    if (sink_) {
        sink_buf_.clear();
        try {
            resample_into(c.sink_rs, rate, sink_->sample_rate(), out.first(need), play_buf_, sink_buf_);
        } catch (const Error&) {
            sink_buf_.clear();
        }
        sink_->write(sink_buf_);
    }
    return rate;
}

void RtpReceiver::check_timeout(std::int64_t now_ns) noexcept {
    if (cfg_.rtp_timeout_ms > 0 && !timed_out_ && now_ns - last_rx_ns_ > std::int64_t{cfg_.rtp_timeout_ms} * 1'000'000) {
        timed_out_ = true;
        events_.emit(MediaEventType::Timeout, cfg_.rtp_timeout_ms);
    }
}

bool RtpReceiver::take_report(std::uint32_t& remote_ssrc, rtp::ReceptionReport& r) {
    if (!have_remote_ssrc_ || !rstats_ || !rstats_->valid()) return false;
    remote_ssrc = remote_ssrc_;
    r = rstats_->report();
    return true;
}

void RtpReceiver::update_stats() noexcept {
    st_.rx_level_dbfs = dsp::level_dbfs(mean_sq_);
    if (rstats_) {
        // Duplicates make RFC 3550's "lost" negative; the figures shown stay physical.
        st_.packets_lost = std::max<std::int64_t>(0, rstats_->lost());
        const std::int64_t expected = rstats_->expected();
        st_.loss_percent = expected > 0 ? std::clamp(double(st_.packets_lost) * 100.0 / double(expected), 0.0, 100.0) : 0.0;
        st_.jitter_ms = std::clamp(rstats_->jitter_ms(), 0.0, rtp::RtpReceiverStats::kMaxJitterMs);
    }
    if (rx_) {
        const auto js = rx_->jb->stats();
        st_.jb_delay_ms = js.current_delay_ms;
        st_.jb_target_ms = js.target_delay_ms;
        st_.jb_late = js.late;
        st_.jb_lost = js.lost;
        st_.jb_duplicated = js.duplicated;
        st_.jb_discarded = js.discarded;
    }
}

}  // namespace siperb::media
