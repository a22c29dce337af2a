#include "media/cpu_governor.hpp"

#include <algorithm>

namespace siperb::media {

CpuGovernor::CpuGovernor(GovernorConfig cfg, std::int64_t now_ns) noexcept
    : cfg_(cfg),
      level_(std::clamp(cfg.ceiling, kLowestLevel, kHighestLevel)),
      window_start_(now_ns),
      woke_(now_ns),
      idle_since_(now_ns),
      quiet_since_(-1),
      hold_(cfg.hold_ns) {
    cfg_.floor = std::clamp(cfg_.floor, kLowestLevel, level_);
    cfg_.ceiling = level_;
    top_ = level_;
    cfg_.window_ns = std::max<std::int64_t>(cfg_.window_ns, 1);
}

void CpuGovernor::on_tick(std::int64_t deadline_ns, std::int64_t start_ns, int ceiling) noexcept {
    seen_ceiling_ = std::max(seen_ceiling_, ceiling);
    // Of the delay, the stretch in which the thread sat idle past the deadline (from the later
    // of the deadline and the end of the last wake-up, to this wake-up) is the scheduler's.
    const std::int64_t idle_late = std::max<std::int64_t>(0, woke_ - std::max(deadline_ns, idle_since_));
    worst_delay_ = std::max(worst_delay_, start_ns - deadline_ns - idle_late);
}

bool CpuGovernor::on_sleep(std::int64_t now_ns) noexcept {
    busy_ns_ += now_ns - woke_;
    idle_since_ = now_ns;
    return update(now_ns);
}

void CpuGovernor::change(int to, std::int64_t now_ns) noexcept {
    to = std::clamp(to, cfg_.floor, top_);
    if (to == level_) return;
    if (to < level_) {
        // An overuse soon after a step up: that step was too much, wait longer before the next.
        // An overuse long after it (or after a step down): the load changed, start afresh.
        if (last_up_ > last_down_)
            hold_ = now_ns - last_up_ < 2 * hold_ ? std::min(2 * hold_, cfg_.max_hold_ns) : cfg_.hold_ns;
        last_down_ = now_ns;
        ++downs_;
    } else {
        last_up_ = now_ns;
        ++ups_;
    }
    level_ = to;
    over_windows_ = 0;
    quiet_since_ = -1;
}

bool CpuGovernor::update(std::int64_t now_ns) noexcept {
    const int before = level_;
    // A tick behind its deadline: lower now (two steps), unless a step down was just taken and
    // has not had half a window to show (the ticks queued behind the slow ones still run late),
    // or the thread is mostly idle (busy under `low` in this window so far and the last one):
    // then one preempted wake-up made it late, not the encoders, and fewer cycles would not help.
    const std::int64_t elapsed = now_ns - window_start_;
    const bool loaded = last_share_ >= cfg_.low || static_cast<double>(busy_ns_) >= cfg_.low * static_cast<double>(elapsed);
    if (worst_delay_ > cfg_.warn_delay_ns && loaded && now_ns - last_down_ >= cfg_.window_ns / 2 && level_ > cfg_.floor) {
        // From the sessions' ceiling when the window has not yet said so (a thread's first one).
        if (seen_ceiling_ >= 0) level_ = std::min(level_, std::max(seen_ceiling_, cfg_.floor));
        change(level_ - 2, now_ns);
        window_start_ = now_ns;
        busy_ns_ = 0;
        worst_delay_ = INT64_MIN;
        return true;
    }
    if (elapsed < cfg_.window_ns) return false;
    if (seen_ceiling_ >= 0) {  // some Opus session ticked: nothing above its ceiling is useful
        top_ = std::clamp(seen_ceiling_, cfg_.floor, cfg_.ceiling);
        level_ = std::min(level_, top_);
    }
    seen_ceiling_ = -1;
    last_share_ = static_cast<double>(busy_ns_) / static_cast<double>(elapsed);
    const bool behind = worst_delay_ > cfg_.warn_delay_ns / 2;
    if (last_share_ > cfg_.high) {
        quiet_since_ = -1;
        if (++over_windows_ >= 2) change(level_ - 1, now_ns);
    } else {
        over_windows_ = 0;
        if (last_share_ < cfg_.low && !behind) {
            if (quiet_since_ < 0) quiet_since_ = window_start_;
            if (now_ns - quiet_since_ >= hold_) change(level_ + 1, now_ns);
        } else {
            quiet_since_ = -1;
        }
    }
    window_start_ = now_ns;
    busy_ns_ = 0;
    worst_delay_ = INT64_MIN;
    return level_ != before;
}

}  // namespace siperb::media
