// Unit checks of the engine's CPU governor (csrc/media/cpu_governor.*) under synthetic loads:
// a simulated engine thread wakes every 5 ms, runs a tick, and sleeps again. Built
// as a test program (never part of siperb_core); run by tests/unit/test_cpu_governor.py (and
// ctest). Prints "ok NAME" per case; exit status 0 means every case held.
#include "media/cpu_governor.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace {

using siperb::media::CpuGovernor;
using siperb::media::GovernorConfig;
using siperb::media::SessionLoad;

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
// `sessions` are the thread's (one by default; `ceiling` and `opus` are the first one's), each
// one's cost following its level as the worker's measured average would; `changes` lists the
// first session's levels changed to, in order.
struct Sim {
    CpuGovernor gov;
    std::int64_t now = 0;
    std::string changes;
    int ceiling = 10;
    bool opus = true;
    std::vector<SessionLoad> sessions;
    std::vector<std::int64_t> base;  // each session's cost at level 5
    explicit Sim(GovernorConfig cfg = {}, std::vector<std::int64_t> costs = {100'000}) : gov(cfg, 0), base(std::move(costs)) {
        for (std::uint32_t i = 0; i < base.size(); ++i) sessions.push_back({base[i], gov.entry_level(), 10, true, i});
    }
    int level() const { return sessions[0].level; }
    void run(double share, std::int64_t ms, double delay_ms = 0.0, double latency_ms = 0.0) {
        for (std::int64_t end = now + ms * kMs; now < end;) {
            now += 5 * kMs;
            gov.on_wake(now);
            gov.on_tick(now - static_cast<std::int64_t>(latency_ms * kMs), now + static_cast<std::int64_t>(delay_ms * kMs));
            if (!gov.on_sleep(now + static_cast<std::int64_t>(share * 5 * kMs))) continue;
            sessions[0].ceiling = ceiling;
            sessions[0].opus = opus;
            const int before = level();
            gov.assign(sessions);
            std::sort(sessions.begin(), sessions.end(), [](const SessionLoad& a, const SessionLoad& b) { return a.index < b.index; });
            for (SessionLoad& x : sessions)
                x.cost_ns = static_cast<std::int64_t>(static_cast<double>(base[x.index]) * siperb::media::relative_cost(x.level));
            if (level() != before) changes += std::to_string(level()) + ",";
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
    s.opus = false;  // only G.711 ticks: the level stays
    s.run(0.2, 2000);
    check(s.level() == 8, n, "moved without Opus sessions: " + s.changes);
    Sim fresh(cfg);  // a late tick before the first window ends: two steps from the ceiling
    fresh.ceiling = 5;
    fresh.run(0.9, 5, 3.0);
    check(fresh.gov.level() == 3 && fresh.gov.steps_down() == 1, n, "first steps from 10: " + fresh.changes);
}

void most_expensive_lowered_first() {
    const char* n = "most_expensive_lowered_first";
    GovernorConfig cfg;
    cfg.low = 0.66;  // a narrow dead band: a small overuse asks for a small saving
    cfg.hold_ns = 500 * kMs;
    cfg.ceiling = 0;
    // Eight cheap calls and two expensive ones (another decode rate, a resampler, SRTP...).
    Sim s(cfg, {50'000, 50'000, 50'000, 50'000, 50'000, 50'000, 50'000, 50'000, 1'000'000, 900'000});
    auto levels = [&s] {
        std::string out;
        for (const SessionLoad& x : s.sessions) out += std::to_string(x.level) + " ";
        return out;
    };
    s.run(0.5, 300);
    check(levels() == "0 0 0 0 0 0 0 0 0 0 ", n, "not at the ceiling: " + levels());
    s.run(0.72, 700);  // two whole overused windows: one step, the most expensive call only
    check(levels() == "0 0 0 0 0 0 0 0 -1 0 ", n, "first step: " + levels());
    check(s.gov.steps_down() == 1 && s.gov.level() == -1 && s.gov.entry_level() == 0, n, "lowest / entry level");
    s.run(0.72, 500);  // it costs less now than the other expensive one: that one gives next
    check(levels() == "0 0 0 0 0 0 0 0 -1 -1 ", n, "second step: " + levels());
    s.run(0.72, 1000);
    check(levels().starts_with("0 0 0 0 0 0 0 0 "), n, "a cheap call lowered: " + levels());
    s.run(0.2, 5000);  // idle: raised back, the lowest first
    check(levels() == "0 0 0 0 0 0 0 0 0 0 ", n, "not raised back: " + levels());
    check(s.gov.steps_up() > 0 && s.gov.level() == 0, n, "steps up");
}

void each_session_within_its_range() {
    const char* n = "each_session_within_its_range";
    GovernorConfig cfg;
    cfg.hold_ns = 500 * kMs;
    Sim s(cfg, {100'000, 100'000, 100'000, 5'000'000});
    s.sessions[1].ceiling = 3;   // configured at complexity 3
    s.sessions[2].ceiling = -2;  // pinned at medium band
    s.sessions[3].opus = false;  // G.711: however much it costs, never moved
    s.run(0.3, 300);
    check(s.sessions[0].level == 10 && s.sessions[1].level == 3 && s.sessions[2].level == -2 && s.sessions[3].level == 10, n,
          "ceilings not kept");
    s.run(0.99, 20'000, 4.0);
    for (const SessionLoad& x : s.sessions)
        check(x.opus ? x.level == -3 : x.level == 10, n, "not at the floor / moved: " + std::to_string(x.level));
    s.run(0.05, 60'000);
    check(s.sessions[0].level == 10 && s.sessions[1].level == 3 && s.sessions[2].level == -2 && s.sessions[3].level == 10, n,
          "raised past a ceiling or not back");
}

void newcomers_start_at_the_median() {
    const char* n = "newcomers_start_at_the_median";
    Sim s(GovernorConfig{}, {100'000, 100'000, 100'000});
    check(s.gov.entry_level() == 10, n, "no session yet: the ceiling");
    s.sessions[0].level = -3;
    s.sessions[1].level = 2;
    s.sessions[2].level = 7;
    s.run(0.5, 300);
    check(s.gov.entry_level() == 2 && s.gov.level() == -3, n, "entry " + std::to_string(s.gov.entry_level()));
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
                 {"ceiling_follows_sessions", ceiling_follows_sessions},
                 {"most_expensive_lowered_first", most_expensive_lowered_first},
                 {"each_session_within_its_range", each_session_within_its_range},
                 {"newcomers_start_at_the_median", newcomers_start_at_the_median}};
    for (const auto& c : cases) {
        const int before = failures;
        c.fn();
        if (failures == before) std::printf("ok %s\n", c.name);
    }
    return failures == 0 ? 0 : 1;
}
