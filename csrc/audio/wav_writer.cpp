// Streaming WAV writer: header first, data appended, sizes patched periodically and on close.
#include "audio/wav_writer.hpp"

#include <fcntl.h>

#include <algorithm>
#include <cstring>

#include "common/error.hpp"

namespace siperb::audio {
namespace {

constexpr std::uint64_t kMaxDataBytes = 0xFFFFFFFFull - 64;  // RIFF sizes are 32-bit

void put16(std::vector<std::uint8_t>& b, std::uint32_t v) {
    b.push_back(static_cast<std::uint8_t>(v & 0xFF));
    b.push_back(static_cast<std::uint8_t>((v >> 8) & 0xFF));
}
void put32(std::vector<std::uint8_t>& b, std::uint64_t v) {
    put16(b, static_cast<std::uint32_t>(v & 0xFFFF));
    put16(b, static_cast<std::uint32_t>((v >> 16) & 0xFFFF));
}
void put_id(std::vector<std::uint8_t>& b, const char* id) { b.insert(b.end(), id, id + 4); }

}  // namespace

WavWriter::WavWriter(const std::string& path, WavFormat format, std::uint64_t header_interval_frames)
    : format_(format),
      header_interval_(header_interval_frames ? header_interval_frames : static_cast<std::uint64_t>(format.sample_rate)) {
    if (format.channels < 1 || format.channels > 2)
        throw WavError("channels", std::to_string(format.channels) + " is not 1 or 2");
    if (format.sample_rate < 1000 || format.sample_rate > 384000)
        throw WavError("sample_rate", std::to_string(format.sample_rate) + " Hz is outside 1000..384000");
    file_ = FileHandle(path, O_WRONLY | O_CREAT | O_TRUNC);
    const auto h = header(0, true);
    data_offset_ = h.size();
    file_.pwrite_all(0, h);
}

WavWriter::~WavWriter() {
    try {
        close();
    } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw; close() reports
    }
}

std::vector<std::uint8_t> WavWriter::header(std::uint64_t frames, bool padded) const {
    const bool pcm = format_.format_tag() == kWavTagPcm;
    const auto align = static_cast<std::uint64_t>(format_.block_align());
    const std::uint64_t data = frames * align;
    const std::uint64_t fmt_size = pcm ? 16 : 18;
    const std::uint64_t fact = pcm ? 0 : 12;
    std::vector<std::uint8_t> b;
    b.reserve(64);
    put_id(b, "RIFF");
    put32(b, 4 + (8 + fmt_size) + fact + 8 + data + (padded ? (data & 1) : 0));
    put_id(b, "WAVE");
    put_id(b, "fmt ");
    put32(b, fmt_size);
    put16(b, format_.format_tag());
    put16(b, static_cast<std::uint32_t>(format_.channels));
    put32(b, static_cast<std::uint64_t>(format_.sample_rate));
    put32(b, static_cast<std::uint64_t>(format_.sample_rate) * align);
    put16(b, static_cast<std::uint32_t>(align));
    put16(b, static_cast<std::uint32_t>(format_.bits_per_sample()));
    if (!pcm) {
        put16(b, 0);  // cbSize
        put_id(b, "fact");
        put32(b, 4);
        put32(b, frames);
    }
    put_id(b, "data");
    put32(b, data);
    return b;
}

void WavWriter::write(std::span<const std::int16_t> in) {
    if (!file_.is_open()) throw WavError("path", "the WAV writer is closed");
    const auto ch = static_cast<std::size_t>(format_.channels);
    if (in.size() % ch != 0) throw WavError("pcm", "length is not a whole number of frames");
    const std::uint64_t frames = in.size() / ch;
    const auto align = static_cast<std::uint64_t>(format_.block_align());
    if ((frames_ + frames) * align > kMaxDataBytes) throw WavError("data", "a WAV file cannot hold more than 4 GiB");
    buf_.resize(in.size() * static_cast<std::size_t>(format_.bytes_per_sample()));
    encode_samples(format_.encoding, in, buf_);
    file_.pwrite_all(data_offset_ + frames_ * align, buf_);
    frames_ += frames;
    if (frames_ - frames_at_patch_ >= header_interval_) patch_header();
}

void WavWriter::patch_header() {
    if (!file_.is_open()) return;
    // Without the pad byte of an odd data chunk: it is not in the file until close().
    file_.pwrite_all(0, header(frames_, false));
    frames_at_patch_ = frames_;
}

void WavWriter::close() {
    if (!file_.is_open()) return;
    const std::uint64_t data = frames_ * static_cast<std::uint64_t>(format_.block_align());
    if (data & 1) {
        const std::uint8_t pad = 0;
        file_.pwrite_all(data_offset_ + data, std::span(&pad, 1));
    }
    file_.pwrite_all(0, header(frames_, true));
    file_.close();
}

void write_wav_file(const std::string& path, WavFormat format, std::span<const std::int16_t> pcm) {
    WavWriter w(path, format, ~0ull);
    const auto ch = static_cast<std::size_t>(format.channels);
    if (pcm.size() % ch != 0) throw WavError("pcm", "length is not a whole number of frames");
    constexpr std::size_t kBlock = 1 << 16;
    for (std::size_t i = 0; i < pcm.size(); i += kBlock * ch) w.write(pcm.subspan(i, std::min(kBlock * ch, pcm.size() - i)));
    w.close();
}

}  // namespace siperb::audio
