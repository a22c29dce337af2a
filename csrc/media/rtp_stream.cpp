#include "media/rtp_stream.hpp"

#include "common/clock.hpp"
#include "common/error.hpp"
#include "rtp/bytes.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <string>

namespace siperb::media {

namespace {

constexpr int kOpusRates[] = {8000, 12000, 16000, 24000, 48000};
constexpr std::size_t kMaxFrame = 48000 * 60 / 1000;  // 60 ms at 48 kHz

int opus_rate_at_least(unsigned hz) {
    for (int r : kOpusRates)
        if (static_cast<unsigned>(r) >= hz) return r;
    return 48000;
}

// The random start of the RTP sequence, drawn in the order the stream has always drawn them.
RtpSender::Origin draw_origin(std::mt19937& rng) {
    RtpSender::Origin o;
    o.ssrc = static_cast<std::uint32_t>(rng());
    o.seq = static_cast<std::uint16_t>(rng());
    o.ts = static_cast<std::uint32_t>(rng());
    return o;
}

}  // namespace

RtpStream::RtpStream(std::uint64_t id, SessionConfig cfg, EventQueue* events, int rtp_fd, int rtcp_fd)
    : cfg_(std::move(cfg)),
      events_(id, events),
      rng_(std::random_device{}()),
      net_(rtp_fd, rtcp_fd, st_, events_),
      rtcp_(cfg_, rng_, net_, st_, events_),
      tx_(draw_origin(rng_), params_, net_, st_, events_),
      rx_(cfg_, params_, st_, events_) {
    if (cfg_.cname.empty()) cfg_.cname = "siperb-" + std::to_string(rng_()) + "@" + cfg_.local_address;
    st_.ssrc = tx_.ssrc();
    if (cfg_.webrtc) {
        webrtc_ = std::make_unique<WebRtcTransport>(cfg_, rtp_fd, st_, events_);
        net_.set_send_open(false);  // until ICE selected a pair and DTLS gave keys
    }
}

RtpStream::~RtpStream() = default;

std::unique_ptr<StreamSetup> RtpStream::prepare(const SessionConfig& cfg, const StreamParams& p_in,
                                                const StreamParams* current, int decode_rate) {
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
    if (cfg.webrtc) {  // one socket; ICE's selected pair, not c=/m=, says where media goes
        p.rtcp_mux = true;
        s->webrtc = WebRtcSetup::from(p);
    } else if (!p.remote_address.empty() && p.remote_port != 0) {
        s->remote_rtp = net::SocketAddress::parse(p.remote_address, p.remote_port, "remote_address");
        const std::string rtcp_host = p.remote_rtcp_address.empty() ? p.remote_address : p.remote_rtcp_address;
        const std::uint16_t rtcp_port =
            p.rtcp_mux ? p.remote_port : (p.remote_rtcp_port ? p.remote_rtcp_port : static_cast<std::uint16_t>(p.remote_port + 1));
        s->remote_rtcp = net::SocketAddress::parse(rtcp_host, rtcp_port, "remote_rtcp_address");
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
        s->rx = RtpReceiver::make_chain(cfg, p, s->kind, decode_rate > 0 ? decode_rate : opus_decode_rate_for(cfg.opus_decode_rate, 48000, 0));
    }
    s->srtp_changed = !cfg.webrtc && (!current || current->srtp_suite != p.srtp_suite ||
                                      current->srtp_local_key != p.srtp_local_key || current->srtp_remote_key != p.srtp_remote_key);
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
        tx_.swap_encoder(s.encoder);
        rx_.swap_chain(s.rx);
        apply_complexity_cap(complexity_cap_);  // a new encoder starts at the configured one
    }
    if (s.srtp_changed) net_.swap_srtp(s.srtp_tx, s.srtp_rx);
    // A new DTLS handshake: the old keys go (to be freed by the caller) until new ones come.
    if (webrtc_ && s.webrtc && webrtc_->apply(*s.webrtc, now_ns)) net_.swap_srtp(s.srtp_tx, s.srtp_rx);
    // A re-negotiation naming the same remote keeps what was latched since (NAT).
    if (!s.remote_rtp.empty() && !(s.remote_rtp == negotiated_rtp_ && s.remote_rtcp == negotiated_rtcp_)) {
        negotiated_rtp_ = s.remote_rtp;
        negotiated_rtcp_ = s.remote_rtcp;
        net_.set_remote_rtp(s.remote_rtp);
        net_.set_remote_rtcp(s.remote_rtcp);
        rtp_src_.reset(s.remote_rtp);
    }
    kind_ = s.kind;
    std::swap(params_, s.params);
    net_.set_rtcp_mux(params_.rtcp_mux);
    rx_.set_telephone_event_rate(params_.telephone_event_rate);
    std::snprintf(st_.codec.data(), st_.codec.size(), "%s", to_string(kind_));
    st_.ptime = params_.ptime;
    st_.payload_type = params_.payload_type;
    configured_ = true;
    if (first) {
        rx_.start(now_ns);
        rtcp_.start(now_ns);
    }
    if (webrtc_) sync_webrtc();
    publish(true);
}

void RtpStream::set_direction(sdp::Direction d) noexcept {
    if (sdp::receives(d) && !sdp::receives(params_.direction)) rx_.rearm_timeout();
    params_.direction = d;
}

void RtpStream::set_remote(const net::SocketAddress& rtp, const net::SocketAddress& rtcp) noexcept {
    net_.set_remote_rtp(rtp);
    net_.set_remote_rtcp(rtcp);
    negotiated_rtp_ = rtp;
    negotiated_rtcp_ = rtcp;
    rtp_src_.reset(rtp);
    params_.remote_address = rtp.host();
    params_.remote_port = rtp.port();
}

void RtpStream::apply_complexity_cap(int level) noexcept {
    complexity_cap_ = level;
    const int applied = std::min(level, cfg_.opus_complexity);
    tx_.set_complexity(applied);
    st_.opus_complexity = tx_.complexity();
    st_.opus_band_hz = st_.opus_complexity < 0 ? 0 : opus_band_hz(applied);
}

void RtpStream::note_ticks(std::uint64_t late, std::uint64_t missed) noexcept {
    st_.late_ticks += late;
    st_.missed_ticks += missed;
}

// ---- datagrams: RTP and RTCP on one socket or two (RFC 5761) ----

void RtpStream::learn_remote(const net::SocketAddress& from, bool rtcp) {
    if (rtcp) {
        if (!(from == net_.remote_rtcp())) net_.set_remote_rtcp(from);
        return;
    }
    if (from == net_.remote_rtp()) return;
    net_.set_remote_rtp(from);
    if (params_.rtcp_mux) net_.set_remote_rtcp(from);
    params_.remote_address = from.host();
    params_.remote_port = from.port();
    events_.emit(MediaEventType::RemoteAddressChanged, 0, &from);
}

void RtpStream::on_datagram(std::uint8_t* buf, int len, const net::SocketAddress& from, bool rtcp_socket, std::int64_t now_ns) {
    if (webrtc_ && len > 0) {  // RFC 7983 on the one socket
        const PacketKind kind = classify_packet(buf, static_cast<std::size_t>(len));
        if (kind != PacketKind::Rtp && kind != PacketKind::Rtcp) {
            const bool relayed = webrtc_->on_packet(kind, buf, static_cast<std::size_t>(len), from, now_ns);
            sync_webrtc();
            if (!configured_) publish(true);  // no ticks before start(): keep the counters readable
            if (relayed) {  // SRTP unwrapped from the TURN relay: the RTP path, from the peer
                std::vector<std::uint8_t>& m = webrtc_->relayed_media();
                const net::SocketAddress peer = webrtc_->relayed_from();
                on_datagram(m.data(), static_cast<int>(m.size()), peer, false, now_ns);
            }
            return;
        }
        if (!webrtc_->accept_media(from, now_ns)) {  // only the selected pair's remote
            ++st_.foreign_source;
            return;
        }
        if (!net_.authenticates()) {  // SRTP ahead of the DTLS keys: quietly dropped
            ++st_.srtp_before_keys;
            return;
        }
    }
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
        if (!net_.unprotect(buf, len, true)) return;
        // RTCP from the remote's RTCP address, or from the host our RTP comes from (a NAT
        // maps the RTCP port apart), or authenticated (SRTCP).
        if (!(from == net_.remote_rtcp() || from.same_host(rtp_src_.source()) || net_.authenticates())) {
            ++st_.foreign_source;
            return;
        }
        if (cfg_.symmetric_rtp) learn_remote(from, true);
        rtcp_.on_rtcp(buf, len, now_ns, tx_.ssrc(), rx_.clock_rate());
        return;
    }
    if (len < 12) {
        ++st_.invalid_packets;
        return;
    }
    if (!net_.unprotect(buf, len, false)) return;
    if (!rtp_src_.accept(from, rtp::read32(buf + 8), rtp::read16(buf + 2), net_.authenticates(), now_ns)) {
        ++st_.foreign_source;  // not (yet) the stream's source: never played
        return;
    }
    if (rtp_src_.latched() && cfg_.symmetric_rtp) learn_remote(from, false);
    rx_.on_rtp(buf, len, now_ns);
}

// ---- WebRTC: what ICE and DTLS changed ----

void RtpStream::sync_webrtc() noexcept {
    net::SocketAddress sel;
    if (webrtc_->take_selected(sel)) {
        net_.set_remote_rtp(sel);
        net_.set_remote_rtcp(sel);
        rtp_src_.reset(sel);
        negotiated_rtp_ = negotiated_rtcp_ = sel;
    }
    try {
        if (auto keys = webrtc_->take_keys()) {
            auto tx = std::make_unique<SrtpContext>(keys->local, true);
            auto rx = std::make_unique<SrtpContext>(keys->remote, false);
            net_.swap_srtp(tx, rx);  // the replaced ones (none after a restart) go here
        }
    } catch (...) {
        ++st_.srtp_errors;
    }
    net_.set_send_open(!webrtc_->failed() && net_.protects());
    net_.set_relay(webrtc_->relayed() ? webrtc_.get() : nullptr);
}

void RtpStream::on_transport_timeout(std::int64_t now_ns) {
    if (!webrtc_) return;
    webrtc_->on_timeout(now_ns);
    sync_webrtc();
}

void RtpStream::close_transport(std::int64_t now_ns) {
    if (!webrtc_) return;
    webrtc_->close(now_ns);
    net_.set_send_open(false);
}

// ---- packet time ----

void RtpStream::on_tick(std::int64_t now_ns) {
    if (!configured_) return;
    ++st_.ticks;
    // A settled peer's socket is connected, until it is not settled (rtp_transport.hpp).
    if (!webrtc_) net_.settle(rtp_src_.source(), rtp_src_.last_heard_ns(), now_ns);
    const bool sending = sdp::sends(params_.direction) && !net_.remote_rtp().empty() && net_.send_open();
    std::array<std::int16_t, kMaxFrame> tx;
    std::size_t tx_len = 0;
    tx_.tick(sending, rtp_clock_rate(kind_), tx, tx_len);

    std::array<std::int16_t, kMaxFrame> rx;
    std::size_t rx_len = 0;
    int rx_rate = 0;
    if (sdp::receives(params_.direction) && rx_.can_play()) rx_rate = rx_.play(now_ns, rx, rx_len);

    if (rec_.active()) {
        // Both directions every packet time: silence stands in for what did not go out or in.
        const int tx_rate = tx_.sample_rate();
        if (rx_rate == 0) rx_rate = tx_rate;
        if (tx_len == 0) {
            tx_len = static_cast<std::size_t>(tx_rate) * params_.ptime / 1000;
            std::fill_n(tx.begin(), tx_len, std::int16_t{0});
        }
        if (rx_len == 0) {
            rx_len = static_cast<std::size_t>(rx_rate) * params_.ptime / 1000;
            std::fill_n(rx.begin(), rx_len, std::int16_t{0});
        }
        st_.recorder_dropped = rec_.write(std::span(tx.data(), tx_len), tx_rate, std::span(rx.data(), rx_len), rx_rate);
    }

    if (sdp::receives(params_.direction)) rx_.check_timeout(now_ns);
    if (rtcp_.report_due(now_ns)) {
        send_rtcp(false);
        rtcp_.schedule(now_ns, false);
    }
    if (rtcp_.stats_due(now_ns)) {
        publish(true);
        events_.emit(MediaEventType::Stats);
        return;
    }
    publish(false);
}

// ---- RTCP and statistics ----

void RtpStream::send_rtcp(bool bye) noexcept {
    if (net_.remote_rtcp().empty()) return;
    rtp::ReceptionReport reception;
    ReportInput in;
    in.ssrc = tx_.ssrc();
    in.rtp_timestamp = tx_.timestamp();
    try {
        if (rx_.take_report(in.remote_ssrc, reception)) in.reception = &reception;
    } catch (...) {
        ++st_.send_errors;
        return;
    }
    in.sent_since_report = tx_.take_sent_since_report();
    rtcp_.send_report(bye, in);
}

void RtpStream::send_bye() noexcept {
    if (configured_) send_rtcp(true);
}

void RtpStream::publish(bool force) noexcept {
    // The quality figures are cheap but not free: refresh them on forced publishes and every
    // 25th tick (twice a second at 20 ms).
    if (force || st_.ticks % 25 == 0) {
        tx_.update_stats();
        rx_.update_stats();
        rtcp_.update_score(params_.ptime, kind_);
    }
    rtcp_.publish(force);
}

}  // namespace siperb::media
