// Per-source receive statistics of RFC 3550 Appendix A.1 (validation, extended sequence number),
// A.3 (expected / lost / fraction lost) and A.8 (interarrival jitter).
#pragma once

#include <cstdint>

namespace siperb::rtp {

struct ReceptionReport {
    std::uint8_t fraction_lost = 0;     // lost fraction since the last report, in 1/256
    std::int32_t cumulative_lost = 0;   // expected - received (negative with duplicates)
    std::uint32_t extended_highest_seq = 0;
    std::uint32_t jitter = 0;           // timestamp units
};

class RtpReceiverStats {
public:
    static constexpr int kMinSequential = 2;
    static constexpr int kMaxDropout = 3000;
    static constexpr int kMaxMisorder = 100;
    // A transit-time change beyond this is a timestamp discontinuity (a restarted or bogus
    // clock), not network jitter: it does not enter the A.8 estimate, which stays below it.
    static constexpr double kMaxTransitJumpMs = 2000.0;
    static constexpr double kMaxJitterMs = kMaxTransitJumpMs;

    explicit RtpReceiverStats(std::uint32_t clock_rate);

    // One received packet; arrival_ms on any monotonic clock. Returns false while the source is
    // on probation or when the packet is an implausible jump (RFC 3550 A.1 update_seq).
    bool update(std::uint16_t seq, std::uint32_t timestamp, double arrival_ms);
    // Fraction lost since the previous call (A.3), then the cumulative figures.
    ReceptionReport report();

    bool valid() const { return probation_ == 0 && started_; }
    std::uint32_t extended_highest_seq() const { return cycles_ + max_seq_; }
    std::uint32_t cycles() const { return cycles_ >> 16; }
    std::uint32_t base_seq() const { return base_seq_; }
    std::uint64_t received() const { return received_; }
    std::int64_t expected() const { return valid() ? std::int64_t{extended_highest_seq()} - base_seq_ + 1 : 0; }
    std::int64_t lost() const { return valid() ? expected() - std::int64_t(received_) : 0; }
    double jitter() const { return jitter_; }  // timestamp units
    double jitter_ms() const { return jitter_ * 1000.0 / clock_rate_; }
    std::uint32_t clock_rate() const { return clock_rate_; }

private:
    void init_seq(std::uint16_t seq);

    std::uint32_t clock_rate_;
    bool started_ = false;
    std::uint16_t max_seq_ = 0;
    std::uint32_t cycles_ = 0;  // shifted count of seq cycles (multiples of 65536)
    std::uint32_t base_seq_ = 0;
    std::uint32_t bad_seq_ = 0x10001;
    int probation_ = 0;
    std::uint64_t received_ = 0;
    std::int64_t expected_prior_ = 0;
    std::uint64_t received_prior_ = 0;
    bool have_transit_ = false;
    double transit_ = 0;
    double jitter_ = 0;
};

}  // namespace siperb::rtp
