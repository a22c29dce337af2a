// The engine thread's CPU governor (sans-IO): it is told when the thread wakes and sleeps and
// when each tick was due and ran, and says at which Opus encoder level (complexity 0-10, then
// bandwidth caps below 0) the thread's sessions should run, so that encoders never make a tick
// late.
//
// Why these signals: a tick is late (5 ms, WorkerStats::late_ticks) when the work queued before
// it in the packet time does not fit, which shows first as the thread's busy share of the wall
// clock rising (over a window of a quarter second, about a dozen ticks of every session) and
// then as ticks starting a little behind their deadline because the thread was still busy
// with other sessions. The governor steps the complexity down while either is above its mark,
// well before the 5 ms: busy time above `high` in two windows in a row (one window could be a
// burst), or any tick `warn_delay_ns` behind through the thread's own work while the thread is
// loaded (at once, two steps). Wall-clock busy time counts the time the thread was runnable but preempted, which is
// what delays the next tick on a shared machine. The part of a delay that passed before the
// thread woke up while it was idle (the kernel's wake-up latency, another process on the core)
// is not counted: fewer encoder cycles do not shorten it, and on a machine shared with
// compilers it would pin every call at the floor.
//
// Recovery, with hysteresis as WebRTC's CPU-overuse detection does for video (an overuse and an
// underuse threshold far apart, a delay before each step up that doubles when a step up is
// soon followed by an overuse, and falls back to its start once steps up hold): one step up
// after `hold` of windows all below `low` with no tick behind. A change in the middle of a
// window starts a new one (the old one mixes both costs).
//
// Levels 0-10 are the complexity itself; below 0 the encoder stays at complexity 0 and its
// audio bandwidth is capped (-1 wide band, -2 medium band, -3 narrow band: codec_unit.hpp),
// the next cheapest lever once complexity 0 is reached (measured with libopus at 48 kHz,
// complexity 0: -1 saves ~19 % of the encoder's CPU and ~23 % of a 48 kHz decoder's, -3 ~49 %
// and ~40 %). Each session applies min(level, its own configured complexity), so the
// configured one is the ceiling and `floor` the lowest the governor uses.
// The level never stands above the highest configured complexity among the sessions that
// ticked in the last window (levels above it would change nothing, and every step through
// them would delay the first step that does).
#pragma once

#include <cstdint>

namespace siperb::media {

inline constexpr int kLowestLevel = -3;   // complexity 0, narrow band
inline constexpr int kHighestLevel = 10;  // complexity 10, the codec's full band

struct GovernorConfig {
    int floor = kLowestLevel, ceiling = kHighestLevel;  // the range of levels
    double high = 0.70, low = 0.40;        // busy share of the window that lowers / allows raising
    std::int64_t window_ns = 250'000'000;  // one judgement per window
    std::int64_t warn_delay_ns = 2'000'000;        // a tick this far behind lowers at once
    std::int64_t hold_ns = 2'000'000'000;          // quiet time before a step up (doubles on bounce)
    std::int64_t max_hold_ns = 32'000'000'000;
};

class CpuGovernor {
public:
    explicit CpuGovernor(GovernorConfig cfg = {}, std::int64_t now_ns = 0) noexcept;

    // One wake-up of the thread: on_wake when epoll returns, on_tick for each session's tick
    // (its deadline and when it ran), on_sleep when the thread goes back to epoll. on_sleep
    // judges the window(s) ended by now and returns true when the level changed (cheap when
    // no window has ended).
    void on_wake(std::int64_t now_ns) noexcept { woke_ = now_ns; }
    // ceiling: the session's configured Opus complexity (-1: not Opus).
    void on_tick(std::int64_t deadline_ns, std::int64_t start_ns, int ceiling = 10) noexcept;
    bool on_sleep(std::int64_t now_ns) noexcept;

    int level() const noexcept { return level_; }
    double busy_share() const noexcept { return last_share_; }  // of the last judged window
    std::int64_t hold_ns() const noexcept { return hold_; }
    std::uint64_t steps_down() const noexcept { return downs_; }
    std::uint64_t steps_up() const noexcept { return ups_; }
    const GovernorConfig& config() const noexcept { return cfg_; }

private:
    void change(int to, std::int64_t now_ns) noexcept;
    bool update(std::int64_t now_ns) noexcept;

    GovernorConfig cfg_;
    int level_;
    std::int64_t window_start_, busy_ns_ = 0, worst_delay_ = INT64_MIN;
    std::int64_t woke_, idle_since_;  // the current wake-up began; the last one ended
    std::int64_t quiet_since_;        // start of the current run of underused windows (-1: none)
    std::int64_t hold_;
    std::int64_t last_up_ = INT64_MIN / 2, last_down_ = INT64_MIN / 2;
    int over_windows_ = 0;
    int top_, seen_ceiling_ = -1;     // the highest useful level; the highest ceiling this window
    double last_share_ = 0;
    std::uint64_t downs_ = 0, ups_ = 0;
};

}  // namespace siperb::media
