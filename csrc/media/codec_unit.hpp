// The session's view of a codec: one encoder and one decoder behind a common interface, chosen
// by name (PCMU, PCMA, opus). The G.711 decoder conceals with the G.711 Appendix I PLC; the
// Opus decoder with Opus PLC or, when the next packet is at hand, its in-band FEC.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace siperb::media {

enum class CodecKind { Pcmu, Pcma, Opus };

// Throws MediaError("codec", ...) for a name the engine cannot run.
CodecKind codec_kind_from(std::string_view name);
const char* to_string(CodecKind kind) noexcept;

struct EncoderSettings {
    CodecKind kind = CodecKind::Pcmu;
    int sample_rate = 8000;  // PCM rate the encoder takes
    int complexity = 5;      // opus
    int bitrate = 0;         // opus, 0: libopus default
    bool fec = false;
    bool dtx = false;
};

class AudioEncoder {
public:
    virtual ~AudioEncoder() = default;
    virtual int sample_rate() const noexcept = 0;
    // Encodes one packet time of PCM; returns the payload length (0: nothing to send, DTX).
    virtual std::size_t encode(std::span<const std::int16_t> pcm, std::span<std::uint8_t> out) = 0;
    // Opus complexity 0-10 (the engine's CPU governor moves it); -1 and a no-op for G.711.
    virtual int complexity() const noexcept { return -1; }
    // The governor's level (cpu_governor.hpp): 0-10 the complexity at the codec's full band;
    // below 0 complexity 0 with the band capped: -1 wide (8 kHz), -2 medium (6 kHz), -3 narrow
    // (4 kHz). complexity() stays the complexity (0 at every capped level).
    virtual void set_complexity(int) noexcept {}
};

class AudioDecoder {
public:
    virtual ~AudioDecoder() = default;
    virtual int sample_rate() const noexcept = 0;
    // Samples the payload decodes to (0 when it is invalid).
    virtual int samples_in(std::span<const std::uint8_t> payload) const noexcept = 0;
    // Decodes into out (room for max_samples()); returns samples written (0: undecodable).
    virtual std::size_t decode(std::span<const std::uint8_t> payload, std::span<std::int16_t> out) noexcept = 0;
    // n samples of concealment for a lost packet (next: the following packet, may be empty).
    virtual std::size_t conceal(std::size_t n, std::span<const std::uint8_t> next, std::span<std::int16_t> out) noexcept = 0;
    // n samples of silence that keep the concealment history continuous.
    virtual std::size_t silence(std::size_t n, std::span<std::int16_t> out) noexcept = 0;
    virtual std::size_t max_samples() const noexcept = 0;
};

std::unique_ptr<AudioEncoder> make_encoder(const EncoderSettings& s);
// rate: the PCM rate to decode to (8000 for G.711; 8/12/16/24/48 kHz for Opus).
std::unique_ptr<AudioDecoder> make_decoder(CodecKind kind, int sample_rate);
// The widest audio band an Opus encoder at a governor level sends (Hz): 20000 (full) at 0-10,
// 8000 (wide) at -1, 6000 (medium) at -2, 4000 (narrow) at -3.
int opus_band_hz(int level) noexcept;
// The Opus decoder's PCM rate for a session: `pinned` when set (SessionConfig::opus_decode_rate),
// else the lowest Opus rate at least the rate its audio is played or recorded at (0: none):
// decoding a 48 kHz stream for a 16 kHz sink costs a 48 kHz decode and a resampler, and gives
// the ear nothing more; with neither (a level meter only) 8 kHz.
int opus_decode_rate_for(int pinned, int sink_rate, int recorder_rate) noexcept;
// The RTP clock rate of the codec (8000 for G.711, 48000 for Opus).
std::uint32_t rtp_clock_rate(CodecKind kind) noexcept;

}  // namespace siperb::media
