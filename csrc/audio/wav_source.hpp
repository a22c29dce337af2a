// Plays a WAV file into the engine: mono (stereo is averaged), resampled to the requested
// rate, once or looped. read() never touches the file: a file whose data chunk is at most
// kPreloadBytes (4 MiB: 43 s of 48 kHz stereo 16-bit, 8.7 min of 8 kHz mono) is decoded and
// resampled whole in the constructor; a larger one is streamed by a loader thread into a
// 2-second ring that it keeps topped up.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "audio/audio_port.hpp"
#include "audio/ring.hpp"
#include "audio/wav_reader.hpp"
#include "codec/resampler.hpp"

namespace siperb::audio {

class WavFileSource final : public AudioSource {
public:
    static constexpr std::uint64_t kPreloadBytes = 4u << 20;

    // Throws WavError (file) or CodecError (rate). preload_limit overrides kPreloadBytes.
    WavFileSource(const std::string& path, int sample_rate, bool loop = false,
                  std::uint64_t preload_limit = kPreloadBytes);
    ~WavFileSource() override;

    int sample_rate() const noexcept override { return rate_; }
    std::size_t read(std::span<std::int16_t> out) noexcept override;
    bool ended() const noexcept override;

    const WavInfo& file_info() const noexcept { return info_; }
    bool streamed() const noexcept { return ring_ != nullptr; }
    // Samples the engine asked for that the loader had not produced yet.
    RingCounters counters() const noexcept;
    // The loader's failure (the file changed under it), empty if none.
    std::string error() const;

private:
    void load_loop() noexcept;
    // Loader: decodes, downmixes and resamples up to `frames` input frames into the ring;
    // false at the end of a non-looped file (the resampler tail flushed).
    bool fill(std::size_t frames);

    int rate_;
    bool loop_;
    WavInfo info_;
    // Preloaded.
    std::vector<std::int16_t> pcm_;
    std::atomic<std::size_t> pos_{0};  // engine-written; atomic for ended() from other threads
    // Streamed.
    std::unique_ptr<WavFileReader> reader_;
    std::unique_ptr<codec::Resampler> resampler_;
    std::unique_ptr<SampleRing> ring_;
    std::vector<std::int16_t> in_buf_, mono_buf_, out_buf_;
    std::atomic<bool> loaded_{false};  // loader reached the end (non-looped) or failed
    std::atomic<bool> stop_{false};
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::string error_;
    std::thread loader_;
};

// Averages interleaved stereo into mono (in may alias out).
void downmix_stereo(std::span<const std::int16_t> in, std::span<std::int16_t> out) noexcept;

}  // namespace siperb::audio
