#include "media/cpu_governor.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace siperb::media {

namespace {
// relative_cost() from level -3 to 10.
constexpr std::array<double, kHighestLevel - kLowestLevel + 1> kRelativeCost = {
    0.39, 0.46, 0.53, 0.63, 0.70, 0.78, 0.85, 0.92, 1.0, 1.05, 1.10, 1.15, 1.20, 1.25};
}  // namespace

double relative_cost(int level) noexcept {
    return kRelativeCost[static_cast<std::size_t>(std::clamp(level, kLowestLevel, kHighestLevel) - kLowestLevel)];
}

CpuGovernor::CpuGovernor(GovernorConfig cfg, std::int64_t now_ns) noexcept
    : cfg_(cfg),
      window_start_(now_ns),
      woke_(now_ns),
      idle_since_(now_ns),
      quiet_since_(-1),
      hold_(cfg.hold_ns) {
    cfg_.ceiling = std::clamp(cfg.ceiling, kLowestLevel, kHighestLevel);
    cfg_.floor = std::clamp(cfg_.floor, kLowestLevel, cfg_.ceiling);
    cfg_.window_ns = std::max<std::int64_t>(cfg_.window_ns, 1);
    entry_ = lowest_ = cfg_.ceiling;
}

bool CpuGovernor::on_tick(std::int64_t deadline_ns, std::int64_t start_ns) noexcept {
    // Of the delay, the stretch in which the thread sat idle past the deadline (from the later
    // of the deadline and the end of the last wake-up, to this wake-up) is the scheduler's.
    const std::int64_t idle_late = std::max<std::int64_t>(0, woke_ - std::max(deadline_ns, idle_since_));
    const std::int64_t delay = start_ns - deadline_ns;
    worst_delay_ = std::max(worst_delay_, delay - idle_late);
    return delay > cfg_.late_ns && 2 * idle_late > delay;
}

bool CpuGovernor::on_sleep(std::int64_t now_ns) noexcept {
    busy_ns_ += now_ns - woke_;
    idle_since_ = now_ns;
    return update(now_ns);
}

void CpuGovernor::stepped(bool down) noexcept {
    if (down) {
        // An overuse soon after a step up: that step was too much, wait longer before the next.
        // An overuse long after it (or after a step down): the load changed, start afresh.
        if (last_up_ > last_down_)
            hold_ = asked_at_ - last_up_ < 2 * hold_ ? std::min(2 * hold_, cfg_.max_hold_ns) : cfg_.hold_ns;
        last_down_ = asked_at_;
        ++downs_;
    } else {
        last_up_ = asked_at_;
        ++ups_;
    }
    over_windows_ = 0;
    quiet_since_ = -1;
}

bool CpuGovernor::update(std::int64_t now_ns) noexcept {
    asked_at_ = now_ns;
    ask_ = Ask::None;
    // A tick behind its deadline: lower now (two levels), unless a step down was just taken and
    // has not had half a window to show (the ticks queued behind the slow ones still run late),
    // or the thread is mostly idle (busy under `low` in this window so far and the last one):
    // then one preempted wake-up made it late, not the encoders, and fewer cycles would not help.
    const std::int64_t elapsed = now_ns - window_start_;
    const double busy = static_cast<double>(busy_ns_);
    const bool loaded = last_share_ >= cfg_.low || busy >= cfg_.low * static_cast<double>(elapsed);
    if (worst_delay_ > cfg_.warn_delay_ns && loaded && now_ns - last_down_ >= cfg_.window_ns / 2 && can_lower_) {
        ask_ = Ask::Urgent;
        amount_ = 0.25;  // a quarter of the work: the backlog has to go, not only the excess
        window_start_ = now_ns;
        busy_ns_ = 0;
        worst_delay_ = INT64_MIN;
        return true;
    }
    if (elapsed < cfg_.window_ns) return false;
    last_share_ = busy / static_cast<double>(elapsed);
    const bool behind = worst_delay_ > cfg_.warn_delay_ns / 2;
    const double middle = (cfg_.high + cfg_.low) / 2;
    if (last_share_ > cfg_.high) {
        quiet_since_ = -1;
        if (++over_windows_ >= 2) {
            ask_ = Ask::Down;
            amount_ = (last_share_ - middle) / last_share_;
        }
    } else {
        over_windows_ = 0;
        if (last_share_ < cfg_.low && !behind) {
            if (quiet_since_ < 0) quiet_since_ = window_start_;
            if (now_ns - quiet_since_ >= hold_) {
                ask_ = Ask::Up;  // up to the lower half of the dead band
                amount_ = (cfg_.low + (middle - cfg_.low) / 2 - last_share_) / std::max(last_share_, 0.01);
            }
        } else {
            quiet_since_ = -1;
        }
    }
    window_start_ = now_ns;
    busy_ns_ = 0;
    worst_delay_ = INT64_MIN;
    return true;
}

bool CpuGovernor::lower(std::span<SessionLoad> s, double share, int levels) noexcept {
    double total = 0;
    for (const SessionLoad& x : s) total += static_cast<double>(x.cost_ns);
    const auto end = std::partition(s.begin(), s.end(), [this](const SessionLoad& x) { return x.opus && x.level > cfg_.floor; });
    std::sort(s.begin(), end, [](const SessionLoad& a, const SessionLoad& b) {
        return a.cost_ns != b.cost_ns ? a.cost_ns > b.cost_ns : a.level > b.level;
    });
    double saved = 0;
    bool moved = false;
    for (auto it = s.begin(); it != end && (!moved || saved < share * total); ++it) {
        const int to = std::max(it->level - levels, cfg_.floor);
        saved += static_cast<double>(it->cost_ns) * (1.0 - relative_cost(to) / relative_cost(it->level));
        it->level = to;
        moved = true;
    }
    return moved;
}

bool CpuGovernor::raise(std::span<SessionLoad> s, double share) noexcept {
    double total = 0;
    for (const SessionLoad& x : s) total += static_cast<double>(x.cost_ns);
    const auto end = std::partition(s.begin(), s.end(), [this](const SessionLoad& x) {
        return x.opus && x.level < std::min(x.ceiling, cfg_.ceiling);
    });
    std::sort(s.begin(), end, [](const SessionLoad& a, const SessionLoad& b) {
        return a.level != b.level ? a.level < b.level : a.cost_ns < b.cost_ns;
    });
    double added = 0;
    bool moved = false;
    for (auto it = s.begin(); it != end; ++it) {
        const double more = static_cast<double>(it->cost_ns) * (relative_cost(it->level + 1) / relative_cost(it->level) - 1.0);
        if (moved && added + more > share * total) break;
        added += more;
        ++it->level;
        moved = true;
    }
    return moved;
}

bool CpuGovernor::assign(std::span<SessionLoad> s) noexcept {
    bool moved = false;
    for (SessionLoad& x : s)  // within [floor, the session's ceiling]
        if (x.opus) {
            const int to = std::clamp(x.level, cfg_.floor, std::max(std::min(x.ceiling, cfg_.ceiling), cfg_.floor));
            moved = moved || to != x.level;
            x.level = to;
        }
    const Ask ask = std::exchange(ask_, Ask::None);
    if (ask == Ask::Down || ask == Ask::Urgent) {
        if (lower(s, amount_, ask == Ask::Urgent ? 2 : 1)) {
            stepped(true);
            moved = true;
        }
    } else if (ask == Ask::Up && raise(s, amount_)) {
        stepped(false);
        moved = true;
    }
    // The median Opus session's level for newcomers, the lowest for the stats.
    const auto end = std::partition(s.begin(), s.end(), [](const SessionLoad& x) { return x.opus; });
    const auto n = end - s.begin();
    if (n > 0) {
        std::nth_element(s.begin(), s.begin() + n / 2, end, [](const SessionLoad& a, const SessionLoad& b) { return a.level < b.level; });
        entry_ = s[static_cast<std::size_t>(n / 2)].level;
        lowest_ = std::min_element(s.begin(), end, [](const SessionLoad& a, const SessionLoad& b) { return a.level < b.level; })->level;
        can_lower_ = std::any_of(s.begin(), end, [this](const SessionLoad& x) { return x.level > cfg_.floor; });
    } else {
        entry_ = lowest_ = cfg_.ceiling;
        can_lower_ = true;
    }
    return moved;
}

}  // namespace siperb::media
