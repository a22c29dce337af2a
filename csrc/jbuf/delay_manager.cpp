#include "jbuf/delay_manager.hpp"

#include <algorithm>
#include <cmath>

namespace siperb::jbuf {

DelayManager::DelayManager(DelayManagerConfig config) : config_(config) {
    config_.bucket_ms = std::max(1, config_.bucket_ms);
    config_.quantile = std::clamp(config_.quantile, 0.5, 0.9999);
    config_.forget_factor = std::clamp(config_.forget_factor, 0.5, 0.9999);
    histogram_.assign(static_cast<std::size_t>(std::max(1, config_.max_ms / config_.bucket_ms)) + 1, 0.0);
}

void DelayManager::reset() {
    std::fill(histogram_.begin(), histogram_.end(), 0.0);
    scale_ = 1.0;
    total_ = 0.0;
    history_.clear();
    quantile_ms_ = 0;
    packets_ = 0;
}

double DelayManager::update(double arrival_ms, double media_ms) {
    const double transit = arrival_ms - media_ms;
    while (!history_.empty() && history_.front().arrival_ms < arrival_ms - config_.history_ms)
        history_.pop_front();
    if (!history_.empty() && transit - history_.front().transit_ms > config_.max_ms)
        history_.clear();  // timestamps jumped back: a new time reference
    // Samples slower than this one can never again be the window's fastest.
    while (!history_.empty() && history_.back().transit_ms >= transit) history_.pop_back();
    history_.push_back({arrival_ms, transit});
    const double fastest = history_.front().transit_ms;
    fastest_ms_ = fastest;
    const double relative = std::max(0.0, transit - fastest);

    // Forgetting factor ramps up from 0 so the first packets count fully (NetEq's start factor).
    ++packets_;
    const double ff = std::min(config_.forget_factor, 1.0 - 1.0 / static_cast<double>(packets_ + 1));
    scale_ *= ff;
    total_ = total_ * ff + (1.0 - ff);
    if (scale_ < 1e-200) {  // fold the scale back into the buckets long before it underflows
        for (auto& h : histogram_) h *= scale_;
        scale_ = 1.0;
    }
    const auto bucket = std::min<std::size_t>(histogram_.size() - 1,
                                              static_cast<std::size_t>(relative / config_.bucket_ms));
    histogram_[bucket] += (1.0 - ff) / scale_;

    // Interpolate inside the quantile bucket, so the target moves smoothly rather than in steps.
    const double needed = config_.quantile * total_ / scale_;
    double acc = 0;
    double q = static_cast<double>(histogram_.size());
    for (std::size_t i = 0; i < histogram_.size(); ++i) {
        if (histogram_[i] > 0 && acc + histogram_[i] >= needed) {
            q = static_cast<double>(i) + (needed - acc) / histogram_[i];
            break;
        }
        acc += histogram_[i];
    }
    quantile_ms_ = q * config_.bucket_ms;
    return relative;
}

}  // namespace siperb::jbuf
