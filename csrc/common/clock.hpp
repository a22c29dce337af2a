// The engine's clocks, in nanoseconds: monotonic for packet times and arrival, real time only
// where the wire wants wall-clock time (RTCP NTP timestamps, kernel receive timestamps).
#pragma once

#include <cstdint>
#include <ctime>

namespace siperb {

inline std::int64_t clock_ns(clockid_t id) noexcept {
    timespec ts{};
    clock_gettime(id, &ts);
    return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}
inline std::int64_t monotonic_ns() noexcept { return clock_ns(CLOCK_MONOTONIC); }
inline std::int64_t realtime_ns() noexcept { return clock_ns(CLOCK_REALTIME); }

}  // namespace siperb
