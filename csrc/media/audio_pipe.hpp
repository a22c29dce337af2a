// An audio pipe: what one engine session receives becomes what another sends, without leaving
// the engine (the PhoneFrame's "this browser" device bridges a call and a browser's WebRTC
// leg with two of them). The sink end is a session's AudioSink, the source end another
// session's AudioSource; they share one SampleRing (single producer, single consumer: each end
// is called by the engine thread of its session only). The sink overwrites the oldest audio
// when the ring is full, so the delay stays bounded by the capacity; the source waits until
// `prefill` samples are queued after every underrun (it then pads with silence), so that the
// two sessions' packet clocks drifting by a few milliseconds do not chop every frame.
#pragma once

#include "audio/audio_port.hpp"
#include "audio/ring.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace siperb::media {

struct PipeRing {
    PipeRing(int rate, std::size_t capacity, std::size_t prefill);
    int rate;
    std::size_t prefill;
    audio::SampleRing ring;
    std::atomic<bool> primed{false};
};

class PipeSink final : public audio::AudioSink {
public:
    explicit PipeSink(std::shared_ptr<PipeRing> ring) : ring_(std::move(ring)) {}
    int sample_rate() const noexcept override { return ring_->rate; }
    void write(std::span<const std::int16_t> in) noexcept override;

private:
    std::shared_ptr<PipeRing> ring_;
};

class PipeSource final : public audio::AudioSource {
public:
    explicit PipeSource(std::shared_ptr<PipeRing> ring) : ring_(std::move(ring)) {}
    int sample_rate() const noexcept override { return ring_->rate; }
    std::size_t read(std::span<std::int16_t> out) noexcept override;

private:
    std::shared_ptr<PipeRing> ring_;
};

// Both ends of one pipe. Throws MediaError naming sample_rate or capacity_ms (10..1000 ms;
// the prefill is a quarter of the capacity).
class AudioPipe {
public:
    AudioPipe(int sample_rate, int capacity_ms);
    const std::shared_ptr<PipeSink>& sink() const noexcept { return sink_; }
    const std::shared_ptr<PipeSource>& source() const noexcept { return source_; }
    std::size_t queued() const noexcept { return ring_->ring.available(); }
    std::size_t capacity() const noexcept { return ring_->ring.capacity(); }
    audio::RingCounters counters() const noexcept { return ring_->ring.counters(); }

private:
    std::shared_ptr<PipeRing> ring_;
    std::shared_ptr<PipeSink> sink_;
    std::shared_ptr<PipeSource> source_;
};

}  // namespace siperb::media
