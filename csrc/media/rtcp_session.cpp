#include "media/rtcp_session.hpp"

#include "common/clock.hpp"
#include "common/error.hpp"
#include "dsp/e_model.hpp"
#include "rtp/ntp.hpp"
#include "rtp/receiver_stats.hpp"
#include "rtp/rtcp.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

namespace siperb::media {

namespace {
constexpr std::int64_t kMs = 1'000'000;

double unix_now() {
    return static_cast<double>(realtime_ns()) / 1e9;
}
}  // namespace

RtcpSession::RtcpSession(const SessionConfig& cfg, std::mt19937& rng, RtpTransport& net, SessionStats& st,
                         StreamEvents& events)
    : cfg_(cfg), rng_(rng), net_(net), st_(st), events_(events) {}

void RtcpSession::start(std::int64_t now_ns) noexcept {
    schedule(now_ns, true);
    next_stats_ns_ = now_ns + std::int64_t{cfg_.stats_interval_ms} * kMs;
}

void RtcpSession::schedule(std::int64_t now_ns, bool initial) noexcept {
    // RFC 3550 6.3.1 / A.7: Tmin (halved for the first report), times U(0.5, 1.5), divided by
    // e - 3/2 to compensate for the timer reconsideration this two-party session does not need.
    const double tmin = cfg_.rtcp_interval_ms * (initial ? 0.5 : 1.0);
    const double factor = std::uniform_real_distribution<double>(0.5, 1.5)(rng_) / 1.21828;
    next_rtcp_ns_ = now_ns + static_cast<std::int64_t>(tmin * factor * kMs);
}

bool RtcpSession::stats_due(std::int64_t now_ns) noexcept {
    if (cfg_.stats_interval_ms == 0 || now_ns < next_stats_ns_) return false;
    next_stats_ns_ = now_ns + std::int64_t{cfg_.stats_interval_ms} * kMs;
    return true;
}

void RtcpSession::on_rtcp(std::uint8_t* buf, int len, std::int64_t now_ns, std::uint32_t ssrc, std::uint32_t rx_clock) {
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
            if (b.ssrc != ssrc) continue;
            if (auto rtt = rtp::rtcp_round_trip_time(b, ntp_now); rtt && *rtt >= 0 && *rtt < 60) st_.rtt_ms = *rtt * 1000.0;
            st_.remote_loss_percent = b.fraction_lost * 100.0 / 256.0;
            st_.remote_jitter_ms = rx_clock ? std::min(b.jitter * 1000.0 / rx_clock, rtp::RtpReceiverStats::kMaxJitterMs) : 0;
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
            events_.emit(MediaEventType::RtcpBye);
        }
    }
}

void RtcpSession::send_report(bool bye, const ReportInput& in) noexcept {
    try {
        std::vector<rtp::RtcpPacket> pkts;
        std::vector<rtp::RtcpReportBlock> blocks;
        if (in.reception) {
            const rtp::ReceptionReport& r = *in.reception;
            rtp::RtcpReportBlock b;
            b.ssrc = in.remote_ssrc;
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
        if (in.sent_since_report) {
            rtp::RtcpSenderReport sr;
            sr.ssrc = in.ssrc;
            sr.ntp_timestamp = rtp::ntp_from_unix(unix_now());
            sr.rtp_timestamp = in.rtp_timestamp;
            sr.packet_count = static_cast<std::uint32_t>(st_.packets_sent);
            sr.octet_count = static_cast<std::uint32_t>(st_.bytes_sent);
            sr.reports = std::move(blocks);
            pkts.emplace_back(std::move(sr));
        } else {
            rtp::RtcpReceiverReport rr;
            rr.ssrc = in.ssrc;
            rr.reports = std::move(blocks);
            pkts.emplace_back(std::move(rr));
        }
        rtp::RtcpSdes sdes;
        sdes.chunks.push_back({in.ssrc, {{rtp::kSdesCname, cfg_.cname.substr(0, 255)}}});
        pkts.emplace_back(std::move(sdes));
        if (bye) pkts.emplace_back(rtp::RtcpBye{{in.ssrc}, std::nullopt});
        const auto bytes = rtp::build_rtcp_compound(pkts);
        if (bytes.size() > 1500) return;
        std::memcpy(buf_.data(), bytes.data(), bytes.size());
        ++st_.rtcp_sent;
        net_.send_rtcp(buf_.data(), static_cast<int>(bytes.size()));
    } catch (...) {
        ++st_.send_errors;
    }
}

void RtcpSession::update_score(unsigned ptime, CodecKind kind) noexcept {
    // Mouth-to-ear estimate: network (RTT/2), jitter buffer, packetisation, and ~5 ms codec.
    const double one_way = (st_.rtt_ms > 0 ? st_.rtt_ms / 2 : 0) + st_.jb_delay_ms + ptime + 5.0;
    st_.r_factor = dsp::r_factor(dsp::codec_impairment(to_string(kind)), st_.loss_percent, one_way);
    st_.mos = dsp::mos_from_r(st_.r_factor);
}

void RtcpSession::publish(bool force) noexcept {
    std::unique_lock lock(pub_mu_, std::defer_lock);
    if (force) lock.lock();
    else if (!lock.try_lock()) return;
    published_ = st_;
}

SessionStats RtcpSession::stats() const {
    std::lock_guard lock(pub_mu_);
    return published_;
}

}  // namespace siperb::media
