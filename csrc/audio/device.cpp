// PortAudio devices: listing, selection, one callback stream, rings, watchdog.
#include "audio/device.hpp"

#include "audio/portaudio_api.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <optional>

#include <fcntl.h>
#include <unistd.h>

#include "audio/event_fd.hpp"
#include "audio/ring.hpp"
#include "codec/resampler.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"

namespace siperb::audio {
namespace {

std::mutex g_pa_mu;
int g_pa_users = 0;

// ALSA and JACK print every failed probe of a missing server or card to stderr while PortAudio
// initialises and lists devices; an application (or the demo) should not show that noise.
// Set SIPERB_AUDIO_DEBUG=1 to see it.
class QuietStderr {
public:
    QuietStderr() {
        if (std::getenv("SIPERB_AUDIO_DEBUG")) return;
        const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (null < 0) return;
        saved_ = ::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 0);
        if (saved_ >= 0) ::dup2(null, STDERR_FILENO);
        ::close(null);
    }
    ~QuietStderr() {
        if (saved_ < 0) return;
        ::dup2(saved_, STDERR_FILENO);
        ::close(saved_);
    }
    QuietStderr(const QuietStderr&) = delete;
    QuietStderr& operator=(const QuietStderr&) = delete;

private:
    int saved_ = -1;
};

void check_pa(PaError err, const char* what) {
    if (err != paNoError) throw MediaError(what, portaudio().GetErrorText(err));
}

std::int64_t now_ms() noexcept { return monotonic_ns() / 1'000'000; }

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

bool format_supported(int index, bool input, int channels, double rate) {
    PaStreamParameters p{};
    p.device = index;
    p.channelCount = channels;
    p.sampleFormat = paInt16;
    p.suggestedLatency = 0;
    return portaudio().IsFormatSupported(input ? &p : nullptr, input ? nullptr : &p, rate) == paFormatIsSupported;
}

// Mono if the device takes it, else stereo (downmixed/duplicated by the callback), else none.
int pick_channels(int index, bool input, int max_channels, double rate) {
    for (int ch : {1, 2})
        if (ch <= max_channels && format_supported(index, input, ch, rate)) return ch;
    return 0;
}

int resolve(const DeviceSelector& sel, bool input, const char* field) {
    const int count = portaudio().GetDeviceCount();
    if (count < 0) throw MediaError(field, portaudio().GetErrorText(count));
    const auto channels_of = [&](int i) {
        const PaDeviceInfo* d = portaudio().GetDeviceInfo(i);
        return d ? (input ? d->maxInputChannels : d->maxOutputChannels) : 0;
    };
    const char* dir = input ? "input" : "output";
    switch (sel.kind) {
        case DeviceSelector::Kind::None: return paNoDevice;
        case DeviceSelector::Kind::Default: {
            const int i = input ? portaudio().GetDefaultInputDevice() : portaudio().GetDefaultOutputDevice();
            if (i == paNoDevice) throw MediaError(field, std::string("no default ") + dir + " device");
            return i;
        }
        case DeviceSelector::Kind::Index:
            if (sel.index < 0 || sel.index >= count)
                throw MediaError(field, "device index " + std::to_string(sel.index) + " is outside 0.." + std::to_string(count - 1));
            if (channels_of(sel.index) == 0)
                throw MediaError(field, "device " + std::to_string(sel.index) + " has no " + dir + " channels");
            return sel.index;
        case DeviceSelector::Kind::Name: {
            const std::string want = lower(sel.name);
            std::optional<int> partial;
            std::string names;
            for (int i = 0; i < count; ++i) {
                if (channels_of(i) == 0) continue;
                const std::string name = portaudio().GetDeviceInfo(i)->name;
                names += (names.empty() ? "" : ", ") + ("'" + name + "'");
                if (lower(name) == want) return i;
                if (!partial && lower(name).find(want) != std::string::npos) partial = i;
            }
            if (partial) return *partial;
            throw MediaError(field, "no " + std::string(dir) + " device matches '" + sel.name + "' (" +
                                        (names.empty() ? "none available" : names) + ")");
        }
    }
    return paNoDevice;
}

}  // namespace

PortAudioSession::PortAudioSession() {
    const std::lock_guard lock(g_pa_mu);
    if (g_pa_users == 0) {
        const QuietStderr quiet;
        check_pa(portaudio().Initialize(), "portaudio");
    }
    ++g_pa_users;
}

PortAudioSession::~PortAudioSession() {
    const std::lock_guard lock(g_pa_mu);
    if (--g_pa_users == 0) portaudio().Terminate();
}

std::vector<DeviceInfo> list_devices() {
    const PortAudioSession pa;
    const QuietStderr quiet;  // probing rates on absent ALSA/JACK devices is noisy
    const int count = portaudio().GetDeviceCount();
    if (count < 0) throw MediaError("portaudio", portaudio().GetErrorText(count));
    std::vector<DeviceInfo> out;
    const int def_in = portaudio().GetDefaultInputDevice();
    const int def_out = portaudio().GetDefaultOutputDevice();
    for (int i = 0; i < count; ++i) {
        const PaDeviceInfo* d = portaudio().GetDeviceInfo(i);
        if (!d) continue;
        DeviceInfo info;
        info.index = i;
        info.name = d->name ? d->name : "";
        const PaHostApiInfo* api = portaudio().GetHostApiInfo(d->hostApi);
        info.host_api = api && api->name ? api->name : "";
        info.max_input_channels = d->maxInputChannels;
        info.max_output_channels = d->maxOutputChannels;
        info.default_sample_rate = d->defaultSampleRate;
        info.default_input = i == def_in;
        info.default_output = i == def_out;
        for (int rate : kProbeRates) {
            if (d->maxInputChannels > 0 && pick_channels(i, true, d->maxInputChannels, rate)) info.input_rates.push_back(rate);
            if (d->maxOutputChannels > 0 && pick_channels(i, false, d->maxOutputChannels, rate))
                info.output_rates.push_back(rate);
        }
        out.push_back(std::move(info));
    }
    return out;
}

// Everything the callback, the engine endpoints and the watchdog share.
struct AudioDevice::Core {
    int sample_rate = 16000;
    int device_rate = 48000;
    int in_channels = 0;
    int out_channels = 0;
    std::size_t frames_per_buffer = 480;
    std::string input_name, output_name;
    PaStream* stream = nullptr;

    std::unique_ptr<SampleRing> capture;   // engine rate
    std::unique_ptr<SampleRing> playback;  // device rate
    std::unique_ptr<codec::Resampler> capture_rs, playback_rs;
    // Callback scratch (device-rate mono and engine-rate output), sized at open.
    std::vector<std::int16_t> cb_mono, cb_out;
    // DeviceSink scratch (engine-rate chunks resampled to device rate).
    std::vector<std::int16_t> sink_out;
    bool primed = false;  // callback-only

    std::atomic<DeviceStatus> status{DeviceStatus::Running};
    std::atomic<std::int64_t> last_callback_ms{0};
    std::atomic<std::uint64_t> callbacks{0}, input_overflows{0}, output_underflows{0}, trimmed{0},
        playback_underruns{0}, played{0};
    EventFd event;
    std::mutex mu;  // error, watchdog wake-up
    std::condition_variable cv;
    bool stopping = false;
    std::string error;

    void fail(const std::string& why) {
        DeviceStatus expected = DeviceStatus::Running;
        if (!status.compare_exchange_strong(expected, DeviceStatus::Failed)) return;
        {
            const std::lock_guard lock(mu);
            error = why;
        }
        event.signal();
    }

    void on_capture(const std::int16_t* in, std::size_t frames) noexcept {
        while (frames > 0) {
            const std::size_t n = std::min(frames, cb_mono.size());
            if (in_channels == 2) {
                downmix(in, n);
            } else {
                std::copy_n(in, n, cb_mono.begin());
            }
            std::span<const std::int16_t> mono(cb_mono.data(), n);
            if (capture_rs) {
                try {
                    const std::size_t got = capture_rs->process(mono, cb_out);
                    capture->write_overwrite(std::span(cb_out).first(got));
                } catch (...) {  // NOLINT(bugprone-empty-catch): cannot happen with sized buffers
                }
            } else {
                capture->write_overwrite(mono);
            }
            in += n * static_cast<std::size_t>(in_channels);
            frames -= n;
        }
    }

    void downmix(const std::int16_t* in, std::size_t n) noexcept {
        for (std::size_t i = 0; i < n; ++i)
            cb_mono[i] = static_cast<std::int16_t>((static_cast<int>(in[2 * i]) + static_cast<int>(in[2 * i + 1])) / 2);
    }

    void on_playback(std::int16_t* out, std::size_t frames) noexcept {
        const auto ch = static_cast<std::size_t>(out_channels);
        if (!primed) {
            primed = playback->available() >= 2 * frames_per_buffer;
            if (!primed) {
                std::fill_n(out, frames * ch, std::int16_t{0});
                return;
            }
        }
        while (frames > 0) {
            const std::size_t n = std::min(frames, cb_mono.size());
            const std::size_t got = playback->read(std::span(cb_mono).first(n));
            played.fetch_add(got, std::memory_order_relaxed);
            if (got < n) {
                std::fill(cb_mono.begin() + static_cast<std::ptrdiff_t>(got), cb_mono.begin() + static_cast<std::ptrdiff_t>(n),
                          std::int16_t{0});
                playback_underruns.fetch_add(n - got, std::memory_order_relaxed);
                primed = false;  // wait for a prefill again rather than crackle
            }
            for (std::size_t i = 0; i < n; ++i)
                for (std::size_t c = 0; c < ch; ++c) out[i * ch + c] = cb_mono[i];
            out += n * ch;
            frames -= n;
        }
    }
};

namespace {

int stream_callback(const void* input, void* output, unsigned long frames, const PaStreamCallbackTimeInfo* /*time*/,
                    PaStreamCallbackFlags flags, void* user) {
    auto* core = static_cast<AudioDevice::Core*>(user);
    core->last_callback_ms.store(now_ms(), std::memory_order_relaxed);
    core->callbacks.fetch_add(1, std::memory_order_relaxed);
    if (flags & paInputOverflow) core->input_overflows.fetch_add(1, std::memory_order_relaxed);
    if (flags & paOutputUnderflow) core->output_underflows.fetch_add(1, std::memory_order_relaxed);
    if (input && core->capture) core->on_capture(static_cast<const std::int16_t*>(input), frames);
    if (output && core->playback) core->on_playback(static_cast<std::int16_t*>(output), frames);
    return paContinue;
}

class DeviceSource final : public AudioSource {
public:
    explicit DeviceSource(std::shared_ptr<AudioDevice::Core> c) : c_(std::move(c)) {}
    int sample_rate() const noexcept override { return c_->sample_rate; }
    std::size_t read(std::span<std::int16_t> out) noexcept override {
        if (c_->status.load(std::memory_order_acquire) != DeviceStatus::Running) return c_->capture->read(out);
        const auto keep = out.size() + static_cast<std::size_t>(c_->sample_rate) * AudioDevice::kMaxCaptureBacklogMs / 1000;
        c_->trimmed.fetch_add(c_->capture->discard_keep(keep), std::memory_order_relaxed);
        return c_->capture->read_counted(out);
    }

private:
    std::shared_ptr<AudioDevice::Core> c_;
};

class DeviceSink final : public AudioSink {
public:
    explicit DeviceSink(std::shared_ptr<AudioDevice::Core> c) : c_(std::move(c)) {
        chunk_ = c_->playback_rs ? c_->sink_out.size() * static_cast<std::size_t>(c_->sample_rate) /
                                           static_cast<std::size_t>(c_->device_rate) / 2
                                 : c_->sink_out.size();
    }
    int sample_rate() const noexcept override { return c_->sample_rate; }
    void write(std::span<const std::int16_t> in) noexcept override {
        if (c_->status.load(std::memory_order_acquire) != DeviceStatus::Running) return;
        if (!c_->playback_rs) {
            c_->playback->write(in);
            return;
        }
        while (!in.empty()) {
            const std::size_t n = std::min(in.size(), chunk_);
            try {
                const std::size_t got = c_->playback_rs->process(in.first(n), c_->sink_out);
                c_->playback->write(std::span(c_->sink_out).first(got));
            } catch (...) {  // NOLINT(bugprone-empty-catch): cannot happen with sized buffers
            }
            in = in.subspan(n);
        }
    }

private:
    std::shared_ptr<AudioDevice::Core> c_;
    std::size_t chunk_;
};

}  // namespace

AudioDevice::AudioDevice(const DeviceConfig& cfg) : pa_(std::make_unique<PortAudioSession>()), core_(std::make_shared<Core>()) {
    Core& c = *core_;
    if (cfg.sample_rate < 1000 || cfg.sample_rate > 384000)
        throw MediaError("sample_rate", std::to_string(cfg.sample_rate) + " Hz is outside 1000..384000");
    const int in_dev = resolve(cfg.input, true, "input");
    const int out_dev = resolve(cfg.output, false, "output");
    if (in_dev == paNoDevice && out_dev == paNoDevice) throw MediaError("input", "neither an input nor an output device");
    const PaDeviceInfo* in_info = in_dev != paNoDevice ? portaudio().GetDeviceInfo(in_dev) : nullptr;
    const PaDeviceInfo* out_info = out_dev != paNoDevice ? portaudio().GetDeviceInfo(out_dev) : nullptr;

    const auto channels_for = [&](double rate, int& in_ch, int& out_ch) {
        in_ch = in_info ? pick_channels(in_dev, true, in_info->maxInputChannels, rate) : 0;
        out_ch = out_info ? pick_channels(out_dev, false, out_info->maxOutputChannels, rate) : 0;
        return (!in_info || in_ch) && (!out_info || out_ch);
    };
    int in_ch = 0;
    int out_ch = 0;
    int rate = cfg.device_rate;
    if (rate == 0) {
        rate = 48000;
        if (!channels_for(rate, in_ch, out_ch)) rate = static_cast<int>((in_info ? in_info : out_info)->defaultSampleRate);
    }
    if (rate < 1000 || rate > 384000) throw MediaError("device_rate", std::to_string(rate) + " Hz is outside 1000..384000");
    if (!channels_for(rate, in_ch, out_ch))
        throw MediaError("device_rate", std::to_string(rate) + " Hz mono/stereo int16 is not supported by " +
                                            (in_info && !in_ch ? std::string(in_info->name) : std::string(out_info->name)));
    c.sample_rate = cfg.sample_rate;
    c.device_rate = rate;
    c.in_channels = in_ch;
    c.out_channels = out_ch;
    c.frames_per_buffer = cfg.frames_per_buffer > 0 ? static_cast<std::size_t>(cfg.frames_per_buffer)
                                                    : static_cast<std::size_t>(rate / 100);
    if (in_info) c.input_name = in_info->name;
    if (out_info) c.output_name = out_info->name;

    const double ring_s = std::clamp(cfg.ring_seconds, 0.1, 10.0);
    c.cb_mono.resize(std::max<std::size_t>(c.frames_per_buffer, 256));
    if (in_info) {
        c.capture = std::make_unique<SampleRing>(static_cast<std::size_t>(ring_s * cfg.sample_rate));
        if (rate != cfg.sample_rate) c.capture_rs = std::make_unique<codec::Resampler>(rate, cfg.sample_rate);
        c.cb_out.resize(c.capture_rs ? c.capture_rs->max_output_frames(c.cb_mono.size()) : c.cb_mono.size());
    }
    if (out_info) {
        c.playback = std::make_unique<SampleRing>(static_cast<std::size_t>(ring_s * rate));
        if (rate != cfg.sample_rate) c.playback_rs = std::make_unique<codec::Resampler>(cfg.sample_rate, rate);
        c.sink_out.resize(static_cast<std::size_t>(rate) / 10 + 16);  // 100 ms chunks at the device rate
    }

    PaStreamParameters ip{};
    PaStreamParameters op{};
    if (in_info) {
        ip.device = in_dev;
        ip.channelCount = in_ch;
        ip.sampleFormat = paInt16;
        ip.suggestedLatency = cfg.latency_s > 0 ? cfg.latency_s : in_info->defaultLowInputLatency;
    }
    if (out_info) {
        op.device = out_dev;
        op.channelCount = out_ch;
        op.sampleFormat = paInt16;
        op.suggestedLatency = cfg.latency_s > 0 ? cfg.latency_s : out_info->defaultLowOutputLatency;
    }
    check_pa(portaudio().OpenStream(&c.stream, in_info ? &ip : nullptr, out_info ? &op : nullptr, rate,
                           static_cast<unsigned long>(c.frames_per_buffer), paNoFlag, stream_callback, &c),
             "Pa_OpenStream");
    c.last_callback_ms.store(now_ms());
    const PaError started = portaudio().StartStream(c.stream);
    if (started != paNoError) {
        portaudio().CloseStream(c.stream);
        c.stream = nullptr;
        check_pa(started, "Pa_StartStream");
    }
    if (in_info) source_ = std::make_shared<DeviceSource>(core_);
    if (out_info) sink_ = std::make_shared<DeviceSink>(core_);
    watchdog_ = std::thread([this] { watchdog(); });
}

AudioDevice::~AudioDevice() { close(); }

void AudioDevice::watchdog() noexcept {
    Core& c = *core_;
    const std::int64_t started = now_ms();
    std::unique_lock lock(c.mu);
    while (!c.cv.wait_for(lock, std::chrono::milliseconds(50), [&] { return c.stopping; })) {
        if (c.status.load() != DeviceStatus::Running) continue;
        const int active = portaudio().IsStreamActive(c.stream);
        const std::int64_t now = now_ms();
        const std::int64_t silent_ms = now - c.last_callback_ms.load(std::memory_order_relaxed);
        const std::int64_t limit = now - started < kStartGraceMs ? kStartGraceMs : kStallMs;
        lock.unlock();
        if (active != 1) {
            c.fail(active < 0 ? std::string("stream error: ") + portaudio().GetErrorText(active) : "the stream stopped");
        } else if (silent_ms > limit) {
            c.fail("no audio callback for " + std::to_string(silent_ms) + " ms (device gone?)");
        }
        lock.lock();
    }
}

void AudioDevice::close() noexcept {
    Core& c = *core_;
    if (!c.stream) return;
    {
        const std::lock_guard lock(c.mu);
        c.stopping = true;
    }
    c.cv.notify_all();
    if (watchdog_.joinable()) watchdog_.join();
    const DeviceStatus was = c.status.exchange(DeviceStatus::Closed);
    // A failed stream may not stop cleanly; abort does not wait for buffers to drain.
    if (was == DeviceStatus::Failed || portaudio().StopStream(c.stream) != paNoError) portaudio().AbortStream(c.stream);
    portaudio().CloseStream(c.stream);
    c.stream = nullptr;
    if (was == DeviceStatus::Failed) c.status.store(DeviceStatus::Failed);
    c.event.signal();
    pa_.reset();
}

std::shared_ptr<AudioSource> AudioDevice::source() const {
    if (!source_) throw MediaError("input", "this device was opened without input");
    return source_;
}

std::shared_ptr<AudioSink> AudioDevice::sink() const {
    if (!sink_) throw MediaError("output", "this device was opened without output");
    return sink_;
}

DeviceStatus AudioDevice::status() const noexcept { return core_->status.load(); }

std::string AudioDevice::error() const {
    const std::lock_guard lock(core_->mu);
    return core_->error;
}

DeviceStats AudioDevice::stats() const noexcept {
    const Core& c = *core_;
    DeviceStats s;
    s.callbacks = c.callbacks.load(std::memory_order_relaxed);
    s.input_overflows = c.input_overflows.load(std::memory_order_relaxed);
    s.output_underflows = c.output_underflows.load(std::memory_order_relaxed);
    if (c.capture) {
        const RingCounters k = c.capture->counters();
        s.captured = k.written;
        s.capture_dropped = k.overrun_samples;
        s.capture_underruns = k.underrun_samples;
    }
    s.capture_trimmed = c.trimmed.load(std::memory_order_relaxed);
    if (c.playback) s.playback_dropped = c.playback->counters().overrun_samples;
    s.played = c.played.load(std::memory_order_relaxed);
    s.playback_underruns = c.playback_underruns.load(std::memory_order_relaxed);
    return s;
}

int AudioDevice::fd() const noexcept { return core_->event.fd(); }
int AudioDevice::device_rate() const noexcept { return core_->device_rate; }
int AudioDevice::sample_rate() const noexcept { return core_->sample_rate; }
std::string AudioDevice::input_name() const { return core_->input_name; }
std::string AudioDevice::output_name() const { return core_->output_name; }

}  // namespace siperb::audio
