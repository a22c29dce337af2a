#include "media/recorder.hpp"

#include "common/error.hpp"

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace siperb::media {

namespace {
void le16(std::uint8_t* p, std::uint16_t v) {
    p[0] = static_cast<std::uint8_t>(v);
    p[1] = static_cast<std::uint8_t>(v >> 8);
}
void le32(std::uint8_t* p, std::uint32_t v) {
    le16(p, static_cast<std::uint16_t>(v));
    le16(p + 2, static_cast<std::uint16_t>(v >> 16));
}
}  // namespace

Recorder::Recorder(std::string path, int sample_rate, RecorderLayout layout, int ring_ms)
    : path_(std::move(path)), rate_(sample_rate), layout_(layout), channels_(layout == RecorderLayout::Stereo ? 2 : 1),
      ring_(static_cast<std::size_t>(std::max(ring_ms, 100)) * static_cast<std::size_t>(std::max(sample_rate, 1)) / 1000 * 2) {
    if (sample_rate < 1000 || sample_rate > 192000) throw WavError("sample_rate", "must be 1000-192000 Hz");
    file_ = std::fopen(path_.c_str(), "wb");
    if (!file_) throw WavError("path", path_ + ": " + std::strerror(errno));
    write_header(0);
    thread_ = std::thread([this] { run(); });
}

Recorder::~Recorder() { close(); }

void Recorder::write_header(std::uint32_t data_bytes) {
    std::array<std::uint8_t, 44> h{};
    std::memcpy(h.data(), "RIFF", 4);
    le32(h.data() + 4, 36 + data_bytes);
    std::memcpy(h.data() + 8, "WAVEfmt ", 8);
    le32(h.data() + 16, 16);
    le16(h.data() + 20, 1);  // PCM
    le16(h.data() + 22, static_cast<std::uint16_t>(channels_));
    le32(h.data() + 24, static_cast<std::uint32_t>(rate_));
    le32(h.data() + 28, static_cast<std::uint32_t>(rate_) * channels_ * 2);
    le16(h.data() + 32, static_cast<std::uint16_t>(channels_ * 2));
    le16(h.data() + 34, 16);
    std::memcpy(h.data() + 36, "data", 4);
    le32(h.data() + 40, data_bytes);
    std::fseek(file_, 0, SEEK_SET);
    std::fwrite(h.data(), 1, h.size(), file_);
    std::fseek(file_, 0, SEEK_END);
}

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
        std::array<std::uint8_t, 8192> bytes;
        for (std::size_t i = 0; i < n; ++i) le16(bytes.data() + 2 * i, static_cast<std::uint16_t>(buf[i]));
        std::fwrite(bytes.data(), 1, 2 * n, file_);
        data_bytes_ += 2 * n;
        total += n;
        written_.store(data_bytes_ / (2 * channels_), std::memory_order_relaxed);
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
    const std::uint64_t limit = 0xFFFFFFFFull - 36;
    write_header(static_cast<std::uint32_t>(std::min<std::uint64_t>(data_bytes_, limit)));
    std::fclose(file_);
    file_ = nullptr;
}

}  // namespace siperb::media
