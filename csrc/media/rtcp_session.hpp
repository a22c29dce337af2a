// The reporting side of a stream: RTCP reports out (SR or RR, SDES, BYE) on the RFC 3550
// schedule, reports in (RTT from LSR/DLSR, what the remote says about us, BYE), the quality
// score (E-model R and MOS) and the statistics snapshot other threads read. Engine thread,
// except stats() (any thread: the snapshot's mutex is held for a copy only).
#pragma once

#include "media/codec_unit.hpp"
#include "media/rtp_transport.hpp"
#include "media/session_config.hpp"
#include "media/session_stats.hpp"
#include "media/srtp.hpp"
#include "media/stream_events.hpp"
#include "rtp/receiver_stats.hpp"

#include <array>
#include <cstdint>
#include <mutex>
#include <random>

namespace siperb::media {

// What one report says about this stream (gathered from the sender and receiver).
struct ReportInput {
    std::uint32_t ssrc = 0;
    std::uint32_t rtp_timestamp = 0;
    bool sent_since_report = false;           // an SR (else an RR)
    const rtp::ReceptionReport* reception = nullptr;  // about remote_ssrc; null: none yet
    std::uint32_t remote_ssrc = 0;
};

class RtcpSession {
public:
    // cfg gives the interval, the stats interval and the CNAME; all references outlive this.
    RtcpSession(const SessionConfig& cfg, std::mt19937& rng, RtpTransport& net, SessionStats& st, StreamEvents& events);

    // The first report (half the interval) and the first stats event are timed from now_ns.
    void start(std::int64_t now_ns) noexcept;
    bool report_due(std::int64_t now_ns) const noexcept { return now_ns >= next_rtcp_ns_; }
    void schedule(std::int64_t now_ns, bool initial) noexcept;
    // True (once per interval) when the periodic Stats event is due.
    bool stats_due(std::int64_t now_ns) noexcept;

    void send_report(bool bye, const ReportInput& in) noexcept;
    // One RTCP compound from the remote, arrived at now_ns (monotonic). ssrc: ours, to find
    // the blocks about us; rx_clock: the RTP clock the remote's jitter is in (0: unknown).
    void on_rtcp(std::uint8_t* buf, int len, std::int64_t now_ns, std::uint32_t ssrc, std::uint32_t rx_clock);

    // The E-model score from the figures already in the stats (loss, RTT, jitter buffer delay).
    void update_score(unsigned ptime, CodecKind kind) noexcept;
    // Copies the counters into the snapshot (force: waits for the lock, else skips if busy).
    void publish(bool force) noexcept;
    SessionStats stats() const;

private:
    const SessionConfig& cfg_;
    std::mt19937& rng_;
    RtpTransport& net_;
    SessionStats& st_;
    StreamEvents& events_;
    std::int64_t next_rtcp_ns_ = 0;
    std::uint32_t lsr_ = 0;
    std::int64_t lsr_arrival_ns_ = 0;
    std::int64_t next_stats_ns_ = 0;
    std::array<std::uint8_t, 1500 + SrtpContext::kSrtpTrailer> buf_{};
    mutable std::mutex pub_mu_;
    SessionStats published_;
};

}  // namespace siperb::media
