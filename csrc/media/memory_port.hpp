// In-memory audio ports: a source that plays a sample vector once (or looped) and a sink that
// stores what it is given, up to a capacity. For tests, benchmarks and programs that generate or
// analyse audio in bulk. The vectors are allocated up front; read/write never allocate, and take
// a mutex that only the owner's snapshot/append calls contend for.
#pragma once

#include "audio/audio_port.hpp"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

namespace siperb::media {

class MemorySource : public audio::AudioSource {
public:
    MemorySource(std::vector<std::int16_t> samples, int sample_rate, bool loop = false);
    int sample_rate() const noexcept override { return rate_; }
    std::size_t read(std::span<std::int16_t> out) noexcept override;
    bool ended() const noexcept override { return ended_.load(std::memory_order_relaxed); }
    std::size_t position() const noexcept { return pos_.load(std::memory_order_relaxed); }

private:
    std::vector<std::int16_t> samples_;
    int rate_;
    bool loop_;
    std::atomic<std::size_t> pos_{0};
    std::atomic<bool> ended_{false};
};

class MemorySink : public audio::AudioSink {
public:
    // Keeps at most `capacity` samples; further samples are counted in dropped().
    MemorySink(int sample_rate, std::size_t capacity);
    int sample_rate() const noexcept override { return rate_; }
    void write(std::span<const std::int16_t> in) noexcept override;
    // A copy of what was written so far (any thread).
    std::vector<std::int16_t> samples() const;
    std::size_t size() const;
    std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }
    void clear();

private:
    int rate_;
    std::size_t capacity_;
    mutable std::mutex mu_;
    std::vector<std::int16_t> samples_;
    std::atomic<std::uint64_t> dropped_{0};
};

}  // namespace siperb::media
