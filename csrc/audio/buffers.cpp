// Application <-> engine buffers.
#include "audio/buffers.hpp"

#include <chrono>
#include <string>

#include "common/error.hpp"

namespace siperb::audio {
namespace {

std::size_t checked_capacity(int sample_rate, std::size_t capacity) {
    if (sample_rate < 1000 || sample_rate > 384000)
        throw MediaError("sample_rate", std::to_string(sample_rate) + " Hz is outside 1000..384000");
    const auto max = static_cast<std::size_t>(sample_rate) * 60;
    if (capacity == 0 || capacity > max)
        throw MediaError("capacity", std::to_string(capacity) + " samples is outside 1.." + std::to_string(max) + " (60 s)");
    return capacity;
}

}  // namespace

BufferSource::BufferSource(int sample_rate, std::size_t capacity, Overflow overflow)
    : rate_(sample_rate), overflow_(overflow), ring_(checked_capacity(sample_rate, capacity)) {}

std::size_t BufferSource::push(std::span<const std::int16_t> in) noexcept {
    const std::lock_guard lock(push_mu_);
    if (ending_.load(std::memory_order_acquire)) return 0;
    if (overflow_ == Overflow::RejectNewest) return ring_.write(in);
    ring_.write_overwrite(in);
    return in.size();
}

std::size_t BufferSource::read(std::span<std::int16_t> out) noexcept {
    if (ending_.load(std::memory_order_acquire)) return ring_.read(out);
    return ring_.read_counted(out);
}

BufferSink::BufferSink(int sample_rate, std::size_t capacity, Overflow overflow)
    : rate_(sample_rate), overflow_(overflow), ring_(checked_capacity(sample_rate, capacity)) {}

void BufferSink::write(std::span<const std::int16_t> in) noexcept {
    if (closed_.load(std::memory_order_acquire)) return;
    if (overflow_ == Overflow::RejectNewest) {
        ring_.write(in);
    } else {
        ring_.write_overwrite(in);
    }
    maybe_signal();
}

void BufferSink::maybe_signal() noexcept {
    // Dekker with arm(): the ring's index store and this load are seq_cst, as are arm()'s
    // store of want_ and its read of the ring, so one side always sees the other.
    std::size_t want = want_.load(std::memory_order_seq_cst);
    if (want == 0 || ring_.available() < want) return;
    if (want_.compare_exchange_strong(want, 0, std::memory_order_seq_cst)) event_.signal();
}

void BufferSink::arm(std::size_t n) noexcept {
    want_.store(n == 0 ? 1 : n, std::memory_order_seq_cst);
    if (closed() || ring_.available() >= n) {
        want_.store(0, std::memory_order_seq_cst);
        event_.signal();
    }
}

bool BufferSink::try_read(std::span<std::int16_t> out) noexcept {
    const std::lock_guard lock(read_mu_);
    if (ring_.available() < out.size()) return false;
    ring_.read(out);
    return true;
}

std::size_t BufferSink::read(std::span<std::int16_t> out, int timeout_ms) {
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms);
    const std::lock_guard lock(read_mu_);
    for (;;) {
        if (ring_.available() >= out.size() || closed()) break;
        int left = -1;
        if (timeout_ms >= 0) {
            left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
            if (left <= 0) break;
        }
        event_.clear();
        arm(out.size());
        event_.wait(left);
    }
    want_.store(0, std::memory_order_seq_cst);
    return ring_.read(out);
}

void BufferSink::close() noexcept {
    closed_.store(true, std::memory_order_seq_cst);
    event_.signal();
}

}  // namespace siperb::audio
