// NTP timestamps (RFC 5905 64-bit format) as used by RTCP sender reports and LSR/DLSR.
#pragma once

#include <cmath>
#include <cstdint>

namespace siperb::rtp {

constexpr double kNtpUnixOffset = 2208988800.0;  // seconds from 1900-01-01 to 1970-01-01

inline std::uint64_t ntp_from_unix(double unix_seconds) {
    const double s = unix_seconds + kNtpUnixOffset;
    const double whole = std::floor(s);
    auto frac = static_cast<std::uint64_t>((s - whole) * 4294967296.0);
    if (frac > 0xFFFFFFFFu) frac = 0xFFFFFFFFu;
    return (static_cast<std::uint64_t>(whole) << 32) | frac;
}
inline double ntp_to_unix(std::uint64_t ntp) {
    return static_cast<double>(ntp >> 32) - kNtpUnixOffset + static_cast<double>(ntp & 0xFFFFFFFFu) / 4294967296.0;
}
// The middle 32 bits (16.16 fixed point): the LSR field and the unit of DLSR.
constexpr std::uint32_t ntp_middle32(std::uint64_t ntp) { return static_cast<std::uint32_t>(ntp >> 16); }

}  // namespace siperb::rtp
