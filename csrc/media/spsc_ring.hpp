// A single-producer single-consumer ring of trivially copyable items with a fixed capacity:
// the producer (engine thread) never waits and never allocates.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <span>
#include <vector>

namespace siperb::media {

template <typename T>
class SpscRing {
public:
    explicit SpscRing(std::size_t capacity) : buf_(capacity + 1) {}

    // Writes as many items as fit; returns how many.
    std::size_t push(std::span<const T> in) noexcept {
        const std::size_t head = head_.load(std::memory_order_relaxed);
        const std::size_t tail = tail_.load(std::memory_order_acquire);
        const std::size_t free = (tail + buf_.size() - head - 1) % buf_.size();
        const std::size_t n = std::min(free, in.size());
        for (std::size_t i = 0; i < n; ++i) buf_[(head + i) % buf_.size()] = in[i];
        head_.store((head + n) % buf_.size(), std::memory_order_release);
        return n;
    }
    // Writes all of in, or nothing when it does not fit.
    bool push_all(std::span<const T> in) noexcept {
        const std::size_t head = head_.load(std::memory_order_relaxed);
        const std::size_t tail = tail_.load(std::memory_order_acquire);
        if ((tail + buf_.size() - head - 1) % buf_.size() < in.size()) return false;
        return push(in) == in.size();
    }
    // Reads up to out.size() items; returns how many.
    std::size_t pop(std::span<T> out) noexcept {
        const std::size_t tail = tail_.load(std::memory_order_relaxed);
        const std::size_t head = head_.load(std::memory_order_acquire);
        const std::size_t avail = (head + buf_.size() - tail) % buf_.size();
        const std::size_t n = std::min(avail, out.size());
        for (std::size_t i = 0; i < n; ++i) out[i] = buf_[(tail + i) % buf_.size()];
        tail_.store((tail + n) % buf_.size(), std::memory_order_release);
        return n;
    }
    std::size_t capacity() const noexcept { return buf_.size() - 1; }

private:
    std::vector<T> buf_;
    alignas(64) std::atomic<std::size_t> head_{0};
    alignas(64) std::atomic<std::size_t> tail_{0};
};

}  // namespace siperb::media
