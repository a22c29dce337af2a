// WAV sample encodings and their conversion to and from int16 (the engine's only format).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace siperb::audio {

enum class WavEncoding {
    Pcm8,     // unsigned, offset 128
    Pcm16,    // signed little-endian
    Pcm24,
    Pcm32,
    Float32,  // IEEE float, full scale +-1.0
    Float64,
    Ulaw,     // G.711, format tag 7
    Alaw,     // G.711, format tag 6
};

// Format tags (RFC 2361 / mmreg.h) that the reader accepts.
inline constexpr std::uint16_t kWavTagPcm = 1;
inline constexpr std::uint16_t kWavTagFloat = 3;
inline constexpr std::uint16_t kWavTagAlaw = 6;
inline constexpr std::uint16_t kWavTagUlaw = 7;
inline constexpr std::uint16_t kWavTagExtensible = 0xFFFE;

struct WavFormat {
    WavEncoding encoding = WavEncoding::Pcm16;
    int channels = 1;
    int sample_rate = 8000;

    int bytes_per_sample() const noexcept;
    int block_align() const noexcept { return bytes_per_sample() * channels; }
    std::uint16_t format_tag() const noexcept;  // the plain (non-extensible) tag
    int bits_per_sample() const noexcept { return bytes_per_sample() * 8; }
};

// Names used by the Python API ("pcm8", "pcm16", ..., "ulaw", "alaw").
std::string_view encoding_name(WavEncoding e) noexcept;
// Throws WavError("format", ...) for an unknown name.
WavEncoding encoding_from_name(std::string_view name);

// Decodes whole samples of `bytes` (bytes.size() / bytes_per_sample of them) into out
// (room for that many); returns samples written. 24/32-bit PCM keep the top 16 bits (floor);
// floats are scaled by 32768, rounded and clipped (NaN -> 0).
std::size_t decode_samples(WavEncoding e, std::span<const std::uint8_t> bytes, std::span<std::int16_t> out) noexcept;
// Encodes int16 samples into out (room for in.size() * bytes_per_sample); returns bytes written.
std::size_t encode_samples(WavEncoding e, std::span<const std::int16_t> in, std::span<std::uint8_t> out) noexcept;

}  // namespace siperb::audio
