#include "media/memory_port.hpp"

#include "common/error.hpp"

#include <algorithm>

namespace siperb::media {

namespace {
void check_rate(int rate) {
    if (rate < 1000 || rate > 384000) throw MediaError("sample_rate", "must be 1000-384000 Hz");
}
}  // namespace

MemorySource::MemorySource(std::vector<std::int16_t> samples, int sample_rate, bool loop)
    : samples_(std::move(samples)), rate_(sample_rate), loop_(loop && !samples_.empty()) {
    check_rate(sample_rate);
}

std::size_t MemorySource::read(std::span<std::int16_t> out) noexcept {
    std::size_t pos = pos_.load(std::memory_order_relaxed);
    std::size_t written = 0;
    while (written < out.size()) {
        if (pos >= samples_.size()) {
            if (!loop_) break;
            pos = 0;
        }
        const std::size_t n = std::min(out.size() - written, samples_.size() - pos);
        std::copy_n(samples_.begin() + static_cast<std::ptrdiff_t>(pos), n, out.begin() + static_cast<std::ptrdiff_t>(written));
        pos += n;
        written += n;
    }
    pos_.store(pos, std::memory_order_relaxed);
    if (!loop_ && pos >= samples_.size()) ended_.store(true, std::memory_order_relaxed);
    return written;
}

MemorySink::MemorySink(int sample_rate, std::size_t capacity) : rate_(sample_rate), capacity_(capacity) {
    check_rate(sample_rate);
    samples_.reserve(capacity);
}

void MemorySink::write(std::span<const std::int16_t> in) noexcept {
    std::lock_guard lock(mu_);
    const std::size_t room = capacity_ - samples_.size();
    const std::size_t n = std::min(room, in.size());
    samples_.insert(samples_.end(), in.begin(), in.begin() + static_cast<std::ptrdiff_t>(n));
    if (n < in.size()) dropped_.fetch_add(in.size() - n, std::memory_order_relaxed);
}

std::vector<std::int16_t> MemorySink::samples() const {
    std::lock_guard lock(mu_);
    return samples_;
}

std::size_t MemorySink::size() const {
    std::lock_guard lock(mu_);
    return samples_.size();
}

void MemorySink::clear() {
    std::lock_guard lock(mu_);
    samples_.clear();
    dropped_.store(0);
}

}  // namespace siperb::media
