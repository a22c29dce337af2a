// Call recording to a 16-bit PCM WAV file: both directions, as stereo (left = sent, right =
// received) or mixed to mono. The engine thread hands each packet time's audio to write(),
// which only copies into a lock-free ring; a writer thread of the recorder does the file I/O
// through audio::WavWriter (whose header is patched every second, so a crash leaves a valid file).
#pragma once

#include "audio/wav_writer.hpp"
#include "media/spsc_ring.hpp"

#include <atomic>
#include <cstdint>
#include <optional>
#include <mutex>
#include <span>
#include <string>
#include <thread>

namespace siperb::media {

enum class RecorderLayout { Stereo, Mixed };

class Recorder {
public:
    // Opens (truncates) path; throws WavError("path", strerror) if it cannot. ring_ms of audio
    // may wait in memory for the writer (a slower disk drops and counts frames).
    Recorder(std::string path, int sample_rate = 16000, RecorderLayout layout = RecorderLayout::Stereo,
             int ring_ms = 2000);
    ~Recorder();
    Recorder(const Recorder&) = delete;
    Recorder& operator=(const Recorder&) = delete;

    int sample_rate() const noexcept { return rate_; }
    RecorderLayout layout() const noexcept { return layout_; }
    const std::string& path() const noexcept { return path_; }
    // Engine thread (one producer at a time): n = min(tx.size(), rx.size()) frames.
    void write(std::span<const std::int16_t> tx, std::span<const std::int16_t> rx) noexcept;
    // Flushes, writes the final header sizes and closes the file (idempotent; any thread).
    void close();
    bool closed() const noexcept { return closed_.load(); }
    std::uint64_t frames_written() const noexcept { return written_.load(); }
    std::uint64_t frames_dropped() const noexcept { return dropped_.load(); }

private:
    void run();
    std::size_t flush_some();

    std::string path_;
    int rate_;
    RecorderLayout layout_;
    unsigned channels_;
    SpscRing<std::int16_t> ring_;
    std::optional<audio::WavWriter> file_;
    std::mutex close_mu_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> closed_{false};
    std::atomic<std::uint64_t> written_{0};
    std::atomic<std::uint64_t> dropped_{0};
    std::thread thread_;
};

}  // namespace siperb::media
