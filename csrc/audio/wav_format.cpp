// WAV sample conversions; G.711 through the codec's tables.
#include "audio/wav_format.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <string>

#include "codec/g711.hpp"
#include "common/error.hpp"

namespace siperb::audio {
namespace {

struct EncodingName {
    WavEncoding encoding;
    std::string_view name;
};
constexpr std::array kNames{
    EncodingName{WavEncoding::Pcm8, "pcm8"},       EncodingName{WavEncoding::Pcm16, "pcm16"},
    EncodingName{WavEncoding::Pcm24, "pcm24"},     EncodingName{WavEncoding::Pcm32, "pcm32"},
    EncodingName{WavEncoding::Float32, "float32"}, EncodingName{WavEncoding::Float64, "float64"},
    EncodingName{WavEncoding::Ulaw, "ulaw"},       EncodingName{WavEncoding::Alaw, "alaw"},
};

std::int16_t from_float(double x) noexcept {
    if (std::isnan(x)) return 0;
    const double v = std::nearbyint(x * 32768.0);
    return static_cast<std::int16_t>(std::clamp(v, -32768.0, 32767.0));
}

template <typename T>
T load_le(const std::uint8_t* p) noexcept {
    T v;
    std::memcpy(&v, p, sizeof v);
    static_assert(std::endian::native == std::endian::little, "WAV conversions assume a little-endian host");
    return v;
}

template <typename T>
void store_le(std::uint8_t* p, T v) noexcept {
    std::memcpy(p, &v, sizeof v);
}

}  // namespace

int WavFormat::bytes_per_sample() const noexcept {
    switch (encoding) {
        case WavEncoding::Pcm8:
        case WavEncoding::Ulaw:
        case WavEncoding::Alaw: return 1;
        case WavEncoding::Pcm16: return 2;
        case WavEncoding::Pcm24: return 3;
        case WavEncoding::Pcm32:
        case WavEncoding::Float32: return 4;
        case WavEncoding::Float64: return 8;
    }
    return 2;
}

std::uint16_t WavFormat::format_tag() const noexcept {
    switch (encoding) {
        case WavEncoding::Float32:
        case WavEncoding::Float64: return kWavTagFloat;
        case WavEncoding::Ulaw: return kWavTagUlaw;
        case WavEncoding::Alaw: return kWavTagAlaw;
        default: return kWavTagPcm;
    }
}

std::string_view encoding_name(WavEncoding e) noexcept {
    for (const auto& n : kNames)
        if (n.encoding == e) return n.name;
    return "pcm16";
}

WavEncoding encoding_from_name(std::string_view name) {
    for (const auto& n : kNames)
        if (n.name == name) return n.encoding;
    throw WavError("format", "'" + std::string(name) + "' is not one of pcm8, pcm16, pcm24, pcm32, float32, float64, ulaw, alaw");
}

std::size_t decode_samples(WavEncoding e, std::span<const std::uint8_t> bytes, std::span<std::int16_t> out) noexcept {
    const WavFormat f{e, 1, 8000};
    const auto width = static_cast<std::size_t>(f.bytes_per_sample());
    const std::size_t n = std::min(bytes.size() / width, out.size());
    if (n == 0) return 0;  // empty spans may hold null pointers (memcpy's arguments must not)
    const std::uint8_t* p = bytes.data();
    switch (e) {
        case WavEncoding::Pcm8:
            for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::int16_t>((p[i] - 128) * 256);
            break;
        case WavEncoding::Pcm16: std::memcpy(out.data(), p, n * 2); break;
        case WavEncoding::Pcm24:
            for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::int16_t>(p[3 * i + 1] | (p[3 * i + 2] << 8));
            break;
        case WavEncoding::Pcm32:
            for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::int16_t>(load_le<std::int32_t>(p + 4 * i) >> 16);
            break;
        case WavEncoding::Float32:
            for (std::size_t i = 0; i < n; ++i) out[i] = from_float(load_le<float>(p + 4 * i));
            break;
        case WavEncoding::Float64:
            for (std::size_t i = 0; i < n; ++i) out[i] = from_float(load_le<double>(p + 8 * i));
            break;
        case WavEncoding::Ulaw: g711::ulaw_decode(p, out.data(), n); break;
        case WavEncoding::Alaw: g711::alaw_decode(p, out.data(), n); break;
    }
    return n;
}

std::size_t encode_samples(WavEncoding e, std::span<const std::int16_t> in, std::span<std::uint8_t> out) noexcept {
    const WavFormat f{e, 1, 8000};
    const auto width = static_cast<std::size_t>(f.bytes_per_sample());
    const std::size_t n = std::min(in.size(), out.size() / width);
    if (n == 0) return 0;
    std::uint8_t* p = out.data();
    switch (e) {
        case WavEncoding::Pcm8:
            for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::uint8_t>((in[i] >> 8) + 128);
            break;
        case WavEncoding::Pcm16: std::memcpy(p, in.data(), n * 2); break;
        case WavEncoding::Pcm24:
            for (std::size_t i = 0; i < n; ++i) {
                const auto v = static_cast<std::uint16_t>(in[i]);
                p[3 * i] = 0;
                p[3 * i + 1] = static_cast<std::uint8_t>(v & 0xFF);
                p[3 * i + 2] = static_cast<std::uint8_t>(v >> 8);
            }
            break;
        case WavEncoding::Pcm32:
            for (std::size_t i = 0; i < n; ++i) store_le<std::int32_t>(p + 4 * i, static_cast<std::int32_t>(in[i]) * 65536);
            break;
        case WavEncoding::Float32:
            for (std::size_t i = 0; i < n; ++i) store_le<float>(p + 4 * i, static_cast<float>(in[i]) / 32768.0f);
            break;
        case WavEncoding::Float64:
            for (std::size_t i = 0; i < n; ++i) store_le<double>(p + 8 * i, static_cast<double>(in[i]) / 32768.0);
            break;
        case WavEncoding::Ulaw: g711::ulaw_encode(in.data(), p, n); break;
        case WavEncoding::Alaw: g711::alaw_encode(in.data(), p, n); break;
    }
    return n * width;
}

}  // namespace siperb::audio
