// The sample FIFOs between a stream's rate changes (source -> encoder, decoder -> sink, both
// directions -> recorder): vectors reserved once, so appending and consuming never allocate
// in the steady state.
#pragma once

#include "codec/resampler.hpp"
#include "common/block_pool.hpp"

#include <cstdint>
#include <memory>
#include <span>

namespace siperb::media {

// A session's sample buffer: its storage is a BlockPool block, not a hole in the C heap.
using PcmBuffer = PooledVector<std::int16_t>;

// Resamples in (at in_rate) to out_rate, appending to out; creates or recreates rs as needed
// (a rate change). tmp is scratch space. Throws what the resampler throws.
void resample_into(std::unique_ptr<codec::Resampler>& rs, int in_rate, int out_rate, std::span<const std::int16_t> in,
                   PcmBuffer& tmp, PcmBuffer& out);

// Drops the first n samples (all of them if there are fewer).
void take_front(PcmBuffer& v, std::size_t n);

}  // namespace siperb::media
