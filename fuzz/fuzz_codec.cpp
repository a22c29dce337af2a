// libFuzzer entry point for csrc/codec: arbitrary bytes as Opus packets (decode, PLC, FEC,
// packet_samples, batch decode), as PCM for the Opus encoder, G.711 and the resampler. Any
// exception that escapes (a siperb::Error where none is expected included) is a finding.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "codec/g711.hpp"
#include "codec/opus.hpp"
#include "codec/resampler.hpp"
#include "common/error.hpp"

namespace {

constexpr int kRates[] = {8000, 12000, 16000, 24000, 48000};

void fuzz_g711(std::span<const std::uint8_t> data) {
    std::vector<std::int16_t> pcm(data.size());
    std::vector<std::uint8_t> codes(data.size());
    siperb::g711::ulaw_decode(data.data(), pcm.data(), data.size());
    siperb::g711::ulaw_encode(pcm.data(), codes.data(), pcm.size());
    siperb::g711::alaw_decode(data.data(), pcm.data(), data.size());
    siperb::g711::alaw_encode(pcm.data(), codes.data(), pcm.size());
    std::vector<std::int16_t> samples(data.size() / 2);
    if (!samples.empty()) std::memcpy(samples.data(), data.data(), samples.size() * 2);
    codes.resize(samples.size());
    siperb::g711::ulaw_encode(samples.data(), codes.data(), samples.size());
    siperb::g711::alaw_encode(samples.data(), codes.data(), samples.size());
}

// Byte 0 picks rate and channels; then packets, each prefixed by a one-byte length. A zero
// length is a lost packet (PLC, or FEC from the next packet when the length byte is 0x00 and
// the selector's bit 3 is set).
void fuzz_opus(std::span<const std::uint8_t> data) {
    if (data.empty()) return;
    const int rate = kRates[(data[0] & 7) % 5];
    const int channels = (data[0] & 0x10) ? 2 : 1;
    const bool use_fec = (data[0] & 0x08) != 0;
    siperb::codec::OpusDecoder dec(rate, channels);
    std::vector<std::int16_t> out(static_cast<std::size_t>(dec.max_frame_samples() * channels));
    std::size_t pos = 1;
    int last = rate / 50;
    std::vector<std::span<const std::uint8_t>> sequence;
    while (pos < data.size()) {
        const std::size_t len = data[pos++];
        const auto packet = data.subspan(pos, std::min(len, data.size() - pos));
        pos += packet.size();
        sequence.push_back(packet);
        try {
            if (packet.empty()) {
                const std::size_t next_len = pos < data.size() ? data[pos] : 0;
                const auto next = data.subspan(std::min(pos + 1, data.size()),
                                               std::min(next_len, data.size() - std::min(pos + 1, data.size())));
                if (use_fec && !next.empty()) dec.decode_fec(next, last, out);
                else dec.decode_lost(last, out);
            } else {
                last = dec.packet_samples(packet);
                dec.decode(packet, out);
            }
        } catch (const siperb::Error&) {
        }
    }
    // The same packets as one sequence through the batch path.
    try {
        siperb::codec::OpusDecoder batch(rate, channels);
        const std::vector<int> samples = batch.sequence_samples(sequence);
        std::size_t total = 0;
        for (int n : samples) total += static_cast<std::size_t>(n) * static_cast<std::size_t>(channels);
        std::vector<std::int16_t> all(total);
        batch.decode_all(sequence, samples, all);
    } catch (const siperb::Error&) {
    }
}

// Arbitrary samples through the encoder (at most 4 frames: encoding is the slow part), with
// fuzzer-chosen rate, channels, frame duration and bitrate; the packets must decode.
void fuzz_opus_encoder(std::span<const std::uint8_t> data) {
    if (data.size() < 3) return;
    const int rate = kRates[(data[0] & 7) % 5];
    const int channels = (data[0] & 0x10) ? 2 : 1;
    const int units[] = {1, 2, 4, 8, 16, 24};  // 2.5 ms multiples
    const auto frame = static_cast<std::size_t>(rate / 400 * units[data[1] % 6]) * static_cast<std::size_t>(channels);
    siperb::codec::OpusEncoder enc(rate, channels, static_cast<siperb::codec::OpusApplication>(data[2] % 3));
    enc.set_bitrate(6000 + 2000 * (data[1] >> 3));
    std::vector<std::int16_t> pcm((data.size() - 3) / 2);
    if (!pcm.empty()) std::memcpy(pcm.data(), data.data() + 3, pcm.size() * 2);
    siperb::codec::OpusDecoder dec(rate, channels);
    std::vector<std::int16_t> out(static_cast<std::size_t>(dec.max_frame_samples() * channels));
    std::array<std::uint8_t, siperb::codec::kOpusMaxPacketBytes> packet;
    for (std::size_t off = 0, frames = 0; off + frame <= pcm.size() && frames < 4; off += frame, ++frames) {
        const std::size_t n = enc.encode(std::span<const std::int16_t>(pcm).subspan(off, frame), packet);
        dec.decode(std::span<const std::uint8_t>(packet).first(n), out);
    }
}

// Resampler over fuzzer-chosen rates and quality, fed the data as samples in uneven chunks.
void fuzz_resampler(std::span<const std::uint8_t> data) {
    if (data.size() < 4) return;
    const int rates[] = {8000, 16000, 32000, 44100, 48000, 11025, 22050, 96000};
    const int in_rate = rates[data[0] & 7];
    const int out_rate = rates[(data[0] >> 3) & 7];
    const int quality = data[1] % 11;
    const int channels = 1 + (data[2] & 1);
    std::vector<std::int16_t> samples((data.size() - 3) / 2 / static_cast<std::size_t>(channels) *
                                      static_cast<std::size_t>(channels));
    if (!samples.empty()) std::memcpy(samples.data(), data.data() + 3, samples.size() * 2);
    siperb::codec::Resampler r(in_rate, out_rate, channels, quality);
    const std::size_t chunk = (static_cast<std::size_t>(data[2] >> 1) + 1) * static_cast<std::size_t>(channels);
    for (std::size_t off = 0; off < samples.size(); off += chunk) {
        const auto in = std::span<const std::int16_t>(samples).subspan(off, std::min(chunk, samples.size() - off));
        std::vector<std::int16_t> out(r.max_output_frames(in.size() / static_cast<std::size_t>(channels)) *
                                      static_cast<std::size_t>(channels));
        r.process(in, out);  // must never report a too-small buffer sized by max_output_frames
    }
    std::vector<std::int16_t> once(
        siperb::codec::resampled_frames(samples.size() / static_cast<std::size_t>(channels), in_rate, out_rate) *
        static_cast<std::size_t>(channels));
    siperb::codec::resample(samples, in_rate, out_rate, channels, quality, once);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> bytes(data, size);
    fuzz_g711(bytes);
    fuzz_opus(bytes);
    fuzz_opus_encoder(bytes);
    fuzz_resampler(bytes);
    return 0;
}
