// WAV file source: preloaded or streamed by a loader thread.
#include "audio/wav_source.hpp"

#include <algorithm>
#include <chrono>

#include "common/error.hpp"

namespace siperb::audio {
namespace {

constexpr std::size_t kChunkFrames = 4096;  // loader read size (input frames)
constexpr int kRingSeconds = 2;

}  // namespace

void downmix_stereo(std::span<const std::int16_t> in, std::span<std::int16_t> out) noexcept {
    const std::size_t n = std::min(in.size() / 2, out.size());
    for (std::size_t i = 0; i < n; ++i)
        out[i] = static_cast<std::int16_t>((static_cast<int>(in[2 * i]) + static_cast<int>(in[2 * i + 1])) / 2);
}

WavFileSource::WavFileSource(const std::string& path, int sample_rate, bool loop, std::uint64_t preload_limit)
    : rate_(sample_rate), loop_(loop) {
    codec::Resampler::check_parameters(1000, sample_rate, 1, codec::kResamplerDefaultQuality);
    auto reader = std::make_unique<WavFileReader>(path);
    info_ = reader->info();
    const int in_rate = info_.format.sample_rate;
    if (info_.data_bytes <= preload_limit) {
        std::vector<std::int16_t> all(static_cast<std::size_t>(info_.frames()) * static_cast<std::size_t>(info_.format.channels));
        std::size_t done = 0;
        while (done < all.size()) {
            const std::size_t n = reader->read_frames(std::span(all).subspan(done));
            if (n == 0) break;
            done += n * static_cast<std::size_t>(info_.format.channels);
        }
        if (info_.format.channels == 2) {
            downmix_stereo(all, all);
            all.resize(all.size() / 2);
        }
        if (in_rate == sample_rate) {
            pcm_ = std::move(all);
        } else {
            pcm_.resize(codec::resampled_frames(all.size(), in_rate, sample_rate));
            codec::resample(all, in_rate, sample_rate, 1, codec::kResamplerDefaultQuality, pcm_);
        }
        return;
    }
    reader_ = std::move(reader);
    if (in_rate != sample_rate) {
        resampler_ = std::make_unique<codec::Resampler>(in_rate, sample_rate);
        resampler_->skip_zeros();
    }
    ring_ = std::make_unique<SampleRing>(static_cast<std::size_t>(sample_rate) * kRingSeconds);
    in_buf_.resize(kChunkFrames * 2);
    mono_buf_.resize(kChunkFrames + static_cast<std::size_t>(resampler_ ? resampler_->input_latency() + 1 : 0));
    out_buf_.resize(resampler_ ? resampler_->max_output_frames(mono_buf_.size()) : mono_buf_.size());
    // Prefill on the caller's thread, so the first read() finds audio.
    while (ring_->free_space() >= out_buf_.size())
        if (!fill(kChunkFrames)) {
            loaded_.store(true, std::memory_order_release);
            return;
        }
    loader_ = std::thread([this] { load_loop(); });
}

WavFileSource::~WavFileSource() {
    {
        const std::lock_guard lock(mu_);
        stop_.store(true, std::memory_order_release);
    }
    cv_.notify_all();
    if (loader_.joinable()) loader_.join();
}

bool WavFileSource::fill(std::size_t frames) {
    const auto ch = static_cast<std::size_t>(info_.format.channels);
    std::size_t n = reader_->read_frames(std::span(in_buf_).first(frames * ch));
    if (n == 0 && loop_ && info_.frames() > 0) {
        reader_->rewind();
        n = reader_->read_frames(std::span(in_buf_).first(frames * ch));
    }
    bool more = true;
    std::span<const std::int16_t> mono;
    if (n == 0) {
        if (!resampler_) return false;
        // End of a non-looped file: flush the filter's delay with zeros.
        const auto tail = static_cast<std::size_t>(resampler_->input_latency()) + 1;
        std::fill_n(mono_buf_.begin(), tail, std::int16_t{0});
        mono = std::span(mono_buf_).first(tail);
        more = false;
    } else if (ch == 2) {
        downmix_stereo(std::span(in_buf_).first(2 * n), mono_buf_);
        mono = std::span(mono_buf_).first(n);
    } else {
        mono = std::span(in_buf_).first(n);
    }
    if (resampler_) {
        const std::size_t got = resampler_->process(mono, out_buf_);
        ring_->write(std::span(out_buf_).first(got));
    } else {
        ring_->write(mono);
    }
    return more;
}

void WavFileSource::load_loop() noexcept {
    try {
        for (;;) {
            {
                std::unique_lock lock(mu_);
                cv_.wait_for(lock, std::chrono::milliseconds(20), [this] {
                    return stop_.load(std::memory_order_acquire) || ring_->free_space() >= out_buf_.size();
                });
            }
            if (stop_.load(std::memory_order_acquire)) return;
            while (ring_->free_space() >= out_buf_.size()) {
                if (!fill(kChunkFrames)) {
                    loaded_.store(true, std::memory_order_release);
                    return;
                }
            }
        }
    } catch (const std::exception& e) {
        const std::lock_guard lock(mu_);
        error_ = e.what();
        loaded_.store(true, std::memory_order_release);
    }
}

std::size_t WavFileSource::read(std::span<std::int16_t> out) noexcept {
    if (ring_) {
        if (loaded_.load(std::memory_order_acquire)) return ring_->read(out);
        return ring_->read_counted(out);
    }
    std::size_t done = 0;
    std::size_t pos = pos_.load(std::memory_order_relaxed);
    while (done < out.size() && !pcm_.empty()) {
        if (pos == pcm_.size()) {
            if (!loop_) break;
            pos = 0;
        }
        const std::size_t n = std::min(out.size() - done, pcm_.size() - pos);
        std::copy_n(pcm_.begin() + static_cast<std::ptrdiff_t>(pos), n, out.begin() + static_cast<std::ptrdiff_t>(done));
        pos += n;
        done += n;
    }
    pos_.store(pos, std::memory_order_release);
    return done;
}

bool WavFileSource::ended() const noexcept {
    if (ring_) return loaded_.load(std::memory_order_acquire) && ring_->available() == 0;
    return !loop_ ? pos_.load(std::memory_order_acquire) == pcm_.size() : pcm_.empty();
}

RingCounters WavFileSource::counters() const noexcept { return ring_ ? ring_->counters() : RingCounters{}; }

std::string WavFileSource::error() const {
    const std::lock_guard lock(mu_);
    return error_;
}

}  // namespace siperb::audio
