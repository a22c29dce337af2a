// A snapshot of one session's counters, readable from any thread at any time.
#pragma once

#include <array>
#include <cstdint>

namespace siperb::media {

struct SessionStats {
    // RTP
    std::uint64_t packets_sent = 0, bytes_sent = 0, packets_received = 0, bytes_received = 0;
    std::int64_t packets_lost = 0;       // RFC 3550 A.3 cumulative (expected - received)
    double loss_percent = 0;             // packets_lost / expected
    double jitter_ms = 0;                // RFC 3550 A.8 interarrival jitter
    std::uint64_t invalid_packets = 0;   // not RTP/RTCP, bad header, wrong version
    std::uint64_t unknown_payload = 0;   // RTP with a payload type we did not negotiate
    std::uint64_t foreign_source = 0;    // dropped: not from the stream's source (see SourceLatch)
    std::uint64_t send_errors = 0;
    // SRTP
    std::uint64_t srtp_auth_failures = 0, srtp_replays = 0, srtp_errors = 0;
    // WebRTC: SRTP dropped before the DTLS keys, datagrams of no RFC 7983 range, DTLS
    // handshakes begun and key sets installed (a hold/resume re-INVITE adds none)
    std::uint64_t srtp_before_keys = 0, demux_dropped = 0, dtls_handshakes = 0, srtp_keyings = 0;
    std::uint64_t stun_received = 0, dtls_received = 0, early_dtls_dropped = 0;
    // RTCP
    std::uint64_t rtcp_sent = 0, rtcp_received = 0;
    double rtt_ms = -1;                  // from the remote's reports (LSR/DLSR); -1 unknown
    double remote_loss_percent = 0;      // fraction lost the remote reports about us
    double remote_jitter_ms = 0;
    // Jitter buffer and playout
    double jb_delay_ms = 0, jb_target_ms = 0;
    std::uint64_t jb_late = 0, jb_lost = 0, jb_duplicated = 0, jb_discarded = 0;
    std::uint64_t frames_played = 0, frames_concealed = 0, frames_silence = 0;
    std::uint64_t accelerated = 0, decelerated = 0, fec_recovered = 0;
    // Engine clock
    std::uint64_t ticks = 0, late_ticks = 0, missed_ticks = 0;
    std::uint64_t source_underruns = 0, recorder_dropped = 0;
    int opus_complexity = -1;            // the encoder's now (the CPU governor moves it); -1: not Opus
    int opus_band_hz = 0;                // the widest band it may send now (the governor's levels
                                         // below 0 cap it: codec_unit.hpp); 0: not Opus
    int decode_rate = 0;                 // PCM rate of the receiving decoder (Opus: 8-48 kHz)
    std::uint64_t dtmf_sent = 0, dtmf_received = 0, icmp_errors = 0;
    // Quality (ITU-T G.107 simplified)
    double r_factor = 0, mos = 0;
    // Level of the last packet time sent and played, in dBFS (-100 for digital silence): a meter.
    double tx_level_dbfs = -100, rx_level_dbfs = -100;
    // Identity
    std::uint32_t ssrc = 0, remote_ssrc = 0;
    std::array<char, 16> codec{};
    unsigned ptime = 0, payload_type = 0;
};

}  // namespace siperb::media
