// Unit checks of the engine's CPU governor (csrc/media/cpu_governor.*) under synthetic loads:
// a simulated engine thread wakes every 5 ms, runs a tick, and sleeps again. Built
// as a test program (never part of siperb_core); run by tests/unit/test_cpu_governor.py (and
// ctest). Prints "ok NAME" per case; exit status 0 means every case held.
#include "media/cpu_governor.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>

namespace {

using siperb::media::CpuGovernor;
using siperb::media::GovernorConfig;

constexpr std::int64_t kMs = 1'000'000;
int failures = 0;

void check(bool cond, const char* name, const std::string& what) {
    if (!cond) {
        ++failures;
        std::printf("FAIL %s: %s\n", name, what.c_str());
    }
}

// The simulated thread: wakes every 5 ms for `ms`, busy `share` of each period. Its tick runs
// `delay_ms` after the wake-up (queued behind the thread's own work), and the wake-up itself
// comes `latency_ms` after the tick's deadline (the scheduler's delay, the thread idle).
// `changes` lists the levels changed to, in order; `ceiling` is the sessions' configured one.
struct Sim {
    CpuGovernor gov;
    std::int64_t now = 0;
    std::string changes;
    int ceiling = 10;
    explicit Sim(GovernorConfig cfg = {}) : gov(cfg, 0) {}
    void run(double share, std::int64_t ms, double delay_ms = 0.0, double latency_ms = 0.0) {
        for (std::int64_t end = now + ms * kMs; now < end;) {
            now += 5 * kMs;
            gov.on_wake(now);
            gov.on_tick(now - static_cast<std::int64_t>(latency_ms * kMs), now + static_cast<std::int64_t>(delay_ms * kMs), ceiling);
            if (gov.on_sleep(now + static_cast<std::int64_t>(share * 5 * kMs))) changes += std::to_string(gov.level()) + ",";
        }
    }
};

void overload_steps_down_to_floor() {
    const char* n = "overload_steps_down_to_floor";
    Sim s;
    s.run(0.9, 240);  // not yet: one window judged, the second not ended
    check(s.gov.level() == 10, n, "lowered before two windows: " + s.changes);
    s.run(0.9, 300);
    check(s.gov.level() == 9, n, "one step after two overused windows: " + s.changes);
    s.run(0.9, 10'000);  // through complexity 0 to the bandwidth caps below it
    check(s.gov.level() == siperb::media::kLowestLevel && s.changes == "9,8,7,6,5,4,3,2,1,0,-1,-2,-3,", n,
          "not at the floor one step at a time: " + s.changes);
    check(s.gov.steps_down() == 13 && s.gov.steps_up() == 0, n, "counted steps: " + s.changes);
    check(s.gov.busy_share() > 0.85 && s.gov.busy_share() < 0.95, n, "busy share");
}

void one_burst_is_not_overuse() {
    const char* n = "one_burst_is_not_overuse";
    Sim s;
    for (int i = 0; i < 20; ++i) {
        s.run(0.95, 250);  // one overused window, then a normal one
        s.run(0.5, 250);
    }
    check(s.gov.level() == 10 && s.changes.empty(), n, "changed: " + s.changes);
}

void late_tick_lowers_at_once() {
    const char* n = "late_tick_lowers_at_once";
    Sim s;
    s.run(0.5, 1000);
    s.run(0.5, 5, 3.0);  // one wake-up with a tick 3 ms behind
    check(s.gov.level() == 8, n, "two steps at once: " + s.changes);
    s.run(0.5, 50, 3.0);  // still behind (the backlog): no second step within half a window
    check(s.gov.level() == 8, n, "stepped again too soon: " + s.changes);
    s.run(0.5, 75, 3.0);  // half a window after the first step: the second
    check(s.gov.level() == 6, n, "behind for half a window more: " + s.changes);
    s.run(0.5, 2000, 0.5);  // on time again, busy in the dead band: stays
    check(s.gov.level() == 6, n, "moved in the dead band: " + s.changes);
    Sim idle;
    idle.run(0.1, 3000, 3.0);  // a mostly idle thread's late ticks: a preempted wake-up's
    check(idle.gov.level() == 10 && idle.changes.empty(), n, "lowered while idle: " + idle.changes);
}

void scheduler_latency_is_not_ours() {
    const char* n = "scheduler_latency_is_not_ours";
    GovernorConfig cfg;
    cfg.hold_ns = 1000 * kMs;
    Sim s(cfg);
    s.run(0.3, 10'000, 0.0, 3.0);  // every wake-up 3 ms late, the thread idle until then
    check(s.gov.level() == 10 && s.changes.empty(), n, "lowered for the scheduler: " + s.changes);
    s.run(0.9, 1000);
    s.run(0.2, 100);
    const int low = s.gov.level();
    check(low < 10, n, "did not go down: " + s.changes);
    s.run(0.2, 1500, 0.0, 3.0);  // and the same latency does not keep it from coming back up
    check(s.gov.level() > low, n, "no step up: " + s.changes);
    s.run(0.5, 1000);
    const int at = s.gov.level();  // a wake-up late while the thread was still busy: its own
    s.run(0.9, 5, 0.0, 5.0);
    check(s.gov.level() == std::max(at - 2, siperb::media::kLowestLevel), n, "own lateness not seen: " + s.changes);
}

void idle_recovers_one_step_per_hold() {
    const char* n = "idle_recovers_one_step_per_hold";
    GovernorConfig cfg;
    cfg.hold_ns = 1000 * kMs;
    Sim s(cfg);
    s.run(0.9, 2000);
    const int low = s.gov.level();
    check(low <= 7, n, "did not go down: " + s.changes);
    s.run(0.2, 900);
    check(s.gov.level() == low, n, "raised before the hold: " + s.changes);
    s.run(0.2, 300);
    check(s.gov.level() == low + 1, n, "one step after the hold: " + s.changes);
    s.run(0.2, 700);
    check(s.gov.level() == low + 1, n, "second step without its own hold: " + s.changes);
    s.run(0.2, 30'000);
    check(s.gov.level() == 10, n, "not back at the ceiling: " + s.changes);
}

void dead_band_holds() {
    const char* n = "dead_band_holds";
    Sim s;
    s.run(0.9, 1500);
    const int at = s.gov.level();
    s.run(0.55, 60'000);  // between low and high: neither way
    check(s.gov.level() == at, n, "moved: " + s.changes);
    s.run(0.2, 300, 1.5);  // quiet but ticks a little behind: no step up either
    check(s.gov.level() == at, n, "raised while behind: " + s.changes);
}

void bounce_backs_off() {
    const char* n = "bounce_backs_off";
    GovernorConfig cfg;
    cfg.hold_ns = 1000 * kMs;
    Sim s(cfg);
    s.run(0.9, 600);  // down one
    s.run(0.2, 1300);  // up one after the hold
    check(s.gov.level() == 10 && s.gov.hold_ns() == 1000 * kMs, n, "setup: " + s.changes);
    s.run(0.9, 800);  // overuse right after the step up: the hold doubles
    check(s.gov.hold_ns() == 2000 * kMs, n, "hold not doubled: " + std::to_string(s.gov.hold_ns()));
    s.run(0.2, 1500);
    check(s.gov.level() == 9, n, "raised before the doubled hold: " + s.changes);
    s.run(0.2, 700);
    check(s.gov.level() == 10, n, "not raised after it: " + s.changes);
    s.run(0.2, 10'000);  // the step up holds a long time, then an overuse: back to the start
    s.run(0.9, 800);
    check(s.gov.hold_ns() == 1000 * kMs, n, "hold not reset: " + std::to_string(s.gov.hold_ns()));
    for (int i = 0; i < 8; ++i) {  // bounce after bounce: doubles up to its cap
        s.run(0.2, s.gov.hold_ns() / kMs + 600);
        s.run(0.9, 800);
    }
    check(s.gov.hold_ns() == cfg.max_hold_ns, n, "hold not at its cap: " + std::to_string(s.gov.hold_ns()));
}

void floor_and_ceiling() {
    const char* n = "floor_and_ceiling";
    GovernorConfig cfg;
    cfg.floor = 3;
    cfg.ceiling = 8;
    cfg.hold_ns = 500 * kMs;
    Sim s(cfg);
    check(s.gov.level() == 8, n, "starts at the ceiling");
    s.run(0.99, 20'000, 4.0);
    check(s.gov.level() == 3, n, "not held at the floor: " + s.changes);
    s.run(0.05, 60'000);
    check(s.gov.level() == 8, n, "not held at the ceiling: " + s.changes);
    GovernorConfig odd;
    odd.floor = 12;
    odd.ceiling = 14;
    Sim t(odd);
    check(t.gov.level() == 10 && t.gov.config().floor == 10, n, "levels clamped to -3..10");
    GovernorConfig low;
    low.floor = -9;
    low.ceiling = -5;
    Sim u(low);
    check(u.gov.level() == -3 && u.gov.config().floor == -3, n, "levels clamped to -3..10 below");
    GovernorConfig complexity_only;  // a floor of 0 keeps the full band
    complexity_only.floor = 0;
    Sim v(complexity_only);
    v.run(0.99, 20'000, 4.0);
    check(v.gov.level() == 0, n, "went below a floor of 0: " + v.changes);
}

void ceiling_follows_sessions() {
    const char* n = "ceiling_follows_sessions";
    GovernorConfig cfg;
    cfg.hold_ns = 500 * kMs;
    Sim s(cfg);
    s.ceiling = 5;  // every session configured at 5: levels 6-10 would change nothing
    s.run(0.2, 300);
    check(s.gov.level() == 5 && s.gov.steps_down() == 0, n, "not at the sessions' ceiling: " + s.changes);
    s.run(0.9, 600);
    check(s.gov.level() == 4, n, "the first step is not one below the ceiling: " + s.changes);
    s.run(0.2, 5000);
    check(s.gov.level() == 5, n, "raised above the sessions' ceiling: " + s.changes);
    s.ceiling = 8;  // a session configured higher joins
    s.run(0.2, 5000);
    check(s.gov.level() == 8, n, "not raised to the new ceiling: " + s.changes);
    s.ceiling = -1;  // only G.711 ticks: the level stays
    s.run(0.2, 2000);
    check(s.gov.level() == 8, n, "moved without Opus sessions: " + s.changes);
    Sim fresh(cfg);  // a late tick before the first window ends: two steps from the ceiling
    fresh.ceiling = 5;
    fresh.run(0.9, 5, 3.0);
    check(fresh.gov.level() == 3 && fresh.gov.steps_down() == 1, n, "first steps from 10: " + fresh.changes);
}

}  // namespace

int main() {
    const struct {
        const char* name;
        void (*fn)();
    } cases[] = {{"overload_steps_down_to_floor", overload_steps_down_to_floor},
                 {"one_burst_is_not_overuse", one_burst_is_not_overuse},
                 {"late_tick_lowers_at_once", late_tick_lowers_at_once},
                 {"scheduler_latency_is_not_ours", scheduler_latency_is_not_ours},
                 {"idle_recovers_one_step_per_hold", idle_recovers_one_step_per_hold},
                 {"dead_band_holds", dead_band_holds},
                 {"bounce_backs_off", bounce_backs_off},
                 {"floor_and_ceiling", floor_and_ceiling},
                 {"ceiling_follows_sessions", ceiling_follows_sessions}};
    for (const auto& c : cases) {
        const int before = failures;
        c.fn();
        if (failures == before) std::printf("ok %s\n", c.name);
    }
    return failures == 0 ? 0 : 1;
}
