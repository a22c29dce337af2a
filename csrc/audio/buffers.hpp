// Application <-> engine buffers: how a program (a voice bot) talks through the phone.
//
// BufferSource: the application pushes samples, the engine reads them. Bounded in samples;
// when full, Overflow::DropOldest discards the oldest queued audio (latency stays bounded) and
// Overflow::RejectNewest refuses what does not fit (push() returns how much it took).
// BufferSink: the engine writes received audio, the application reads frames of N samples,
// blocking with a timeout or not at all, or waits on fd() (an eventfd that becomes readable
// once the armed amount is available or the sink is closed) from an event loop.
// Application-side calls are serialised by a mutex the engine never takes.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <span>

#include "audio/audio_port.hpp"
#include "audio/event_fd.hpp"
#include "audio/ring.hpp"

namespace siperb::audio {

enum class Overflow { DropOldest, RejectNewest };

class BufferSource final : public AudioSource {
public:
    // Throws MediaError naming sample_rate or capacity (1..60 s of audio).
    BufferSource(int sample_rate, std::size_t capacity, Overflow overflow = Overflow::DropOldest);

    // Application: queues samples; returns how many were accepted (all of them with DropOldest,
    // which discards older queued samples instead). Ignored (returns 0) after end().
    std::size_t push(std::span<const std::int16_t> in) noexcept;
    // Application: no more audio; the source ends once the queue is drained.
    void end() noexcept { ending_.store(true, std::memory_order_release); }
    std::size_t queued() const noexcept { return ring_.available(); }
    std::size_t capacity() const noexcept { return ring_.capacity(); }
    Overflow overflow() const noexcept { return overflow_; }
    RingCounters counters() const noexcept { return ring_.counters(); }

    int sample_rate() const noexcept override { return rate_; }
    // Engine: a shortfall before end() is an underrun (counted).
    std::size_t read(std::span<std::int16_t> out) noexcept override;
    bool ended() const noexcept override {
        return ending_.load(std::memory_order_acquire) && ring_.available() == 0;
    }

private:
    int rate_;
    Overflow overflow_;
    SampleRing ring_;
    std::atomic<bool> ending_{false};
    std::mutex push_mu_;
};

class BufferSink final : public AudioSink {
public:
    BufferSink(int sample_rate, std::size_t capacity, Overflow overflow = Overflow::DropOldest);

    int sample_rate() const noexcept override { return rate_; }
    // Engine: queues what arrived; wakes a waiting reader when its amount is there.
    void write(std::span<const std::int16_t> in) noexcept override;

    // Application: exactly out.size() samples, or nothing (false) if fewer are queued.
    bool try_read(std::span<std::int16_t> out) noexcept;
    // Application: waits up to timeout_ms (< 0: forever) for out.size() samples; on timeout or
    // once closed, returns what is queued (fewer, possibly 0). Returns samples read.
    std::size_t read(std::span<std::int16_t> out, int timeout_ms);
    // Application: fd() becomes readable when n samples are queued or the sink is closed
    // (level-triggered until clear_event()).
    void arm(std::size_t n) noexcept;
    void clear_event() noexcept { event_.clear(); }
    int fd() const noexcept { return event_.fd(); }

    // No more audio will come (the call ended): wakes readers.
    void close() noexcept;
    bool closed() const noexcept { return closed_.load(std::memory_order_acquire); }
    std::size_t queued() const noexcept { return ring_.available(); }
    std::size_t capacity() const noexcept { return ring_.capacity(); }
    RingCounters counters() const noexcept { return ring_.counters(); }

private:
    void maybe_signal() noexcept;

    int rate_;
    Overflow overflow_;
    SampleRing ring_;
    EventFd event_;
    std::atomic<std::size_t> want_{0};
    std::atomic<bool> closed_{false};
    std::mutex read_mu_;
};

}  // namespace siperb::audio
