#include "media/recorder.hpp"

#include "common/error.hpp"

#include <array>
#include <chrono>

namespace siperb::media {


Recorder::Recorder(std::string path, int sample_rate, RecorderLayout layout, int ring_ms)
    : path_(std::move(path)), rate_(sample_rate), layout_(layout), channels_(layout == RecorderLayout::Stereo ? 2 : 1),
      ring_(static_cast<std::size_t>(std::max(ring_ms, 100)) * static_cast<std::size_t>(std::max(sample_rate, 1)) / 1000 * 2) {
    if (sample_rate < 1000 || sample_rate > 192000) throw WavError("sample_rate", "must be 1000-192000 Hz");
    file_.emplace(path_, audio::WavFormat{audio::WavEncoding::Pcm16, static_cast<int>(channels_), rate_},
                  static_cast<std::uint64_t>(rate_));
    thread_ = std::thread([this] { run(); });
}

Recorder::~Recorder() { close(); }

void Recorder::write(std::span<const std::int16_t> tx, std::span<const std::int16_t> rx) noexcept {
    if (closed_.load(std::memory_order_relaxed)) return;
    const std::size_t n = std::min(tx.size(), rx.size());
    std::array<std::int16_t, 512> chunk;
    const std::size_t per = chunk.size() / 2;
    for (std::size_t i = 0; i < n; i += per) {
        const std::size_t m = std::min(per, n - i);
        std::size_t k = 0;
        for (std::size_t j = i; j < i + m; ++j) {
            if (layout_ == RecorderLayout::Stereo) {
                chunk[k++] = tx[j];
                chunk[k++] = rx[j];
            } else {
                chunk[k++] = static_cast<std::int16_t>(std::clamp(int{tx[j]} + int{rx[j]}, -32768, 32767));
            }
        }
        if (!ring_.push_all(std::span<const std::int16_t>(chunk.data(), k))) dropped_.fetch_add(m, std::memory_order_relaxed);
    }
}

std::size_t Recorder::flush_some() {
    std::array<std::int16_t, 4096> buf;
    std::size_t total = 0;
    for (;;) {
        // Whole frames only, so a stereo pair never straddles two writes out of order.
        const std::size_t n = ring_.pop(std::span<std::int16_t>(buf.data(), buf.size()));
        if (n == 0) break;
        try {
            file_->write(std::span<const std::int16_t>(buf.data(), n));
        } catch (const Error&) {
            dropped_.fetch_add(n / channels_, std::memory_order_relaxed);  // disk full or gone
        }
        total += n;
        written_.store(file_->frames(), std::memory_order_relaxed);
    }
    return total;
}

void Recorder::run() {
    while (!stop_.load()) {
        if (flush_some() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    flush_some();
}

void Recorder::close() {
    std::lock_guard lock(close_mu_);
    if (closed_.exchange(true)) return;
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    try {
        file_->close();
    } catch (const Error&) {
        // Already counted as dropped frames; close() must not throw from a destructor path.
    }
}

}  // namespace siperb::media
