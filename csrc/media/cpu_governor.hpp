// The engine thread's CPU governor (sans-IO): it is told when the thread wakes and sleeps and
// when each tick was due and ran, and says at which Opus encoder level (complexity 0-10, then
// bandwidth caps below 0) each of the thread's sessions should run, so that encoders never make
// a tick late.
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
// and ~40 %).
//
// Per session: the thread's judgement says how much to shed or may be added (the busy share's
// distance from the middle of the dead band, as a share of the thread's work), and assign()
// spends it on sessions, one level each per step: down, the most expensive sessions first (the
// measured tick cost, Worker::Slot::cost_ns), until the estimated saving (relative_cost) covers
// the overuse; up, the lowest sessions first (the last levels cost the most quality: PESQ WB
// 4.38 at -2, 3.77 at -3), cheapest first among equals, while the estimated cost fits in the
// room. So a thread whose calls differ in cost lowers only the ones that matter, and levels
// that bought little stay high. Each session's level stays within [floor, its own configured
// complexity]; a new session starts at the thread's median level (entry_level()).
#pragma once

#include <cstdint>
#include <span>

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
    std::int64_t late_ns = 5'000'000;              // what on_tick calls a late tick
};

// What assign() reads and moves for one session of the thread.
struct SessionLoad {
    std::int64_t cost_ns = 0;  // its measured (or estimated) work per tick
    int level = kHighestLevel;  // in: now; out: what to run at
    int ceiling = kHighestLevel;  // its configured Opus complexity (-3..10): the most it gets
    bool opus = true;           // false: not Opus, never moved
    std::uint32_t index = 0;    // the caller's (assign reorders the span)
};

// A session's CPU at each level relative to level 5 (encode + decode + the rest of its tick),
// from the engine's CPU per packet with every session pinned (bench_opus_governor.py: 194 µs at
// 5, 122 at 0, 102 at -1) and libopus' encoder cost per complexity; the loop is closed (every
// window is judged again), so this only sizes the steps.
double relative_cost(int level) noexcept;

class CpuGovernor {
public:
    explicit CpuGovernor(GovernorConfig cfg = {}, std::int64_t now_ns = 0) noexcept;

    // One wake-up of the thread: on_wake when epoll returns, on_tick for each session's tick
    // (its deadline and when it ran), on_sleep when the thread goes back to epoll. on_sleep
    // judges the window(s) ended by now and returns true when sessions' levels are to move:
    // then the caller lists its sessions and calls assign() (cheap when no window has ended).
    void on_wake(std::int64_t now_ns) noexcept { woke_ = now_ns; }
    // Returns true for a tick `late_ns` behind mostly through wake-up latency (the thread was
    // idle for more than half of the delay), not through the thread's own work.
    bool on_tick(std::int64_t deadline_ns, std::int64_t start_ns) noexcept;
    bool on_sleep(std::int64_t now_ns) noexcept;
    // Moves the levels of the thread's sessions as the last judgement asked (reorders the
    // span; SessionLoad::index says whose). Returns true when a level changed.
    bool assign(std::span<SessionLoad> sessions) noexcept;

    // The level a session joining the thread starts at (capped by its own ceiling).
    int entry_level() const noexcept { return entry_; }
    // The lowest level of an Opus session at the last assign (the ceiling before any).
    int level() const noexcept { return lowest_; }
    double busy_share() const noexcept { return last_share_; }  // of the last judged window
    std::int64_t hold_ns() const noexcept { return hold_; }
    std::uint64_t steps_down() const noexcept { return downs_; }
    std::uint64_t steps_up() const noexcept { return ups_; }
    const GovernorConfig& config() const noexcept { return cfg_; }

private:
    enum class Ask { None, Down, Urgent, Up };
    void stepped(bool down) noexcept;
    bool update(std::int64_t now_ns) noexcept;
    bool lower(std::span<SessionLoad> s, double share, int levels) noexcept;
    bool raise(std::span<SessionLoad> s, double share) noexcept;

    GovernorConfig cfg_;
    std::int64_t window_start_, busy_ns_ = 0, worst_delay_ = INT64_MIN;
    std::int64_t woke_, idle_since_;  // the current wake-up began; the last one ended
    std::int64_t quiet_since_;        // start of the current run of underused windows (-1: none)
    std::int64_t hold_;
    std::int64_t last_up_ = INT64_MIN / 2, last_down_ = INT64_MIN / 2;
    std::int64_t asked_at_ = 0;
    Ask ask_ = Ask::None;
    double amount_ = 0;  // of the thread's work: to shed (down) or that may be added (up)
    int over_windows_ = 0;
    int entry_, lowest_;
    bool can_lower_ = true;  // an Opus session stood above the floor at the last assign
    double last_share_ = 0;
    std::uint64_t downs_ = 0, ups_ = 0;
};

}  // namespace siperb::media
