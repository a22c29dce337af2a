// See audio_pipe.hpp. Engine thread only on both ends; nothing here allocates after the ctor.
#include "media/audio_pipe.hpp"

#include "common/error.hpp"

#include <algorithm>
#include <string>

namespace siperb::media {

PipeRing::PipeRing(int rate_, std::size_t capacity, std::size_t prefill_)
    : rate(rate_), prefill(prefill_), ring(capacity) {}

void PipeSink::write(std::span<const std::int16_t> in) noexcept { ring_->ring.write_overwrite(in); }

std::size_t PipeSource::read(std::span<std::int16_t> out) noexcept {
    PipeRing& p = *ring_;
    const std::size_t have = p.ring.available();
    if (!p.primed.load(std::memory_order_relaxed)) {
        if (have < std::max(p.prefill, out.size())) return 0;  // silence until refilled
        p.primed.store(true, std::memory_order_relaxed);
    }
    const std::size_t got = p.ring.read_counted(out);
    if (got < out.size()) p.primed.store(false, std::memory_order_relaxed);
    return got;
}

AudioPipe::AudioPipe(int sample_rate, int capacity_ms) {
    if (sample_rate < 8000 || sample_rate > 48000)
        throw MediaError("sample_rate", std::to_string(sample_rate) + " Hz is outside 8000..48000");
    if (capacity_ms < 10 || capacity_ms > 1000)
        throw MediaError("capacity_ms", std::to_string(capacity_ms) + " ms is outside 10..1000");
    const auto capacity = static_cast<std::size_t>(sample_rate) * static_cast<std::size_t>(capacity_ms) / 1000;
    ring_ = std::make_shared<PipeRing>(sample_rate, capacity, capacity / 4);
    sink_ = std::make_shared<PipeSink>(ring_);
    source_ = std::make_shared<PipeSource>(ring_);
}

}  // namespace siperb::media
