// A streaming WAV writer (plain format tags; non-PCM encodings get the fact chunk).
//
// Crash safety: the header is written first with sizes for zero frames and patched every
// header_interval_frames (default 1 s of audio) and on close, so a file whose writer process
// died is a valid WAV holding everything up to the last patch (at most ~1 s lost); the frames
// after it remain in the file past the RIFF chunk, where readers ignore them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "audio/file_handle.hpp"
#include "audio/wav_format.hpp"

namespace siperb::audio {

class WavWriter {
public:
    // Throws WavError naming channels (1..2), sample_rate (1000..384000) or path.
    WavWriter(const std::string& path, WavFormat format, std::uint64_t header_interval_frames = 0);
    WavWriter(const WavWriter&) = delete;
    WavWriter& operator=(const WavWriter&) = delete;
    ~WavWriter();  // closes (patching the header), swallowing errors: call close() to see them

    const WavFormat& format() const noexcept { return format_; }
    std::uint64_t frames() const noexcept { return frames_; }
    bool is_open() const noexcept { return file_.is_open(); }

    // Appends interleaved frames (in.size() must be a multiple of channels).
    void write(std::span<const std::int16_t> in);
    // Rewrites the RIFF/fact/data sizes for the frames written so far.
    void patch_header();
    void close();

private:
    std::vector<std::uint8_t> header(std::uint64_t frames, bool padded) const;

    FileHandle file_;
    WavFormat format_;
    std::uint64_t header_interval_;
    std::uint64_t frames_ = 0;
    std::uint64_t frames_at_patch_ = 0;
    std::uint64_t data_offset_ = 0;
    std::vector<std::uint8_t> buf_;
};

// Writes a whole interleaved signal.
void write_wav_file(const std::string& path, WavFormat format, std::span<const std::int16_t> pcm);

}  // namespace siperb::audio
