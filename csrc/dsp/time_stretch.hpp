// Time-scale modification of one decoded frame by pitch-synchronous overlap-add, the means by
// which the jitter buffer's accelerate/decelerate hints move the playout delay without a jump:
// the lag is the period (within the requested amount) where the frame best matches itself, so
// a voiced frame loses or gains whole pitch periods. The lag is searched as WSOLA and NetEq do:
// over a window of 10 ms, first on the signal averaged down to about 4 kHz, then at full
// resolution around the best coarse lag.
#pragma once

#include <cstdint>
#include <span>

namespace siperb::dsp {

// Removes about `amount` samples from in (accelerate) or adds about that many (decelerate),
// writing to out (room for in.size() + amount); returns the output length: in.size() - lag or
// in.size() + lag with lag in [amount / 2, amount]. Frames shorter than 2 * amount are copied
// unchanged. sample_rate (of in) sets the coarse search's decimation.
std::size_t time_stretch(std::span<const std::int16_t> in, bool accelerate, std::size_t amount,
                         std::span<std::int16_t> out, std::uint32_t sample_rate) noexcept;
// Mean absolute sample value (a cheap loudness measure for "is this frame silence?").
double mean_abs(std::span<const std::int16_t> pcm) noexcept;

}  // namespace siperb::dsp
