// RIFF/WAVE parsing: walk the chunks inside the RIFF size, validate fmt, locate data.
#include "audio/wav_reader.hpp"

#include <fcntl.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <string_view>

#include "common/error.hpp"

namespace siperb::audio {
namespace {

constexpr int kMinRate = 1000;
constexpr int kMaxRate = 384000;
constexpr std::uint32_t kMaxFmtBytes = 1024;  // real fmt chunks are 16, 18 or 40 bytes

// The GUID tail shared by every KSDATAFORMAT_SUBTYPE_* derived from a format tag.
constexpr std::array<std::uint8_t, 14> kSubtypeTail{0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
                                                    0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};

std::uint16_t u16(const std::uint8_t* p) noexcept { return static_cast<std::uint16_t>(p[0] | (p[1] << 8)); }
std::uint32_t u32(const std::uint8_t* p) noexcept {
    return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
           static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

// A printable chunk id for messages ("LIST", "fmt ", or hex for binary junk).
std::string chunk_name(const std::uint8_t* id) {
    std::string s;
    for (int i = 0; i < 4; ++i) {
        const auto c = static_cast<char>(id[i]);
        if (c < 0x20 || c > 0x7E) {
            static constexpr char kHex[] = "0123456789abcdef";
            std::string hex = "0x";
            for (int j = 0; j < 4; ++j) {
                hex += kHex[id[j] >> 4];
                hex += kHex[id[j] & 15];
            }
            return hex;
        }
        s += c;
    }
    return s;
}

std::string tag_name(std::uint16_t tag) {
    switch (tag) {
        case 2: return "2 (MS ADPCM)";
        case 0x11: return "0x11 (IMA ADPCM)";
        case 0x31: return "0x31 (GSM 6.10)";
        case 0x50: return "0x50 (MPEG)";
        case 0x55: return "0x55 (MP3)";
        default: return std::to_string(tag);
    }
}

WavEncoding encoding_for(std::uint16_t tag, int bits, const char* field) {
    const auto bad_bits = [&](const char* allowed) {
        return WavError("bits_per_sample",
                        std::to_string(bits) + " bits is not supported for format tag " + std::to_string(tag) +
                            " (" + allowed + ")");
    };
    switch (tag) {
        case kWavTagPcm:
            switch (bits) {
                case 8: return WavEncoding::Pcm8;
                case 16: return WavEncoding::Pcm16;
                case 24: return WavEncoding::Pcm24;
                case 32: return WavEncoding::Pcm32;
                default: throw bad_bits("8, 16, 24 or 32");
            }
        case kWavTagFloat:
            if (bits == 32) return WavEncoding::Float32;
            if (bits == 64) return WavEncoding::Float64;
            throw bad_bits("32 or 64");
        case kWavTagUlaw:
        case kWavTagAlaw:
            if (bits != 8) throw bad_bits("8");
            return tag == kWavTagUlaw ? WavEncoding::Ulaw : WavEncoding::Alaw;
        default:
            throw WavError(field, "unsupported format tag " + tag_name(tag) +
                                      " (PCM 1, IEEE float 3, A-law 6, mu-law 7, extensible 0xFFFE)");
    }
}

WavFormat parse_fmt(std::span<const std::uint8_t> b) {
    if (b.size() < 16) throw WavError("fmt", "chunk size " + std::to_string(b.size()) + " is below 16");
    std::uint16_t tag = u16(&b[0]);
    const int channels = u16(&b[2]);
    const std::uint32_t rate = u32(&b[4]);
    const std::uint32_t byte_rate = u32(&b[8]);
    const int block_align = u16(&b[12]);
    const int bits = u16(&b[14]);

    const bool extensible = tag == kWavTagExtensible;
    if (b.size() > 16) {
        if (b.size() < 18) throw WavError("fmt", "chunk size " + std::to_string(b.size()) + " (16, or 18 and more)");
        const std::size_t cb = u16(&b[16]);
        if (18 + cb > b.size())
            throw WavError("fmt.cbSize", std::to_string(cb) + " extra bytes do not fit a fmt chunk of " +
                                             std::to_string(b.size()));
        if (extensible && cb < 22) throw WavError("fmt.cbSize", std::to_string(cb) + " is below 22 for WAVE_FORMAT_EXTENSIBLE");
    } else if (extensible) {
        throw WavError("fmt", "chunk size 16 is too small for WAVE_FORMAT_EXTENSIBLE (40)");
    }
    if (extensible) {
        const int valid_bits = u16(&b[18]);
        if (valid_bits == 0 || valid_bits > bits)
            throw WavError("fmt.wValidBitsPerSample", std::to_string(valid_bits) + " is not in 1.." + std::to_string(bits));
        if (!std::equal(kSubtypeTail.begin(), kSubtypeTail.end(), b.begin() + 26))
            throw WavError("fmt.SubFormat", "not a KSDATAFORMAT_SUBTYPE GUID derived from a format tag");
        tag = u16(&b[24]);
        if (tag == kWavTagExtensible) throw WavError("fmt.SubFormat", "nested WAVE_FORMAT_EXTENSIBLE");
    }
    if (channels == 0) throw WavError("fmt.nChannels", "zero channels");
    if (channels > 2) throw WavError("fmt.nChannels", std::to_string(channels) + " channels (mono or stereo only)");
    if (rate < kMinRate || rate > kMaxRate)
        throw WavError("fmt.nSamplesPerSec", std::to_string(rate) + " Hz is outside 1000..384000");
    WavFormat f;
    f.encoding = encoding_for(tag, bits, extensible ? "fmt.SubFormat" : "fmt.wFormatTag");
    f.channels = channels;
    f.sample_rate = static_cast<int>(rate);
    if (block_align != f.block_align())
        throw WavError("fmt.nBlockAlign", std::to_string(block_align) + " is not channels * bytes per sample = " +
                                              std::to_string(f.block_align()));
    if (byte_rate != rate * static_cast<std::uint32_t>(block_align))
        throw WavError("fmt.nAvgBytesPerSec", std::to_string(byte_rate) + " is not rate * block align = " +
                                                  std::to_string(rate * static_cast<std::uint32_t>(block_align)));
    return f;
}

}  // namespace

void MemoryBytes::read_at(std::uint64_t offset, std::span<std::uint8_t> out, const char* field) const {
    if (offset > bytes_.size() || out.size() > bytes_.size() - offset)
        throw WavError(field, "truncated: file ends at byte " + std::to_string(bytes_.size()));
    if (!out.empty()) std::memcpy(out.data(), bytes_.data() + offset, out.size());
}

WavInfo parse_wav(const ByteSource& src) {
    const std::uint64_t file_size = src.size();
    std::array<std::uint8_t, 12> head{};
    if (file_size < 12) throw WavError("RIFF", "file of " + std::to_string(file_size) + " bytes is shorter than a RIFF header");
    src.read_at(0, head, "RIFF");
    if (std::memcmp(head.data(), "RIFF", 4) != 0) {
        if (std::memcmp(head.data(), "RIFX", 4) == 0 || std::memcmp(head.data(), "RF64", 4) == 0)
            throw WavError("RIFF", chunk_name(head.data()) + " files are not supported");
        throw WavError("RIFF", "not a RIFF file (no 'RIFF' magic)");
    }
    if (std::memcmp(head.data() + 8, "WAVE", 4) != 0) throw WavError("WAVE", "RIFF form type is not 'WAVE'");
    const std::uint64_t riff_size = u32(head.data() + 4);
    if (riff_size < 4) throw WavError("RIFF.size", std::to_string(riff_size) + " is below 4");
    const std::uint64_t riff_end = 8 + riff_size;
    if (riff_end > file_size)
        throw WavError("RIFF.size", std::to_string(riff_size) + " bytes go beyond the end of the file (" +
                                        std::to_string(file_size) + " bytes)");

    std::optional<WavFormat> fmt;
    WavInfo info;
    bool have_data = false;
    std::uint64_t pos = 12;
    while (pos < riff_end && !have_data) {
        std::array<std::uint8_t, 8> ch{};
        if (riff_end - pos < 8)
            throw WavError("chunk", "truncated chunk header at byte " + std::to_string(pos) + " (" +
                                        std::to_string(riff_end - pos) + " bytes left in RIFF)");
        src.read_at(pos, ch, "chunk");
        const std::string name = chunk_name(ch.data());
        const std::uint64_t size = u32(ch.data() + 4);
        const std::uint64_t body = pos + 8;
        if (size > riff_end - body)
            throw WavError(name == "data" ? "data" : name, "chunk size " + std::to_string(size) +
                                                            " goes beyond the end of the RIFF chunk at byte " +
                                                            std::to_string(riff_end));
        if (name == "fmt ") {
            if (fmt) throw WavError("fmt", "duplicate fmt chunk");
            if (size > kMaxFmtBytes) throw WavError("fmt", "chunk size " + std::to_string(size) + " is implausible");
            std::vector<std::uint8_t> b(static_cast<std::size_t>(size));
            src.read_at(body, b, "fmt");
            fmt = parse_fmt(b);
        } else if (name == "data") {
            if (!fmt) throw WavError("data", "data chunk before the fmt chunk");
            info.format = *fmt;
            info.data_offset = body;
            info.data_bytes = size;
            if (size % static_cast<std::uint64_t>(fmt->block_align()) != 0)
                throw WavError("data", "size " + std::to_string(size) + " is not a whole number of frames (block align " +
                                           std::to_string(fmt->block_align()) + ")");
            have_data = true;
        }
        pos = body + size + (size & 1);  // chunks are word aligned; a final missing pad is tolerated
    }
    if (!have_data) throw WavError("data", fmt ? "no data chunk" : "no fmt and no data chunk");
    return info;
}

std::vector<std::int16_t> decode_wav(std::span<const std::uint8_t> bytes, WavInfo* info_out) {
    const MemoryBytes src(bytes);
    const WavInfo info = parse_wav(src);
    const auto width = static_cast<std::size_t>(info.format.bytes_per_sample());
    std::vector<std::int16_t> out(static_cast<std::size_t>(info.data_bytes) / width);
    decode_samples(info.format.encoding, bytes.subspan(static_cast<std::size_t>(info.data_offset),
                                                       static_cast<std::size_t>(info.data_bytes)),
                   out);
    if (info_out) *info_out = info;
    return out;
}

WavFileReader::FileBytes::FileBytes(const std::string& path) : fd_(path, O_RDONLY), size_(fd_.size()) {}

void WavFileReader::FileBytes::read_at(std::uint64_t offset, std::span<std::uint8_t> out, const char* field) const {
    if (fd_.pread_some(offset, out) != out.size())
        throw WavError(field, "truncated: " + fd_.path() + " ends before byte " + std::to_string(offset + out.size()));
}

WavFileReader::WavFileReader(const std::string& path) : file_(path), info_(parse_wav(file_)) {}

std::size_t WavFileReader::read_frames(std::span<std::int16_t> out) {
    const auto ch = static_cast<std::size_t>(info_.format.channels);
    const auto align = static_cast<std::uint64_t>(info_.format.block_align());
    const std::uint64_t left = info_.frames() - std::min(next_frame_, info_.frames());
    const auto frames = static_cast<std::size_t>(std::min<std::uint64_t>(left, out.size() / ch));
    if (frames == 0) return 0;
    const std::uint64_t offset = info_.data_offset + next_frame_ * align;
    if (info_.format.encoding == WavEncoding::Pcm16) {  // little-endian host: the bytes are the samples
        file_.read_at(offset, std::span(reinterpret_cast<std::uint8_t*>(out.data()), frames * ch * 2), "data");
    } else {
        raw_.resize(frames * static_cast<std::size_t>(align));
        file_.read_at(offset, raw_, "data");
        decode_samples(info_.format.encoding, raw_, out.first(frames * ch));
    }
    next_frame_ += frames;
    return frames;
}

std::vector<std::int16_t> read_wav_file(const std::string& path, WavInfo* info) {
    WavFileReader r(path);
    const auto ch = static_cast<std::size_t>(r.info().format.channels);
    std::vector<std::int16_t> out(static_cast<std::size_t>(r.info().frames()) * ch);
    std::size_t done = 0;
    while (done < out.size()) {
        const std::size_t n = r.read_frames(std::span(out).subspan(done, std::min<std::size_t>(out.size() - done, 1 << 16)));
        if (n == 0) break;
        done += n * ch;
    }
    if (info) *info = r.info();
    return out;
}

}  // namespace siperb::audio
