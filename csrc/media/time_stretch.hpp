// Time-scale modification of one decoded frame by pitch-synchronous overlap-add, the means by
// which the jitter buffer's accelerate/decelerate hints move the playout delay without a jump:
// the lag is the period (within the requested amount) where the frame best matches itself, so
// a voiced frame loses or gains whole pitch periods.
#pragma once

#include <cstdint>
#include <span>

namespace siperb::media {

// Removes about `amount` samples from in (accelerate) or adds about that many (decelerate),
// writing to out (room for in.size() + amount); returns the output length. Frames shorter than
// 2 * amount are copied unchanged.
std::size_t time_stretch(std::span<const std::int16_t> in, bool accelerate, std::size_t amount,
                         std::span<std::int16_t> out) noexcept;
// Mean absolute sample value (a cheap loudness measure for "is this frame silence?").
double mean_abs(std::span<const std::int16_t> pcm) noexcept;

}  // namespace siperb::media
