// RTP sequence-number and timestamp arithmetic with wrap-around (RFC 3550 section 5.1, A.1).
#pragma once

#include <cstdint>

namespace siperb::rtp {

// Signed distance a - b of two 16-bit sequence numbers, in [-32768, 32767].
constexpr int seq_diff(std::uint16_t a, std::uint16_t b) {
    return static_cast<std::int16_t>(static_cast<std::uint16_t>(a - b));
}
// True when a comes after b in sequence-number space.
constexpr bool seq_newer(std::uint16_t a, std::uint16_t b) { return seq_diff(a, b) > 0; }
// Signed distance a - b of two 32-bit RTP timestamps.
constexpr std::int64_t ts_diff(std::uint32_t a, std::uint32_t b) {
    return static_cast<std::int32_t>(a - b);
}
constexpr bool ts_newer(std::uint32_t a, std::uint32_t b) { return ts_diff(a, b) > 0; }

// Extends wrapping 16- or 32-bit counters to 64 bits, relative to the last value seen (so
// reordering and wrap in either direction give the right cycle).
template <typename T>
class Unwrapper {
public:
    std::int64_t unwrap(T value) {
        if (!started_) {
            started_ = true;
            last_ = value;
            return last_;
        }
        using S = std::conditional_t<sizeof(T) == 2, std::int16_t, std::int32_t>;
        const auto delta = static_cast<S>(static_cast<T>(value - static_cast<T>(last_)));
        const std::int64_t ext = last_ + delta;
        if (delta > 0) last_ = ext;
        return ext;
    }
    void reset() { started_ = false; last_ = 0; }
    bool started() const { return started_; }
    std::int64_t last() const { return last_; }

private:
    bool started_ = false;
    std::int64_t last_ = 0;
};

using SeqUnwrapper = Unwrapper<std::uint16_t>;
using TimestampUnwrapper = Unwrapper<std::uint32_t>;

}  // namespace siperb::rtp
