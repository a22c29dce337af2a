// Audio devices through PortAudio: one callback stream (duplex when both directions are
// used: two blocking streams on ALSA's `pulse` device hang) feeding a capture ring that
// DeviceSource reads and draining a playback ring that DeviceSink fills. Rates are converted
// on the producer side (device -> engine rate in the callback, engine -> device rate in
// DeviceSink::write), so each consumer only copies. Playback waits for a prefill of two
// device buffers before it starts (and after an underrun); capture keeps the newest audio
// and DeviceSource trims a backlog beyond kMaxCaptureBacklogMs (an engine that starts late
// does not inherit the latency).
//
// A device that fails (the stream stops being active, or its callbacks stop for kStallMs;
// kStartGraceMs while the stream starts: ALSA's pulse plugin was seen here to pause ~1.5 s
// after its first callbacks) is noticed by a watchdog thread: status() becomes Failed, error() says why,
// fd() (an eventfd) becomes readable, and the source/sink keep working as silence.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "audio/audio_port.hpp"

namespace siperb::audio {

// Pa_Initialize/Pa_Terminate, reference counted across every user in the process.
class PortAudioSession {
public:
    PortAudioSession();  // throws MediaError("portaudio", Pa_GetErrorText)
    PortAudioSession(const PortAudioSession&) = delete;
    PortAudioSession& operator=(const PortAudioSession&) = delete;
    ~PortAudioSession();
};

inline constexpr int kProbeRates[] = {8000, 16000, 32000, 44100, 48000};

struct DeviceInfo {
    int index = -1;
    std::string name;
    std::string host_api;
    int max_input_channels = 0;
    int max_output_channels = 0;
    double default_sample_rate = 0;
    bool default_input = false;
    bool default_output = false;
    std::vector<int> input_rates;   // of kProbeRates, mono (or stereo) int16 supported
    std::vector<int> output_rates;
};

std::vector<DeviceInfo> list_devices();

// Which device for one direction.
struct DeviceSelector {
    enum class Kind { None, Default, Index, Name } kind = Kind::Default;
    int index = -1;
    std::string name;  // case-insensitive: an exact name first, else the first containing it
};

struct DeviceConfig {
    DeviceSelector input;
    DeviceSelector output;
    int sample_rate = 16000;        // the engine's side
    int device_rate = 0;            // 0: 48000 if supported, else the device's default rate
    int frames_per_buffer = 0;      // 0: 10 ms at device_rate
    double latency_s = 0;           // 0: PortAudio's default low latency for the device
    double ring_seconds = 1.0;      // each direction's ring
};

enum class DeviceStatus { Running, Closed, Failed };

struct DeviceStats {
    std::uint64_t callbacks = 0;
    std::uint64_t input_overflows = 0;   // PortAudio paInputOverflow flags
    std::uint64_t output_underflows = 0; // PortAudio paOutputUnderflow flags
    std::uint64_t captured = 0;          // samples at the engine rate into the capture ring
    std::uint64_t capture_dropped = 0;   // overwritten (engine not reading)
    std::uint64_t capture_trimmed = 0;   // skipped by DeviceSource to bound latency
    std::uint64_t capture_underruns = 0; // samples the engine asked for and did not get
    std::uint64_t played = 0;            // samples at the device rate out of the playback ring
    std::uint64_t playback_dropped = 0;  // rejected (ring full: engine writing too fast)
    std::uint64_t playback_underruns = 0;// device samples played as silence while primed
};

class AudioDevice {
public:
    static constexpr int kStallMs = 2000;
    static constexpr int kStartGraceMs = 6000;
    static constexpr int kMaxCaptureBacklogMs = 60;

    // Opens and starts the stream; throws MediaError naming input, output, sample_rate,
    // device_rate or the PortAudio call.
    explicit AudioDevice(const DeviceConfig& config);
    AudioDevice(const AudioDevice&) = delete;
    AudioDevice& operator=(const AudioDevice&) = delete;
    ~AudioDevice();

    // Engine endpoints (MediaError if the direction was not opened); they outlive close()
    // (then silent).
    std::shared_ptr<AudioSource> source() const;
    std::shared_ptr<AudioSink> sink() const;

    void close() noexcept;
    DeviceStatus status() const noexcept;
    std::string error() const;
    DeviceStats stats() const noexcept;
    int fd() const noexcept;
    int device_rate() const noexcept;
    int sample_rate() const noexcept;
    std::string input_name() const;
    std::string output_name() const;

    struct Core;

private:
    void watchdog() noexcept;

    std::unique_ptr<PortAudioSession> pa_;
    std::shared_ptr<Core> core_;
    std::shared_ptr<AudioSource> source_;
    std::shared_ptr<AudioSink> sink_;
    std::thread watchdog_;
};

}  // namespace siperb::audio
