// A lock-free single-producer/single-consumer ring of int16 samples: the one way audio crosses
// threads (device callback <-> engine, engine -> file writer, engine <-> Python).
//
// Indices are 64-bit counters that never wrap in practice. write() rejects what does not fit
// (drop newest); write_overwrite() makes room by discarding the oldest samples, which moves the
// consumer's index: that is why the read index is advanced with a compare-exchange and the
// samples are relaxed atomics (plain moves on x86): a reader whose samples were overwritten
// while it copied sees its compare-exchange fail and copies again (a seqlock on the read index).
// Counters: samples dropped by the producer (overrun) and samples the consumer asked for but
// did not get (underrun), each with the number of events.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace siperb::audio {

struct RingCounters {
    std::uint64_t written = 0;          // samples accepted by the producer
    std::uint64_t read = 0;             // samples handed to the consumer
    std::uint64_t overrun_samples = 0;  // rejected (write) or overwritten (write_overwrite)
    std::uint64_t overrun_events = 0;
    std::uint64_t underrun_samples = 0;  // asked for but not available (only read_counted)
    std::uint64_t underrun_events = 0;
};

class SampleRing {
public:
    explicit SampleRing(std::size_t capacity)
        : capacity_(std::max<std::size_t>(capacity, 1)),
          data_(std::make_unique<std::atomic<std::int16_t>[]>(capacity_)) {}
    SampleRing(const SampleRing&) = delete;
    SampleRing& operator=(const SampleRing&) = delete;

    std::size_t capacity() const noexcept { return capacity_; }
    // Samples ready for the consumer (a snapshot: exact on the consumer's thread modulo writes).
    std::size_t available() const noexcept {
        const std::uint64_t w = w_.load(std::memory_order_acquire);
        const std::uint64_t r = r_.load(std::memory_order_acquire);
        return static_cast<std::size_t>(w - std::min(r, w));
    }
    std::size_t free_space() const noexcept { return capacity_ - std::min(available(), capacity_); }

    // Producer: appends what fits, drops (and counts) the rest; returns samples written.
    std::size_t write(std::span<const std::int16_t> in) noexcept {
        const std::uint64_t w = w_.load(std::memory_order_relaxed);
        const std::uint64_t r = r_.load(std::memory_order_acquire);
        const std::size_t room = capacity_ - static_cast<std::size_t>(w - r);
        const std::size_t n = std::min(room, in.size());
        store(w, in.first(n));
        w_.store(w + n, std::memory_order_seq_cst);
        count_write(n, in.size() - n);
        return n;
    }

    // Producer: appends all of in (its last capacity() samples if longer), discarding the
    // oldest unread samples to make room; returns samples discarded (counted as overrun).
    std::size_t write_overwrite(std::span<const std::int16_t> in) noexcept {
        std::size_t lost = 0;
        if (in.size() > capacity_) {
            lost = in.size() - capacity_;
            in = in.last(capacity_);
        }
        const std::uint64_t w = w_.load(std::memory_order_relaxed);
        std::uint64_t r = r_.load(std::memory_order_acquire);
        const std::uint64_t need = w + in.size() - capacity_;  // the read index must be >= this
        while (w + in.size() > r + capacity_) {
            if (r_.compare_exchange_weak(r, need, std::memory_order_acq_rel, std::memory_order_acquire)) {
                lost += static_cast<std::size_t>(need - r);
                break;
            }
        }
        // Pairs with the reader's acquire fence: a reader that sees any sample stored below
        // also sees the read index moved above, and retries.
        std::atomic_thread_fence(std::memory_order_release);
        store(w, in);
        w_.store(w + in.size(), std::memory_order_seq_cst);
        count_write(in.size(), lost);
        return lost;
    }

    // Consumer: copies up to out.size() samples; returns how many.
    std::size_t read(std::span<std::int16_t> out) noexcept {
        for (;;) {
            std::uint64_t r = r_.load(std::memory_order_acquire);
            const std::uint64_t w = w_.load(std::memory_order_acquire);
            const std::size_t n = std::min(out.size(), static_cast<std::size_t>(w - std::min(r, w)));
            load(r, out.first(n));
            std::atomic_thread_fence(std::memory_order_acquire);
            if (r_.compare_exchange_strong(r, r + n, std::memory_order_acq_rel, std::memory_order_relaxed)) {
                reads_.fetch_add(n, std::memory_order_relaxed);
                return n;
            }
        }
    }

    // Consumer: read() that counts a shortfall as an underrun.
    std::size_t read_counted(std::span<std::int16_t> out) noexcept {
        const std::size_t n = read(out);
        if (n < out.size()) {
            underrun_samples_.fetch_add(out.size() - n, std::memory_order_relaxed);
            underrun_events_.fetch_add(1, std::memory_order_relaxed);
        }
        return n;
    }

    // Consumer: drops unread samples beyond the newest keep; returns how many were dropped.
    std::size_t discard_keep(std::size_t keep) noexcept {
        std::uint64_t r = r_.load(std::memory_order_acquire);
        for (;;) {
            const std::uint64_t w = w_.load(std::memory_order_acquire);
            if (w <= r + keep) return 0;
            if (r_.compare_exchange_weak(r, w - keep, std::memory_order_acq_rel, std::memory_order_acquire))
                return static_cast<std::size_t>(w - keep - r);
        }
    }

    RingCounters counters() const noexcept {
        RingCounters c;
        c.written = written_.load(std::memory_order_relaxed);
        c.read = reads_.load(std::memory_order_relaxed);
        c.overrun_samples = overrun_samples_.load(std::memory_order_relaxed);
        c.overrun_events = overrun_events_.load(std::memory_order_relaxed);
        c.underrun_samples = underrun_samples_.load(std::memory_order_relaxed);
        c.underrun_events = underrun_events_.load(std::memory_order_relaxed);
        return c;
    }

private:
    // Copies in two runs (to the end of the storage, then from its start): one modulo per call.
    void store(std::uint64_t w, std::span<const std::int16_t> in) noexcept {
        const auto start = static_cast<std::size_t>(w % capacity_);
        const std::size_t first = std::min(in.size(), capacity_ - start);
        for (std::size_t i = 0; i < first; ++i) data_[start + i].store(in[i], std::memory_order_relaxed);
        for (std::size_t i = first; i < in.size(); ++i) data_[i - first].store(in[i], std::memory_order_relaxed);
    }
    void load(std::uint64_t r, std::span<std::int16_t> out) const noexcept {
        const auto start = static_cast<std::size_t>(r % capacity_);
        const std::size_t first = std::min(out.size(), capacity_ - start);
        for (std::size_t i = 0; i < first; ++i) out[i] = data_[start + i].load(std::memory_order_relaxed);
        for (std::size_t i = first; i < out.size(); ++i) out[i] = data_[i - first].load(std::memory_order_relaxed);
    }
    void count_write(std::size_t n, std::size_t lost) noexcept {
        written_.fetch_add(n, std::memory_order_relaxed);
        if (lost > 0) {
            overrun_samples_.fetch_add(lost, std::memory_order_relaxed);
            overrun_events_.fetch_add(1, std::memory_order_relaxed);
        }
    }

    const std::size_t capacity_;
    std::unique_ptr<std::atomic<std::int16_t>[]> data_;
    alignas(64) std::atomic<std::uint64_t> w_{0};
    alignas(64) std::atomic<std::uint64_t> r_{0};
    // Producer-owned counters.
    alignas(64) std::atomic<std::uint64_t> written_{0};
    std::atomic<std::uint64_t> overrun_samples_{0};
    std::atomic<std::uint64_t> overrun_events_{0};
    // Consumer-owned counters.
    alignas(64) std::atomic<std::uint64_t> reads_{0};
    std::atomic<std::uint64_t> underrun_samples_{0};
    std::atomic<std::uint64_t> underrun_events_{0};
};

}  // namespace siperb::audio
