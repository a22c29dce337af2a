// Target-delay estimation for the jitter buffer, after WebRTC NetEq's DelayManager: the delay of
// each packet relative to the fastest packet of the last two seconds goes into a histogram with
// exponential forgetting; the target is a high quantile of it. A spike moves the quantile up
// within a few packets; the forgetting factor brings it back down over seconds.
#pragma once

#include "common/block_pool.hpp"

#include <cstdint>
#include <deque>
#include <vector>

namespace siperb::jbuf {

struct DelayManagerConfig {
    double quantile = 0.95;
    double forget_factor = 0.983;  // per packet
    int bucket_ms = 10;
    int history_ms = 2000;         // window of the relative-delay reference
    int max_ms = 2000;
};

class DelayManager {
public:
    explicit DelayManager(DelayManagerConfig config = {});
    // A packet with media time media_ms (its RTP timestamp in ms, unwrapped) arrived at
    // arrival_ms. Returns its relative delay in ms.
    double update(double arrival_ms, double media_ms);
    // The quantile of relative delay in ms (upper edge of the quantile bucket; 0 before data).
    double quantile_ms() const { return quantile_ms_; }
    // Smallest transit (arrival minus media time) of the window: the reference that relative
    // delays and the buffer's playout offset are measured from.
    double fastest_transit_ms() const { return fastest_ms_; }
    bool has_reference() const { return !history_.empty(); }
    // Forget the time reference (timestamps restarted), keep the histogram (same network).
    void reset_reference() { history_.clear(); }
    void reset();
    std::uint64_t packets() const { return packets_; }

private:
    struct Sample {
        double arrival_ms;
        double transit_ms;
    };
    DelayManagerConfig config_;
    // The histogram is stored divided by scale_ (forgetting every bucket is one multiply of
    // scale_, not one per bucket); total_ is the sum of the true values.
    PooledVector<double> histogram_;
    double scale_ = 1.0;
    double total_ = 0.0;
    // Sliding-window minimum of transit: arrivals increase and transits increase from front to
    // back, so the front is the fastest packet of the window (O(1) amortised per packet).
    std::deque<Sample> history_;
    double quantile_ms_ = 0;
    double fastest_ms_ = 0;
    std::uint64_t packets_ = 0;
};

}  // namespace siperb::jbuf
