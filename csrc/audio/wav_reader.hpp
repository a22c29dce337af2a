// A strict RIFF/WAVE reader. Accepted: PCM 8 (unsigned) / 16 / 24 / 32 bit, IEEE float 32 / 64
// bit, G.711 A-law (tag 6) and µ-law (tag 7), each plain or as WAVE_FORMAT_EXTENSIBLE; mono or
// stereo; 1000..384000 Hz. Everything is decoded to int16 (wav_format.hpp).
//
// Rejected with WavError(field, reason), field naming the chunk or fmt field: no RIFF/WAVE
// magic, a RIFF size beyond the file, a chunk header or body cut short, a fmt chunk of a size
// that does not fit its format, duplicate fmt/data, data before fmt, data missing, zero or more
// than two channels, a rate out of range, an unsupported tag or bit depth, an inconsistent
// block align or byte rate, a data size that is not whole frames. Bytes after the RIFF chunk are
// ignored (appended tags; a recording whose writer died between header updates).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "audio/wav_format.hpp"
#include "audio/file_handle.hpp"

namespace siperb::audio {

struct WavInfo {
    WavFormat format;
    std::uint64_t data_offset = 0;  // of the first sample byte
    std::uint64_t data_bytes = 0;
    std::uint64_t frames() const noexcept {
        return data_bytes / static_cast<std::uint64_t>(format.block_align());
    }
};

// Random access to the bytes being parsed (a file or memory); read_at throws WavError on EOF.
class ByteSource {
public:
    virtual ~ByteSource() = default;
    virtual std::uint64_t size() const = 0;
    virtual void read_at(std::uint64_t offset, std::span<std::uint8_t> out, const char* field) const = 0;
};

class MemoryBytes final : public ByteSource {
public:
    explicit MemoryBytes(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
    std::uint64_t size() const override { return bytes_.size(); }
    void read_at(std::uint64_t offset, std::span<std::uint8_t> out, const char* field) const override;

private:
    std::span<const std::uint8_t> bytes_;
};

WavInfo parse_wav(const ByteSource& src);

// Decodes a whole in-memory WAV to interleaved int16 (what the fuzzer drives).
std::vector<std::int16_t> decode_wav(std::span<const std::uint8_t> bytes, WavInfo* info = nullptr);

// Streams the frames of a WAV file (pread, no shared file position).
class WavFileReader {
public:
    explicit WavFileReader(const std::string& path);
    const WavInfo& info() const noexcept { return info_; }
    // Decodes up to out.size() / channels frames (interleaved) from the current frame; returns
    // frames read (0 at the end). Throws WavError("data", ...) if the file shrank.
    std::size_t read_frames(std::span<std::int16_t> out);
    void rewind() noexcept { next_frame_ = 0; }
    std::uint64_t position() const noexcept { return next_frame_; }

private:
    class FileBytes final : public ByteSource {
    public:
        explicit FileBytes(const std::string& path);
        std::uint64_t size() const override { return size_; }
        void read_at(std::uint64_t offset, std::span<std::uint8_t> out, const char* field) const override;

    private:
        FileHandle fd_;
        std::uint64_t size_ = 0;
    };
    FileBytes file_;
    WavInfo info_;
    std::uint64_t next_frame_ = 0;
    std::vector<std::uint8_t> raw_;
};

// The whole file as interleaved int16.
std::vector<std::int16_t> read_wav_file(const std::string& path, WavInfo* info = nullptr);

}  // namespace siperb::audio
