#include "media/rtp_stream.hpp"

#include "audio/recorder.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"
#include "dsp/e_model.hpp"
#include "dsp/time_stretch.hpp"
#include "rtp/ntp.hpp"
#include "rtp/rtcp.hpp"
#include "rtp/rtp_packet.hpp"

#include <linux/errqueue.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cmath>
#include <cerrno>
#include <cstring>

namespace siperb::media {

namespace {
// Mean square of a frame (integer arithmetic: this runs for every frame sent and played).
double mean_square(std::span<const std::int16_t> pcm) noexcept {
    if (pcm.empty()) return 0.0;
    std::int64_t sum = 0;
    for (const std::int16_t x : pcm) sum += std::int32_t{x} * std::int32_t{x};
    return static_cast<double>(sum) / static_cast<double>(pcm.size());
}

// RMS level relative to full scale; -100 dBFS stands for digital silence.
double level_dbfs(double mean_sq) noexcept {
    const double rms = std::sqrt(mean_sq) / 32768.0;
    return rms > 1e-5 ? std::max(-100.0, 20.0 * std::log10(rms)) : -100.0;
}
}  // namespace

namespace {

constexpr std::int64_t kMs = 1'000'000;
constexpr int kOpusRates[] = {8000, 12000, 16000, 24000, 48000};

double unix_now() {
    return static_cast<double>(realtime_ns()) / 1e9;
}

int opus_rate_at_least(unsigned hz) {
    for (int r : kOpusRates)
        if (static_cast<unsigned>(r) >= hz) return r;
    return 48000;
}

// Resamples in (at in_rate) to out_rate, appending to out; creates or recreates rs as needed.
void resample_into(std::unique_ptr<codec::Resampler>& rs, int in_rate, int out_rate, std::span<const std::int16_t> in,
                   std::vector<std::int16_t>& tmp, std::vector<std::int16_t>& out) {
    if (in_rate == out_rate) {
        out.insert(out.end(), in.begin(), in.end());
        return;
    }
    if (!rs || rs->in_rate() != in_rate || rs->out_rate() != out_rate) {
        rs = std::make_unique<codec::Resampler>(in_rate, out_rate, 1, 3);
        rs->skip_zeros();
    }
    tmp.resize(rs->max_output_frames(in.size()) + 8);
    const std::size_t n = rs->process(in, tmp);
    out.insert(out.end(), tmp.begin(), tmp.begin() + static_cast<std::ptrdiff_t>(n));
}

void take_front(std::vector<std::int16_t>& v, std::size_t n) {
    v.erase(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(std::min(n, v.size())));
}

std::unique_ptr<RxChain> make_chain(const SessionConfig& cfg, const StreamParams& p, CodecKind kind) {
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
    c->dec = make_decoder(kind, kind == CodecKind::Opus ? cfg.opus_decode_rate : 8000);
    c->sync.reserve(c->dec->max_samples() + c->dec->max_samples() / 2);
    return c;
}

}  // namespace

RtpStream::RtpStream(std::uint64_t id, SessionConfig cfg, EventQueue* events, int rtp_fd, int rtcp_fd)
    : id_(id), cfg_(std::move(cfg)), events_(events), rtp_fd_(rtp_fd), rtcp_fd_(rtcp_fd), rng_(std::random_device{}()) {
    ssrc_ = static_cast<std::uint32_t>(rng_());
    seq_ = static_cast<std::uint16_t>(rng_());
    ts_ = static_cast<std::uint32_t>(rng_());
    if (cfg_.cname.empty()) cfg_.cname = "siperb-" + std::to_string(rng_()) + "@" + cfg_.local_address;
    // Sized once for 60 ms at 48 kHz (the largest packet time at the largest codec rate).
    src_buf_.reserve(48000 * 60 / 1000);
    rs_buf_.reserve(48000 * 60 / 1000 + 64);
    enc_fifo_.reserve(48000 * 60 / 1000 * 2);
    dec_buf_.resize(48000 * 120 / 1000);
    stretch_buf_.resize(48000 * 180 / 1000);
    play_buf_.reserve(48000 * 60 / 1000);
    sink_buf_.reserve(48000 * 60 / 1000);
    st_.ssrc = ssrc_;
}

RtpStream::~RtpStream() = default;

std::unique_ptr<StreamSetup> RtpStream::prepare(const SessionConfig& cfg, const StreamParams& p_in,
                                                const StreamParams* current) {
    auto s = std::make_unique<StreamSetup>();
    StreamParams p = p_in;
    s->kind = codec_kind_from(p.codec);
    if (p.ptime != 10 && p.ptime != 20 && p.ptime != 30 && p.ptime != 40 && p.ptime != 60)
        throw MediaError("ptime", "must be 10, 20, 30, 40 or 60 ms, got " + std::to_string(p.ptime));
    if (s->kind == CodecKind::Opus && p.ptime == 30) throw MediaError("ptime", "30 ms is not an Opus frame size");
    if (p.payload_type > 127 || p.local_payload_type > 127) throw MediaError("payload_type", "must be 0-127");
    if (p.telephone_event_pt > 127 || p.local_telephone_event_pt > 127)
        throw MediaError("telephone_event_pt", "must be 0-127 or -1");
    if (p.local_telephone_event_pt < 0) p.local_telephone_event_pt = p.telephone_event_pt;
    if (p.telephone_event_rate == 0) p.telephone_event_rate = rtp_clock_rate(s->kind);
    if (!p.remote_address.empty() && p.remote_port != 0) {
        s->remote_rtp = SocketAddress::parse(p.remote_address, p.remote_port, "remote_address");
        const std::string rtcp_host = p.remote_rtcp_address.empty() ? p.remote_address : p.remote_rtcp_address;
        const std::uint16_t rtcp_port =
            p.rtcp_mux ? p.remote_port : (p.remote_rtcp_port ? p.remote_rtcp_port : static_cast<std::uint16_t>(p.remote_port + 1));
        s->remote_rtcp = SocketAddress::parse(rtcp_host, rtcp_port, "remote_rtcp_address");
    }
    const bool same_codec = current && codec_kind_from(current->codec) == s->kind &&
                            current->payload_type == p.payload_type && current->local_payload_type == p.local_payload_type &&
                            current->ptime == p.ptime && current->opus_fec == p.opus_fec && current->opus_dtx == p.opus_dtx &&
                            current->opus_maxplaybackrate == p.opus_maxplaybackrate &&
                            current->opus_maxaveragebitrate == p.opus_maxaveragebitrate;
    s->codec_changed = !same_codec;
    if (s->codec_changed) {
        EncoderSettings es;
        es.kind = s->kind;
        es.sample_rate = s->kind == CodecKind::Opus ? opus_rate_at_least(p.opus_maxplaybackrate) : 8000;
        es.complexity = cfg.opus_complexity;
        es.bitrate = cfg.opus_bitrate > 0 ? cfg.opus_bitrate : static_cast<int>(p.opus_maxaveragebitrate);
        es.fec = p.opus_fec;
        es.dtx = p.opus_dtx;
        s->encoder = make_encoder(es);
        s->rx = make_chain(cfg, p, s->kind);
    }
    s->srtp_changed = !current || current->srtp_suite != p.srtp_suite || current->srtp_local_key != p.srtp_local_key ||
                      current->srtp_remote_key != p.srtp_remote_key;
    if (s->srtp_changed && !p.srtp_suite.empty()) {
        s->srtp_tx = std::make_unique<SrtpContext>(parse_sdes_key(p.srtp_suite, p.srtp_local_key), true);
        s->srtp_rx = std::make_unique<SrtpContext>(parse_sdes_key(p.srtp_suite, p.srtp_remote_key), false);
    }
    s->params = std::move(p);
    return s;
}

void RtpStream::apply(StreamSetup& s, std::int64_t now_ns) {
    const bool first = !configured_;
    if (s.codec_changed) {
        std::swap(enc_, s.encoder);
        if (rx_ && rx_->pt != s.rx->pt && rx_->jb->size() > 0) {
            // The old stream plays out while the new one fills (no gap at a re-INVITE).
            std::unique_ptr<RxChain> older = std::move(rx_old_);
            rx_old_ = std::move(rx_);
            rx_ = std::move(s.rx);
            s.rx = std::move(older);  // freed by the caller, off the engine thread
        } else {
            std::swap(rx_, s.rx);
        }
        enc_fifo_.clear();
        marker_next_ = true;
        if (!rstats_ || rstats_->clock_rate() != rx_->clock) rstats_ = std::make_unique<rtp::RtpReceiverStats>(rx_->clock);
    }
    if (s.srtp_changed) {
        std::swap(srtp_tx_, s.srtp_tx);
        std::swap(srtp_rx_, s.srtp_rx);
    }
    if (!s.remote_rtp.empty()) {
        remote_rtp_ = s.remote_rtp;
        remote_rtcp_ = s.remote_rtcp;
    }
    kind_ = s.kind;
    std::swap(params_, s.params);
    if (!dtmf_rx_ || dtmf_rx_->clock_rate() != params_.telephone_event_rate)
        dtmf_rx_ = std::make_unique<rtp::DtmfDetector>(params_.telephone_event_rate);
    std::snprintf(st_.codec.data(), st_.codec.size(), "%s", to_string(kind_));
    st_.ptime = params_.ptime;
    st_.payload_type = params_.payload_type;
    configured_ = true;
    if (first) {
        last_rx_ns_ = now_ns;
        schedule_rtcp(now_ns, true);
        next_stats_ns_ = now_ns + std::int64_t{cfg_.stats_interval_ms} * kMs;
    }
    publish(true);
}

void RtpStream::schedule_rtcp(std::int64_t now_ns, bool initial) noexcept {
    // RFC 3550 6.3.1 / A.7: Tmin (halved for the first report), times U(0.5, 1.5), divided by
    // e - 3/2 to compensate for the timer reconsideration this two-party session does not need.
    const double tmin = cfg_.rtcp_interval_ms * (initial ? 0.5 : 1.0);
    const double factor = std::uniform_real_distribution<double>(0.5, 1.5)(rng_) / 1.21828;
    next_rtcp_ns_ = now_ns + static_cast<std::int64_t>(tmin * factor * kMs);
}

void RtpStream::set_direction(sdp::Direction d) noexcept {
    if (sdp::receives(d) && !sdp::receives(params_.direction)) timed_out_ = false;
    params_.direction = d;
}

void RtpStream::set_remote(const SocketAddress& rtp, const SocketAddress& rtcp) noexcept {
    remote_rtp_ = rtp;
    remote_rtcp_ = rtcp;
    params_.remote_address = rtp.host();
    params_.remote_port = rtp.port();
}

void RtpStream::swap_source(std::shared_ptr<AudioSource>& s) noexcept {
    std::swap(source_, s);
    source_end_reported_ = false;
    enc_fifo_.clear();
}

void RtpStream::swap_sink(std::shared_ptr<AudioSink>& s) noexcept { std::swap(sink_, s); }

void RtpStream::swap_recorder(std::shared_ptr<audio::Recorder>& r) noexcept {
    std::swap(recorder_, r);
    rec_in_ = {};
    if (recorder_ && recorder_->inputs() == 2) rec_in_ = {recorder_->input(0), recorder_->input(1)};
    rec_tx_.clear();
    rec_rx_.clear();
}

void RtpStream::queue_dtmf(std::deque<DtmfRequest>& digits) {
    for (auto& d : digits) dtmf_queue_.push_back(d);
    digits.clear();
}

void RtpStream::note_ticks(std::uint64_t late, std::uint64_t missed) noexcept {
    st_.late_ticks += late;
    st_.missed_ticks += missed;
}

void RtpStream::emit(MediaEventType t, std::int64_t value, const SocketAddress* addr) noexcept {
    if (!events_) return;
    MediaEvent e;
    e.type = t;
    e.session = id_;
    e.value = value;
    if (addr) {
        addr->host_into(e.address.data(), e.address.size());
        e.port = addr->port();
    }
    events_->push(e);
}

// ---- send ----

void RtpStream::send_datagram(int fd, std::uint8_t* buf, int len, bool rtcp, const SocketAddress& to) noexcept {
    SrtpContext* srtp = srtp_tx_.get();
    if (srtp && !(rtcp ? srtp->protect_rtcp(buf, len) : srtp->protect_rtp(buf, len))) {
        ++st_.srtp_errors;
        return;
    }
    if (fd < 0 || to.empty()) return;
    const ssize_t n = ::sendto(fd, buf, static_cast<std::size_t>(len), 0, to.sa(), to.length);
    if (n < 0) {
        ++st_.send_errors;
        if (errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH) on_recv_error(errno, &to, 0);
    }
}

void RtpStream::send_rtp(std::span<const std::uint8_t> payload, unsigned pt, bool marker, std::uint32_t ts) noexcept {
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
    send_datagram(rtp_fd_, p, static_cast<int>(12 + payload.size()), false, remote_rtp_);
}

bool RtpStream::send_dtmf_packet() {
    if (params_.telephone_event_pt < 0) {
        dtmf_queue_.clear();
        return false;
    }
    if (dtmf_next_ >= dtmf_packets_.size()) {
        if (dtmf_gap_ticks_ > 0) {
            --dtmf_gap_ticks_;
            return false;
        }
        if (dtmf_queue_.empty()) return false;
        const DtmfRequest r = dtmf_queue_.front();
        dtmf_queue_.pop_front();
        try {
            rtp::DtmfSender sender(params_.telephone_event_rate, params_.ptime, std::min<std::uint8_t>(r.volume, 63));
            dtmf_packets_ = sender.packets(r.digit, std::max<std::uint32_t>(r.duration_ms, params_.ptime), ts_);
        } catch (const Error&) {
            dtmf_packets_.clear();
        }
        dtmf_next_ = 0;
        ++st_.dtmf_sent;
        dtmf_gap_ticks_ = (50 + params_.ptime - 1) / params_.ptime;  // >= 50 ms of audio between digits
        if (dtmf_packets_.empty()) return false;
    }
    const auto& d = dtmf_packets_[dtmf_next_++];
    std::array<std::uint8_t, 4> pl{};
    pl[0] = d.event.event;
    pl[1] = static_cast<std::uint8_t>((d.event.end ? 0x80 : 0) | (d.event.volume & 0x3F));
    rtp::put16(pl.data() + 2, d.event.duration);
    send_rtp(pl, static_cast<unsigned>(params_.telephone_event_pt), d.marker, d.timestamp);
    // The end packet is sent three times; send the repeats in the same packet time.
    while (d.event.end && dtmf_next_ < dtmf_packets_.size() && dtmf_packets_[dtmf_next_].event.end) {
        const auto& r = dtmf_packets_[dtmf_next_++];
        rtp::put16(pl.data() + 2, r.event.duration);
        send_rtp(pl, static_cast<unsigned>(params_.telephone_event_pt), false, r.timestamp);
    }
    if (dtmf_next_ >= dtmf_packets_.size()) marker_next_ = true;
    return true;
}

void RtpStream::send_audio(std::int64_t, std::span<std::int16_t> frame_out, std::size_t& frame_len) {
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
                if (!source_end_reported_) emit(MediaEventType::SourceEnded);
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
    tx_mean_sq_ = mean_square(std::span<const std::int16_t>(frame_out.data(), frame));
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

// ---- tick ----

void RtpStream::on_tick(std::int64_t now_ns) {
    if (!configured_) return;
    ++st_.ticks;
    const bool sending = sdp::sends(params_.direction) && !remote_rtp_.empty();
    std::array<std::int16_t, 48000 * 60 / 1000> tx;
    std::size_t tx_len = 0;
    if (sending) {
        if (!send_dtmf_packet()) {
            send_audio(now_ns, tx, tx_len);
        } else if (source_) {  // keep the source moving while the digit replaces the audio
            src_buf_.resize(static_cast<std::size_t>(source_->sample_rate()) * params_.ptime / 1000);
            source_->read(src_buf_);
        }
    }
    ts_ += rtp_clock_rate(kind_) * params_.ptime / 1000;

    std::array<std::int16_t, 48000 * 60 / 1000> rx;
    std::size_t rx_len = 0;
    RxChain* chain = nullptr;
    if (sdp::receives(params_.direction) && rx_) play(now_ns, rx, rx_len, chain);

    if (recorder_) {
        const int tx_rate = enc_ ? enc_->sample_rate() : 8000;
        const int rx_rate = chain ? chain->dec->sample_rate() : tx_rate;
        if (tx_len == 0) {
            tx_len = static_cast<std::size_t>(tx_rate) * params_.ptime / 1000;
            std::fill_n(tx.begin(), tx_len, std::int16_t{0});
        }
        if (rx_len == 0) {
            rx_len = static_cast<std::size_t>(rx_rate) * params_.ptime / 1000;
            std::fill_n(rx.begin(), rx_len, std::int16_t{0});
        }
        record(std::span(tx.data(), tx_len), tx_rate, std::span(rx.data(), rx_len), rx_rate);
    }

    if (sdp::receives(params_.direction) && cfg_.rtp_timeout_ms > 0 && !timed_out_ &&
        now_ns - last_rx_ns_ > std::int64_t{cfg_.rtp_timeout_ms} * kMs) {
        timed_out_ = true;
        emit(MediaEventType::Timeout, cfg_.rtp_timeout_ms);
    }
    if (now_ns >= next_rtcp_ns_) {
        send_rtcp_report(false);
        schedule_rtcp(now_ns, false);
    }
    if (cfg_.stats_interval_ms > 0 && now_ns >= next_stats_ns_) {
        next_stats_ns_ = now_ns + std::int64_t{cfg_.stats_interval_ms} * kMs;
        publish(true);
        emit(MediaEventType::Stats);
        return;
    }
    publish(false);
}

// ---- playout ----

void RtpStream::fill_chain(RxChain& c, double now_ms) {
    const int rate = c.dec->sample_rate();
    const std::size_t need = static_cast<std::size_t>(rate) * params_.ptime / 1000;
    for (int guard = 0; c.sync.size() < need && guard < 16; ++guard) {
        const double pending_ms = static_cast<double>(c.sync.size()) * 1000.0 / rate;
        jbuf::Frame& f = frame_;
        c.jb->get(now_ms, pending_ms, f);
        // The jitter buffer's frames are in RTP clock units; the decoder's in its own rate.
        const std::size_t n = static_cast<std::size_t>(f.samples) * static_cast<std::size_t>(rate) / c.clock;
        std::size_t got = 0;
        switch (f.kind) {
        case jbuf::FrameKind::Packet:
            got = c.dec->decode(f.payload, dec_buf_);
            if (got == 0) {
                got = c.dec->conceal(n, {}, dec_buf_);
                ++st_.frames_concealed;
            } else {
                ++st_.frames_played;
            }
            break;
        case jbuf::FrameKind::Conceal:
            got = c.dec->conceal(n, f.next_available ? std::span<const std::uint8_t>(f.next_payload) : std::span<const std::uint8_t>{},
                                 dec_buf_);
            if (f.next_available && c.kind == CodecKind::Opus && params_.opus_fec) ++st_.fec_recovered;
            ++st_.frames_concealed;
            break;
        case jbuf::FrameKind::Silence:
            got = c.dec->silence(n, dec_buf_);
            ++st_.frames_silence;
            break;
        }
        std::span<const std::int16_t> out(dec_buf_.data(), got);
        if (cfg_.time_stretch && f.kind == jbuf::FrameKind::Packet && f.stretch != jbuf::Stretch::None && got > 0) {
            // Gentle hints only in quiet frames; strong ones (far from target) and decelerations
            // (an underrun is worse than a stretch) in any frame.
            const std::size_t amount = static_cast<std::size_t>(f.stretch_samples) * static_cast<std::size_t>(rate) / c.clock;
            const bool strong = f.stretch == jbuf::Stretch::Decelerate || amount * 2 >= got;
            if (strong || mean_abs(out) < 300.0) {
                const std::size_t m = time_stretch(out, f.stretch == jbuf::Stretch::Accelerate, amount, stretch_buf_, static_cast<std::uint32_t>(rate));
                ++(f.stretch == jbuf::Stretch::Accelerate ? st_.accelerated : st_.decelerated);
                out = std::span<const std::int16_t>(stretch_buf_.data(), m);
            }
        }
        c.sync.insert(c.sync.end(), out.begin(), out.end());
        if (got == 0 && f.kind != jbuf::FrameKind::Packet) break;
    }
}

void RtpStream::play(std::int64_t now_ns, std::span<std::int16_t> out, std::size_t& out_len, RxChain*& chain) {
    // The old chain (before a codec change) plays until its buffer is empty; a stretched
    // remainder shorter than a packet time is dropped.
    if (rx_old_ && rx_old_->jb->size() == 0 &&
        rx_old_->sync.size() < static_cast<std::size_t>(rx_old_->dec->sample_rate()) * params_.ptime / 1000)
        rx_old_.reset();
    RxChain& c = rx_old_ ? *rx_old_ : *rx_;
    chain = &c;
    const double now_ms = static_cast<double>(now_ns) / 1e6;
    fill_chain(c, now_ms);
    const int rate = c.dec->sample_rate();
    const std::size_t need = std::min(out.size(), static_cast<std::size_t>(rate) * params_.ptime / 1000);
    const std::size_t n = std::min(need, c.sync.size());
    std::copy_n(c.sync.begin(), n, out.begin());
    std::fill(out.begin() + static_cast<std::ptrdiff_t>(n), out.begin() + static_cast<std::ptrdiff_t>(need), std::int16_t{0});
    take_front(c.sync, n);
    out_len = need;
    rx_mean_sq_ = mean_square(out.first(need));
    if (sink_) {
        sink_buf_.clear();
        try {
            resample_into(c.sink_rs, rate, sink_->sample_rate(), out.first(need), play_buf_, sink_buf_);
        } catch (const Error&) {
            sink_buf_.clear();
        }
        sink_->write(sink_buf_);
    }
}

void RtpStream::record(std::span<const std::int16_t> tx, int tx_rate, std::span<const std::int16_t> rx, int rx_rate) noexcept {
    const int rate = recorder_->sample_rate();
    try {
        resample_into(rec_tx_rs_, tx_rate, rate, tx, rec_tmp_, rec_tx_);
        resample_into(rec_rx_rs_, rx_rate, rate, rx, rec_tmp_, rec_rx_);
    } catch (...) {
        return;
    }
    const std::size_t n = std::min(rec_tx_.size(), rec_rx_.size());
    if (rec_in_[1]) {
        rec_in_[0]->write(std::span(rec_tx_.data(), n));
        rec_in_[1]->write(std::span(rec_rx_.data(), n));
    }
    take_front(rec_tx_, n);
    take_front(rec_rx_, n);
    const std::size_t cap = static_cast<std::size_t>(rate);  // one second of skew at most
    if (rec_tx_.size() > cap) rec_tx_.clear();
    if (rec_rx_.size() > cap) rec_rx_.clear();
    st_.recorder_dropped = recorder_->dropped_frames();
}

// ---- receive ----

void RtpStream::learn_remote(const SocketAddress& from, bool rtcp) {
    if (rtcp) {
        if (!(from == remote_rtcp_)) remote_rtcp_ = from;
        return;
    }
    if (from == remote_rtp_) return;
    remote_rtp_ = from;
    if (params_.rtcp_mux) remote_rtcp_ = from;
    params_.remote_address = from.host();
    params_.remote_port = from.port();
    emit(MediaEventType::RemoteAddressChanged, 0, &from);
}

void RtpStream::on_datagram(std::uint8_t* buf, int len, const SocketAddress& from, bool rtcp_socket, std::int64_t now_ns) {
    if (!configured_ || len < 4) {
        ++st_.invalid_packets;
        return;
    }
    if ((buf[0] >> 6) != 2) {  // not RTP/RTCP (STUN, DTLS, garbage)
        ++st_.invalid_packets;
        return;
    }
    // RFC 5761 4: payload types 64-95 with the marker bit are RTCP packet types 192-223.
    const bool is_rtcp = rtcp_socket || (buf[1] >= 192 && buf[1] <= 223);
    if (is_rtcp) {
        if (srtp_rx_) {
            const SrtpStatus s = srtp_rx_->unprotect_rtcp(buf, len);
            if (s != SrtpStatus::Ok) {
                ++(s == SrtpStatus::AuthFail ? st_.srtp_auth_failures : s == SrtpStatus::ReplayFail ? st_.srtp_replays : st_.srtp_errors);
                return;
            }
        }
        if (cfg_.symmetric_rtp) learn_remote(from, true);
        on_rtcp(buf, len, now_ns);
        return;
    }
    if (len < 12) {
        ++st_.invalid_packets;
        return;
    }
    if (srtp_rx_) {
        const SrtpStatus s = srtp_rx_->unprotect_rtp(buf, len);
        if (s != SrtpStatus::Ok) {
            ++(s == SrtpStatus::AuthFail ? st_.srtp_auth_failures : s == SrtpStatus::ReplayFail ? st_.srtp_replays : st_.srtp_errors);
            return;
        }
    }
    if (cfg_.symmetric_rtp) {
        learn_remote(from, false);
    } else if (!remote_rtp_.empty() && !(from == remote_rtp_)) {
        ++st_.foreign_source;
    }
    on_rtp(buf, len, from, now_ns);
}

void RtpStream::on_rtp(std::uint8_t* buf, int len, const SocketAddress&, std::int64_t now_ns) {
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
        emit(MediaEventType::RtpResumed);
    }
    if (!sdp::receives(params_.direction)) return;
    const double now_ms = static_cast<double>(now_ns) / 1e6;
    // Receiver statistics cover every packet of the remote source, telephone-events included
    // (they share the sequence space; counting only audio would report them as lost).
    if (!have_remote_ssrc_ || remote_ssrc_ != v.ssrc) {
        have_remote_ssrc_ = true;
        remote_ssrc_ = v.ssrc;
        rstats_ = std::make_unique<rtp::RtpReceiverStats>(rx_ ? rx_->clock : 8000);
        st_.remote_ssrc = v.ssrc;
    }
    rstats_->update(v.sequence_number, v.timestamp, now_ms);
    if (params_.local_telephone_event_pt >= 0 && v.payload_type == params_.local_telephone_event_pt) {
        std::vector<rtp::DtmfDigit> digits;
        try {
            digits = dtmf_rx_->push(v.timestamp, v.payload);
        } catch (const Error&) {
            ++st_.invalid_packets;
            return;
        }
        for (const auto& d : digits) {
            MediaEvent e;
            e.type = MediaEventType::Dtmf;
            e.session = id_;
            e.digit = d.digit;
            e.ended = d.ended;
            e.volume = d.volume;
            e.value = d.event;
            e.duration_ms = static_cast<std::uint32_t>(std::uint64_t{d.duration} * 1000 / dtmf_rx_->clock_rate());
            ++st_.dtmf_received;
            if (events_) events_->push(e);
        }
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

void RtpStream::on_rtcp(std::uint8_t* buf, int len, std::int64_t now_ns) {
    std::vector<rtp::RtcpPacket> pkts;
    try {
        pkts = rtp::parse_rtcp_compound(rtp::Bytes(buf, static_cast<std::size_t>(len)), false);
    } catch (const Error&) {
        ++st_.invalid_packets;
        return;
    }
    ++st_.rtcp_received;
    // The wall-clock time of arrival (RTP sockets are read at ticks, after it): for the RTT.
    const std::uint64_t ntp_now =
        rtp::ntp_from_unix(unix_now() - static_cast<double>(std::max<std::int64_t>(0, monotonic_ns() - now_ns)) / 1e9);
    auto blocks = [&](const std::vector<rtp::RtcpReportBlock>& rb) {
        for (const auto& b : rb) {
            if (b.ssrc != ssrc_) continue;
            if (auto rtt = rtp::rtcp_round_trip_time(b, ntp_now); rtt && *rtt >= 0 && *rtt < 60) st_.rtt_ms = *rtt * 1000.0;
            st_.remote_loss_percent = b.fraction_lost * 100.0 / 256.0;
            st_.remote_jitter_ms = rx_ ? b.jitter * 1000.0 / rx_->clock : 0;
        }
    };
    for (const auto& p : pkts) {
        if (const auto* sr = std::get_if<rtp::RtcpSenderReport>(&p)) {
            lsr_ = rtp::ntp_middle32(sr->ntp_timestamp);
            lsr_arrival_ns_ = now_ns;
            blocks(sr->reports);
        } else if (const auto* rr = std::get_if<rtp::RtcpReceiverReport>(&p)) {
            blocks(rr->reports);
        } else if (std::holds_alternative<rtp::RtcpBye>(p)) {
            emit(MediaEventType::RtcpBye);
        }
    }
}

void RtpStream::send_rtcp_report(bool bye) noexcept {
    if (remote_rtcp_.empty()) return;
    try {
        std::vector<rtp::RtcpPacket> pkts;
        std::vector<rtp::RtcpReportBlock> blocks;
        if (have_remote_ssrc_ && rstats_ && rstats_->valid()) {
            const rtp::ReceptionReport r = rstats_->report();
            rtp::RtcpReportBlock b;
            b.ssrc = remote_ssrc_;
            b.fraction_lost = r.fraction_lost;
            b.cumulative_lost = std::clamp(r.cumulative_lost, -8388608, 8388607);
            b.extended_highest_seq = r.extended_highest_seq;
            b.jitter = r.jitter;
            if (lsr_arrival_ns_ != 0) {
                b.lsr = lsr_;
                const std::int64_t now = monotonic_ns();
                b.dlsr = static_cast<std::uint32_t>(static_cast<double>(now - lsr_arrival_ns_) / 1e9 * 65536.0);
            }
            blocks.push_back(b);
        }
        if (sent_since_report_) {
            rtp::RtcpSenderReport sr;
            sr.ssrc = ssrc_;
            sr.ntp_timestamp = rtp::ntp_from_unix(unix_now());
            sr.rtp_timestamp = ts_;
            sr.packet_count = static_cast<std::uint32_t>(st_.packets_sent);
            sr.octet_count = static_cast<std::uint32_t>(st_.bytes_sent);
            sr.reports = std::move(blocks);
            pkts.emplace_back(std::move(sr));
        } else {
            rtp::RtcpReceiverReport rr;
            rr.ssrc = ssrc_;
            rr.reports = std::move(blocks);
            pkts.emplace_back(std::move(rr));
        }
        sent_since_report_ = false;
        rtp::RtcpSdes sdes;
        sdes.chunks.push_back({ssrc_, {{rtp::kSdesCname, cfg_.cname.substr(0, 255)}}});
        pkts.emplace_back(std::move(sdes));
        if (bye) pkts.emplace_back(rtp::RtcpBye{{ssrc_}, std::nullopt});
        const auto bytes = rtp::build_rtcp_compound(pkts);
        if (bytes.size() > 1500) return;
        std::memcpy(rtcp_buf_.data(), bytes.data(), bytes.size());
        ++st_.rtcp_sent;
        send_datagram(params_.rtcp_mux ? rtp_fd_ : rtcp_fd_, rtcp_buf_.data(), static_cast<int>(bytes.size()), true, remote_rtcp_);
    } catch (...) {
        ++st_.send_errors;
    }
}

void RtpStream::send_bye() noexcept {
    if (configured_) send_rtcp_report(true);
}

// ---- errors ----

void RtpStream::on_recv_error(int err, const SocketAddress* to, std::int64_t now_ns) {
    ++st_.icmp_errors;
    if (now_ns == 0)
        now_ns = monotonic_ns();
    if (last_icmp_ns_ != 0 && now_ns - last_icmp_ns_ < 1000 * kMs) return;  // one event a second
    last_icmp_ns_ = now_ns;
    emit(MediaEventType::IcmpError, err, to ? to : &remote_rtp_);
}

void RtpStream::on_error_queue(int fd, std::int64_t now_ns) {
    for (int i = 0; i < 16; ++i) {
        std::array<std::uint8_t, 512> control{};
        std::array<std::uint8_t, 64> data{};
        sockaddr_storage name{};
        iovec iov{data.data(), data.size()};
        msghdr msg{};
        msg.msg_name = &name;
        msg.msg_namelen = sizeof name;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.data();
        msg.msg_controllen = control.size();
        if (::recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) return;
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            if (!((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
                  (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)))
                continue;
            sock_extended_err ee;
            std::memcpy(&ee, CMSG_DATA(c), sizeof ee);
            if (ee.ee_origin != SO_EE_ORIGIN_ICMP && ee.ee_origin != SO_EE_ORIGIN_ICMP6) continue;
            SocketAddress to;
            to.storage = name;
            to.length = msg.msg_namelen;
            on_recv_error(static_cast<int>(ee.ee_errno), to.length ? &to : nullptr, now_ns);
        }
    }
}

// ---- statistics ----

void RtpStream::update_quality() noexcept {
    st_.tx_level_dbfs = level_dbfs(tx_mean_sq_);
    st_.rx_level_dbfs = level_dbfs(rx_mean_sq_);
    if (rstats_) {
        st_.packets_lost = rstats_->lost();
        const std::int64_t expected = rstats_->expected();
        st_.loss_percent = expected > 0 ? std::max<double>(0.0, double(st_.packets_lost) * 100.0 / double(expected)) : 0.0;
        st_.jitter_ms = rstats_->jitter_ms();
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
    // Mouth-to-ear estimate: network (RTT/2), jitter buffer, packetisation, and ~5 ms codec.
    const double one_way = (st_.rtt_ms > 0 ? st_.rtt_ms / 2 : 0) + st_.jb_delay_ms + params_.ptime + 5.0;
    st_.r_factor = r_factor(codec_impairment(to_string(kind_)), st_.loss_percent, one_way);
    st_.mos = mos_from_r(st_.r_factor);
}

void RtpStream::publish(bool force) noexcept {
    // The quality figures are cheap but not free: refresh them on forced publishes and every
    // 25th tick (twice a second at 20 ms).
    if (force || st_.ticks % 25 == 0) update_quality();
    std::unique_lock lock(pub_mu_, std::defer_lock);
    if (force) lock.lock();
    else if (!lock.try_lock()) return;
    published_ = st_;
}

SessionStats RtpStream::stats() const {
    std::lock_guard lock(pub_mu_);
    return published_;
}

}  // namespace siperb::media
