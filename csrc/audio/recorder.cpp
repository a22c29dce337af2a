// Ring-fed WAV recording with a writer thread.
#include "audio/recorder.hpp"

#include <algorithm>
#include <chrono>
#include <limits>

#include "common/error.hpp"

namespace siperb::audio {

struct Recorder::Shared {
    Shared(int rate, std::size_t n) : sample_rate(rate) {
        for (std::size_t i = 0; i < n; ++i)
            rings[i] = std::make_unique<SampleRing>(static_cast<std::size_t>(rate) * Recorder::kRingSeconds);
    }
    // Samples input i lost: its ring's overruns plus what it discarded after a writer failure.
    std::uint64_t dropped(std::size_t i) const noexcept {
        return rings[i]->counters().overrun_samples + lost[i].load(std::memory_order_relaxed);
    }
    int sample_rate;
    std::atomic<bool> on{false};
    std::atomic<bool> failed{false};  // the writer thread gave up: inputs count what they discard
    std::array<std::unique_ptr<SampleRing>, 2> rings;
    std::array<std::atomic<std::uint64_t>, 2> lost{};
};

namespace {

class RecorderInput final : public AudioSink {
public:
    RecorderInput(std::shared_ptr<Recorder::Shared> s, std::size_t i)
        : s_(std::move(s)), ring_(*s_->rings[i]), lost_(s_->lost[i]) {}
    int sample_rate() const noexcept override { return s_->sample_rate; }
    void write(std::span<const std::int16_t> in) noexcept override {
        if (s_->on.load(std::memory_order_acquire))
            ring_.write(in);
        else if (s_->failed.load(std::memory_order_relaxed))
            lost_.fetch_add(in.size(), std::memory_order_relaxed);
    }

private:
    std::shared_ptr<Recorder::Shared> s_;
    SampleRing& ring_;
    std::atomic<std::uint64_t>& lost_;
};

constexpr auto kPeriod = std::chrono::milliseconds(20);

}  // namespace

Recorder::Recorder(std::string path, int sample_rate, RecordLayout layout) : path_(std::move(path)), layout_(layout) {
    if (sample_rate < 1000 || sample_rate > 384000)
        throw MediaError("sample_rate", std::to_string(sample_rate) + " Hz is outside 1000..384000");
    shared_ = std::make_shared<Shared>(sample_rate, inputs());
    for (std::size_t i = 0; i < inputs(); ++i) sinks_[i] = std::make_shared<RecorderInput>(shared_, i);
    const std::size_t cap = static_cast<std::size_t>(sample_rate) * kRingSeconds;
    a_.resize(cap);
    b_.resize(cap);
    out_.resize(2 * cap);
}

Recorder::~Recorder() {
    try {
        stop();
    } catch (...) {  // NOLINT(bugprone-empty-catch): destructors do not throw; stop() reports
    }
}

int Recorder::sample_rate() const noexcept { return shared_->sample_rate; }

std::shared_ptr<AudioSink> Recorder::input(std::size_t i) const {
    if (i >= inputs()) throw MediaError("input", std::to_string(i) + " is not an input of this recorder");
    return sinks_[i];
}

void Recorder::start(const std::string& path) {
    if (thread_.joinable()) throw MediaError("recorder", "already recording");
    if (!path.empty()) path_ = path;
    const int ch = layout_ == RecordLayout::Stereo ? 2 : 1;
    writer_ = std::make_unique<WavWriter>(path_, WavFormat{WavEncoding::Pcm16, ch, shared_->sample_rate});
    // The writer thread is not running: this thread is the rings' consumer for now.
    for (std::size_t i = 0; i < inputs(); ++i) shared_->rings[i]->discard_keep(0);
    {
        const std::lock_guard lock(mu_);
        stop_ = false;
        error_.clear();
    }
    shared_->failed.store(false, std::memory_order_relaxed);
    shared_->on.store(true, std::memory_order_release);
    thread_ = std::thread([this] { writer_loop(); });
}

void Recorder::stop() {
    if (!thread_.joinable()) return;
    shared_->on.store(false, std::memory_order_release);
    {
        const std::lock_guard lock(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
    shared_->failed.store(false, std::memory_order_relaxed);  // stopped: inputs discard silently
    std::string err;
    {
        const std::lock_guard lock(mu_);
        err = error_;
    }
    if (!err.empty()) {  // what the inputs held when the writer failed is lost too
        for (std::size_t i = 0; i < inputs(); ++i)
            shared_->lost[i].fetch_add(shared_->rings[i]->discard_keep(0), std::memory_order_relaxed);
    }
    auto w = std::move(writer_);
    if (w) w->close();
    if (!err.empty()) throw MediaError("recorder", err);
}

void Recorder::writer_loop() noexcept {
    try {
        for (;;) {
            bool last = false;
            {
                std::unique_lock lock(mu_);
                last = cv_.wait_for(lock, kPeriod, [this] { return stop_; });
            }
            drain(last);
            if (last) return;
        }
    } catch (const std::exception& e) {
        for (std::size_t i = 0; i < inputs(); ++i) shared_->lost[i].fetch_add(unwritten_[i], std::memory_order_relaxed);
        shared_->failed.store(true, std::memory_order_relaxed);
        shared_->on.store(false, std::memory_order_release);
        const std::lock_guard lock(mu_);
        error_ = e.what();
    }
}

void Recorder::drain(bool final) {
    const auto rate = static_cast<std::size_t>(shared_->sample_rate);
    SampleRing& ra = *shared_->rings[0];
    if (layout_ == RecordLayout::Mono) {
        const std::size_t n = ra.read(a_);
        unwritten_ = {n, 0};
        if (n) writer_->write(std::span(a_).first(n));
        unwritten_ = {};
        frames_written_.fetch_add(n, std::memory_order_relaxed);
        return;
    }
    SampleRing& rb = *shared_->rings[1];
    const std::size_t have_a = ra.available();
    const std::size_t have_b = rb.available();
    std::size_t n = std::min(have_a, have_b);
    // A side more than kMaxLagMs ahead (or anything left at the end) is paired with silence.
    const std::size_t lag_limit = final ? 0 : rate * kMaxLagMs / 1000;
    const std::size_t ahead = std::max(have_a, have_b) - n;
    std::size_t pad = ahead > lag_limit ? ahead - lag_limit : 0;
    const std::size_t total = std::min(n + pad, a_.size());
    n = std::min(n, total);
    pad = total - n;
    const std::size_t got_a = ra.read(std::span(a_).first(std::min(have_a, total)));
    const std::size_t got_b = rb.read(std::span(b_).first(std::min(have_b, total)));
    std::fill(a_.begin() + static_cast<std::ptrdiff_t>(got_a), a_.begin() + static_cast<std::ptrdiff_t>(total), std::int16_t{0});
    std::fill(b_.begin() + static_cast<std::ptrdiff_t>(got_b), b_.begin() + static_cast<std::ptrdiff_t>(total), std::int16_t{0});
    padded_.fetch_add((total - got_a) + (total - got_b), std::memory_order_relaxed);
    if (total == 0) return;
    unwritten_ = {got_a, got_b};
    if (layout_ == RecordLayout::Stereo) {
        for (std::size_t i = 0; i < total; ++i) {
            out_[2 * i] = a_[i];
            out_[2 * i + 1] = b_[i];
        }
        writer_->write(std::span(out_).first(2 * total));
    } else {
        for (std::size_t i = 0; i < total; ++i) {
            const int s = static_cast<int>(a_[i]) + static_cast<int>(b_[i]);
            out_[i] = static_cast<std::int16_t>(std::clamp(s, -32768, 32767));
        }
        writer_->write(std::span(out_).first(total));
    }
    unwritten_ = {};
    frames_written_.fetch_add(total, std::memory_order_relaxed);
}

std::uint64_t Recorder::dropped_frames() const noexcept {
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < inputs(); ++i) n = std::max(n, shared_->dropped(i));
    return n;
}

RecorderStats Recorder::stats() const {
    RecorderStats s;
    s.frames_written = frames_written_.load(std::memory_order_relaxed);
    s.padded_samples = padded_.load(std::memory_order_relaxed);
    for (std::size_t i = 0; i < inputs(); ++i) s.dropped_samples += shared_->dropped(i);
    s.dropped_frames = dropped_frames();
    s.recording = shared_->on.load(std::memory_order_acquire);
    const std::lock_guard lock(mu_);
    s.error = error_;
    return s;
}

}  // namespace siperb::audio
