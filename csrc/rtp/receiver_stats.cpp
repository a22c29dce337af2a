#include "rtp/receiver_stats.hpp"

#include "common/error.hpp"

#include <algorithm>
#include <cmath>

namespace siperb::rtp {

RtpReceiverStats::RtpReceiverStats(std::uint32_t clock_rate) : clock_rate_(clock_rate) {
    if (clock_rate == 0) throw RtpError("clock rate", "must be positive");
}

void RtpReceiverStats::init_seq(std::uint16_t seq) {
    base_seq_ = seq;
    max_seq_ = seq;
    bad_seq_ = 0x10001;
    cycles_ = 0;
    received_ = 0;
    received_prior_ = 0;
    expected_prior_ = 0;
}

bool RtpReceiverStats::update(std::uint16_t seq, std::uint32_t timestamp, double arrival_ms) {
    if (!started_) {
        started_ = true;
        init_seq(seq);
        max_seq_ = static_cast<std::uint16_t>(seq - 1);
        probation_ = kMinSequential;
    }
    const std::uint16_t udelta = static_cast<std::uint16_t>(seq - max_seq_);
    if (probation_ > 0) {
        if (seq == static_cast<std::uint16_t>(max_seq_ + 1)) {
            --probation_;
            max_seq_ = seq;
            if (probation_ != 0) return false;
            init_seq(seq);
        } else {
            probation_ = kMinSequential - 1;
            max_seq_ = seq;
            return false;
        }
    } else if (udelta < kMaxDropout) {
        if (seq < max_seq_) cycles_ += 0x10000;  // wrapped
        max_seq_ = seq;
    } else if (udelta <= 0x10000 - kMaxMisorder) {
        if (seq == bad_seq_) {
            init_seq(seq);  // the source restarted: two sequential packets after a jump
        } else {
            bad_seq_ = (seq + 1u) & 0xFFFFu;
            return false;
        }
    }  // else: duplicate or reordered packet, counted below
    ++received_;
    // A.8: interarrival jitter in timestamp units.
    const double arrival = arrival_ms * clock_rate_ / 1000.0;
    const double transit = arrival - static_cast<double>(timestamp);
    if (have_transit_) {
        // Timestamps wrap: take the transit difference modulo 2^32 as a signed value.
        double d = transit - transit_;
        d = std::remainder(d, 4294967296.0);
        if (std::fabs(d) <= kMaxTransitJumpMs * clock_rate_ / 1000.0) jitter_ += (std::fabs(d) - jitter_) / 16.0;
    }
    transit_ = transit;
    have_transit_ = true;
    return true;
}

ReceptionReport RtpReceiverStats::report() {
    ReceptionReport r;
    if (!valid()) return r;
    const std::int64_t exp = expected();
    const std::int64_t expected_interval = exp - expected_prior_;
    expected_prior_ = exp;
    const std::int64_t received_interval = std::int64_t(received_ - received_prior_);
    received_prior_ = received_;
    const std::int64_t lost_interval = expected_interval - received_interval;
    if (expected_interval > 0 && lost_interval > 0)
        r.fraction_lost = static_cast<std::uint8_t>(std::min<std::int64_t>(255, (lost_interval << 8) / expected_interval));
    const std::int64_t lost_total = lost();
    r.cumulative_lost = static_cast<std::int32_t>(std::clamp<std::int64_t>(lost_total, -0x800000, 0x7FFFFF));
    r.extended_highest_seq = extended_highest_seq();
    r.jitter = static_cast<std::uint32_t>(jitter_);
    return r;
}

}  // namespace siperb::rtp
