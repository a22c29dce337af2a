// RAII wrappers over the system libopus encoder and decoder (RFC 6716). Every libopus error
// becomes CodecError(field, opus_strerror(code)); bad rates, channel counts and frame sizes are
// rejected before libopus sees them, naming the parameter. Each object serialises its calls
// with a mutex (uncontended: ~20 ns against ~20-200 us a frame), so Python threads that share
// one while the GIL is released cannot corrupt libopus's state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

struct OpusEncoder;
struct OpusDecoder;

namespace siperb::codec {

enum class OpusApplication { Voip, Audio, RestrictedLowDelay };

// Largest packet one encode call may produce (RFC 6716 §3.2.1: 1275 bytes a frame, up to 3
// frames in a 60 ms packet, plus framing), and the longest packet duration (120 ms).
inline constexpr std::size_t kOpusMaxPacketBytes = 4000;
inline constexpr int kOpusMaxPacketMs = 120;

// Throws CodecError("sample_rate") unless rate is one Opus supports (8/12/16/24/48 kHz).
void check_opus_sample_rate(int sample_rate);
// Throws CodecError("channels") unless channels is 1 or 2.
void check_opus_channels(int channels);

class OpusEncoder {
public:
    OpusEncoder(int sample_rate, int channels, OpusApplication application);

    int sample_rate() const noexcept { return sample_rate_; }
    int channels() const noexcept { return channels_; }

    // Encodes one frame of interleaved PCM (its length per channel a legal Opus frame duration:
    // 2.5/5/10/20/40/60 ms) into out; returns the packet length.
    std::size_t encode(std::span<const std::int16_t> pcm, std::span<std::uint8_t> out);
    // Encodes a whole signal frame after frame (the last partial frame zero-padded), appending
    // the packets to `packets`; returns where each packet ends in it.
    std::vector<std::size_t> encode_all(std::span<const std::int16_t> pcm, int frame_samples,
                                        std::vector<std::uint8_t>& packets);
    // Throws CodecError("frame_samples") unless n is a legal frame size at this rate.
    void check_frame_samples(int frame_samples) const;

    // OPUS_AUTO (-1000) as bitrate means "let libopus choose".
    void set_bitrate(int bits_per_second);
    int bitrate() const;
    void set_complexity(int complexity);
    int complexity() const;
    void set_fec(bool enabled);
    bool fec() const;
    void set_dtx(bool enabled);
    bool dtx() const;
    void set_packet_loss_percent(int percent);
    int packet_loss_percent() const;
    // The widest audio band the encoder may code, in Hz: 4000 (narrow), 6000 (medium), 8000
    // (wide), 12000 (super-wide) or 20000 (full band, no cap); throws CodecError("bandwidth").
    // A narrower band is cheaper to encode and to decode (OPUS_SET_MAX_BANDWIDTH).
    void set_max_bandwidth(int hz);
    int max_bandwidth() const;
    // Samples per channel of algorithmic delay that the encoder adds (pre-skip).
    int lookahead() const;

private:
    struct Deleter {
        void operator()(::OpusEncoder* e) const noexcept;
    };
    int get(int request, const char* field) const;
    void set(int request, int value, const char* field);
    mutable std::mutex mu_;
    std::unique_ptr<::OpusEncoder, Deleter> enc_;
    int sample_rate_;
    int channels_;
};

class OpusDecoder {
public:
    OpusDecoder(int sample_rate, int channels);

    int sample_rate() const noexcept { return sample_rate_; }
    int channels() const noexcept { return channels_; }
    // Samples per channel in the longest packet Opus allows (120 ms) at this rate.
    int max_frame_samples() const noexcept { return sample_rate_ / 1000 * kOpusMaxPacketMs; }
    // Samples per channel that packet decodes to (validates the TOC); throws CodecError("packet").
    int packet_samples(std::span<const std::uint8_t> packet) const;

    // Decodes a packet into out (room for max_frame_samples()*channels()); returns samples per
    // channel. An empty packet is an error: a lost packet goes to decode_lost (PLC).
    int decode(std::span<const std::uint8_t> packet, std::span<std::int16_t> out);
    // Samples per channel that each entry of a packet sequence decodes to; an empty entry is a
    // lost packet, concealed with the previous packet's duration (20 ms before the first).
    std::vector<int> sequence_samples(std::span<const std::span<const std::uint8_t>> packets) const;
    // Decodes such a sequence into out (room for the sum of sequence_samples * channels).
    void decode_all(std::span<const std::span<const std::uint8_t>> packets, std::span<const int> samples,
                    std::span<std::int16_t> out);
    // Throws CodecError("frame_samples") unless n is a multiple of 2.5 ms up to 120 ms.
    void check_frame_samples(int frame_samples) const;
    // Packet loss concealment for one lost frame of frame_samples per channel.
    int decode_lost(int frame_samples, std::span<std::int16_t> out);
    // Recovers the lost frame before next_packet from its in-band FEC (LBRR) data; without
    // FEC data in next_packet libopus falls back to PLC.
    int decode_fec(std::span<const std::uint8_t> next_packet, int frame_samples, std::span<std::int16_t> out);

private:
    struct Deleter {
        void operator()(::OpusDecoder* d) const noexcept;
    };
    int run(const std::uint8_t* data, std::size_t len, std::span<std::int16_t> out, int frame_samples, int fec);
    std::mutex mu_;
    std::unique_ptr<::OpusDecoder, Deleter> dec_;
    int sample_rate_;
    int channels_;
};

}  // namespace siperb::codec
