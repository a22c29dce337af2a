// Records engine audio to a WAV file without file I/O on the engine thread: each input is an
// AudioSink whose write() only copies into its own ring; a writer thread drains the rings
// every 20 ms into a WavWriter (crash-safe header, see wav_writer.hpp).
//
// Layouts: Mono (one input, WavFileSink), Stereo (two inputs: input 0 left, input 1 right:
// a CallRecorder's local and remote sides) and Mix (two inputs summed with saturation into
// mono). Two inputs are aligned by arrival: frames are taken in pairs; when one side stops
// writing (hold, no RTP) and the other runs more than kMaxLagMs ahead, the silent side is
// padded with zeros (counted). Recording can start and stop at any time; sinks written while
// stopped discard silently. A ring that fills (writer thread starved for 2 s) drops and counts;
// so do the sinks after the writer failed (disk full), until stop().
// The media engine records a call through one of these (MediaSession::start_recording): its
// stream writes the sent side to input 0 and the received side to input 1, equal frame counts
// each packet time, so the two rings fill and drop alike and the pairs stay aligned.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "audio/audio_port.hpp"
#include "audio/ring.hpp"
#include "audio/wav_writer.hpp"

namespace siperb::audio {

enum class RecordLayout { Mono, Stereo, Mix };

struct RecorderStats {
    std::uint64_t frames_written = 0;   // WAV frames on disk (this and earlier recordings)
    std::uint64_t dropped_samples = 0;  // lost (ring full, writer failed), all inputs
    std::uint64_t dropped_frames = 0;   // the most any one input lost: WAV frames missing
    std::uint64_t padded_samples = 0;   // silence inserted for a lagging input
    bool recording = false;
    std::string error;                  // the writer thread's failure (disk full...), if any
};

class Recorder {
public:
    static constexpr int kMaxLagMs = 200;
    static constexpr int kRingSeconds = 2;

    // Throws MediaError naming sample_rate. Nothing is opened until start().
    Recorder(std::string path, int sample_rate, RecordLayout layout);
    Recorder(const Recorder&) = delete;
    Recorder& operator=(const Recorder&) = delete;
    ~Recorder();  // stops

    // The engine-side endpoint of input i (0, or 0 and 1); valid for the engine after the
    // recorder is gone (it then discards).
    std::shared_ptr<AudioSink> input(std::size_t i) const;
    std::size_t inputs() const noexcept { return layout_ == RecordLayout::Mono ? 1 : 2; }
    RecordLayout layout() const noexcept { return layout_; }
    int sample_rate() const noexcept;
    const std::string& path() const noexcept { return path_; }

    // Opens (truncates) path (or the constructor's) and starts recording; throws WavError
    // for a bad path and MediaError if already recording.
    void start(const std::string& path = {});
    // Drains what the inputs hold, pads the shorter side, patches the header, closes. Throws
    // the writer's error, if any.
    void stop();
    // Between start() and stop() (also after a writer failure, which stop() then reports).
    bool started() const noexcept { return thread_.joinable(); }
    RecorderStats stats() const;
    // stats().dropped_frames without the lock: for the engine thread.
    std::uint64_t dropped_frames() const noexcept;

    struct Shared;  // rings and the recording flag, shared with the input sinks

private:
    void writer_loop() noexcept;
    void drain(bool final);

    std::string path_;
    RecordLayout layout_;
    std::shared_ptr<Shared> shared_;
    std::array<std::shared_ptr<AudioSink>, 2> sinks_;
    std::unique_ptr<WavWriter> writer_;
    std::thread thread_;
    mutable std::mutex mu_;  // error_, stop_ with cv_
    std::condition_variable cv_;
    bool stop_ = false;
    std::string error_;
    std::atomic<std::uint64_t> frames_written_{0};
    std::atomic<std::uint64_t> padded_{0};
    std::vector<std::int16_t> a_, b_, out_;
    std::array<std::size_t, 2> unwritten_{};  // samples per input taken by the write under way
};

}  // namespace siperb::audio

namespace siperb::audio {

// Records one engine stream to a mono 16-bit WAV from construction until close().
class WavFileSink final : public AudioSink {
public:
    WavFileSink(const std::string& path, int sample_rate)
        : rec_(path, sample_rate, RecordLayout::Mono), in_(rec_.input(0)) {
        rec_.start();
    }
    int sample_rate() const noexcept override { return rec_.sample_rate(); }
    void write(std::span<const std::int16_t> in) noexcept override { in_->write(in); }
    void close() { rec_.stop(); }
    RecorderStats stats() const { return rec_.stats(); }
    const std::string& path() const noexcept { return rec_.path(); }

private:
    Recorder rec_;
    std::shared_ptr<AudioSink> in_;
};

}  // namespace siperb::audio
