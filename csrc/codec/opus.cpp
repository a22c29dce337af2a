// libopus behind RAII; each error code is turned into CodecError with opus_strerror's text.
#include "codec/opus.hpp"

#include <opus/opus.h>

#include <algorithm>
#include <array>
#include <limits>
#include <string>
#include <utility>

#include "common/error.hpp"

namespace siperb::codec {
namespace {

int check(int result, const char* field) {
    if (result < 0) throw CodecError(field, opus_strerror(result));
    return result;
}

int to_opus_application(OpusApplication app) {
    switch (app) {
        case OpusApplication::Voip: return OPUS_APPLICATION_VOIP;
        case OpusApplication::Audio: return OPUS_APPLICATION_AUDIO;
        case OpusApplication::RestrictedLowDelay: return OPUS_APPLICATION_RESTRICTED_LOWDELAY;
    }
    throw CodecError("application", "unknown Opus application");
}

}  // namespace

void check_opus_sample_rate(int sample_rate) {
    switch (sample_rate) {
        case 8000: case 12000: case 16000: case 24000: case 48000: return;
        default:
            throw CodecError("sample_rate", std::to_string(sample_rate) +
                                                " Hz is not an Opus rate (8000, 12000, 16000, 24000, 48000)");
    }
}

void check_opus_channels(int channels) {
    if (channels != 1 && channels != 2)
        throw CodecError("channels", std::to_string(channels) + " channels: Opus takes 1 or 2");
}

void OpusEncoder::Deleter::operator()(::OpusEncoder* e) const noexcept { opus_encoder_destroy(e); }
void OpusDecoder::Deleter::operator()(::OpusDecoder* d) const noexcept { opus_decoder_destroy(d); }

OpusEncoder::OpusEncoder(int sample_rate, int channels, OpusApplication application)
    : sample_rate_(sample_rate), channels_(channels) {
    check_opus_sample_rate(sample_rate);
    check_opus_channels(channels);
    int err = OPUS_OK;
    enc_.reset(opus_encoder_create(sample_rate, channels, to_opus_application(application), &err));
    check(err, "encoder");
    if (!enc_) throw CodecError("encoder", "opus_encoder_create failed");
}

void OpusEncoder::check_frame_samples(int frame_samples) const {
    // Legal durations are 2.5, 5, 10, 20, 40, 60 ms: 400 * n samples/s for n in {1,2,4,8,16,24}.
    const int unit = sample_rate_ / 400;
    for (int n : {1, 2, 4, 8, 16, 24})
        if (frame_samples == unit * n) return;
    throw CodecError("frame_samples", std::to_string(frame_samples) + " samples at " + std::to_string(sample_rate_) +
                                          " Hz is not a 2.5/5/10/20/40/60 ms Opus frame");
}

std::size_t OpusEncoder::encode(std::span<const std::int16_t> pcm, std::span<std::uint8_t> out) {
    const auto ch = static_cast<std::size_t>(channels_);
    if (pcm.size() % ch != 0) throw CodecError("pcm", "length is not a whole number of frames");
    const std::size_t frame_samples = pcm.size() / ch;
    if (frame_samples > static_cast<std::size_t>(sample_rate_))
        throw CodecError("frame_samples", std::to_string(frame_samples) + " samples is longer than 60 ms");
    check_frame_samples(static_cast<int>(frame_samples));
    if (out.empty()) throw CodecError("out", "no room for a packet");
    const auto cap = static_cast<opus_int32>(std::min<std::size_t>(out.size(), kOpusMaxPacketBytes));
    const std::lock_guard lock(mu_);
    return static_cast<std::size_t>(
        check(opus_encode(enc_.get(), pcm.data(), static_cast<int>(frame_samples), out.data(), cap), "pcm"));
}

std::vector<std::size_t> OpusEncoder::encode_all(std::span<const std::int16_t> pcm, int frame_samples,
                                                std::vector<std::uint8_t>& packets) {
    check_frame_samples(frame_samples);
    const auto ch = static_cast<std::size_t>(channels_);
    if (pcm.size() % ch != 0) throw CodecError("pcm", "length is not a whole number of frames");
    const std::size_t frame_len = static_cast<std::size_t>(frame_samples) * ch;
    std::array<std::uint8_t, kOpusMaxPacketBytes> packet;
    std::vector<std::int16_t> tail;
    std::vector<std::size_t> ends;
    for (std::size_t off = 0; off < pcm.size(); off += frame_len) {
        auto frame = pcm.subspan(off, std::min(frame_len, pcm.size() - off));
        if (frame.size() < frame_len) {  // the last partial frame, zero-padded
            tail.assign(frame_len, 0);
            std::copy(frame.begin(), frame.end(), tail.begin());
            frame = tail;
        }
        const std::size_t n = encode(frame, packet);
        packets.insert(packets.end(), packet.begin(), packet.begin() + static_cast<std::ptrdiff_t>(n));
        ends.push_back(packets.size());
    }
    return ends;
}

int OpusEncoder::get(int request, const char* field) const {
    const std::lock_guard lock(mu_);
    opus_int32 value = 0;
    check(opus_encoder_ctl(enc_.get(), request, &value), field);
    return value;
}

void OpusEncoder::set_bitrate(int bps) { set(OPUS_SET_BITRATE_REQUEST, bps, "bitrate"); }
int OpusEncoder::bitrate() const { return get(OPUS_GET_BITRATE_REQUEST, "bitrate"); }
void OpusEncoder::set_complexity(int c) { set(OPUS_SET_COMPLEXITY_REQUEST, c, "complexity"); }
int OpusEncoder::complexity() const { return get(OPUS_GET_COMPLEXITY_REQUEST, "complexity"); }
void OpusEncoder::set_fec(bool on) { set(OPUS_SET_INBAND_FEC_REQUEST, on ? 1 : 0, "fec"); }
bool OpusEncoder::fec() const { return get(OPUS_GET_INBAND_FEC_REQUEST, "fec") != 0; }
void OpusEncoder::set_dtx(bool on) { set(OPUS_SET_DTX_REQUEST, on ? 1 : 0, "dtx"); }
bool OpusEncoder::dtx() const { return get(OPUS_GET_DTX_REQUEST, "dtx") != 0; }
void OpusEncoder::set_packet_loss_percent(int p) { set(OPUS_SET_PACKET_LOSS_PERC_REQUEST, p, "packet_loss_percent"); }
int OpusEncoder::packet_loss_percent() const { return get(OPUS_GET_PACKET_LOSS_PERC_REQUEST, "packet_loss_percent"); }
void OpusEncoder::set(int request, int value, const char* field) {
    const std::lock_guard lock(mu_);
    check(opus_encoder_ctl(enc_.get(), request, static_cast<opus_int32>(value)), field);
}

namespace {
constexpr std::array<std::pair<int, int>, 5> kBands{{{4000, OPUS_BANDWIDTH_NARROWBAND},
                                                     {6000, OPUS_BANDWIDTH_MEDIUMBAND},
                                                     {8000, OPUS_BANDWIDTH_WIDEBAND},
                                                     {12000, OPUS_BANDWIDTH_SUPERWIDEBAND},
                                                     {20000, OPUS_BANDWIDTH_FULLBAND}}};
}  // namespace

void OpusEncoder::set_max_bandwidth(int hz) {
    for (const auto& [band_hz, band] : kBands)
        if (band_hz == hz) return set(OPUS_SET_MAX_BANDWIDTH_REQUEST, band, "bandwidth");
    throw CodecError("bandwidth", std::to_string(hz) + " Hz is not an Opus band (4000, 6000, 8000, 12000, 20000)");
}

int OpusEncoder::max_bandwidth() const {
    const int band = get(OPUS_GET_MAX_BANDWIDTH_REQUEST, "bandwidth");
    for (const auto& [band_hz, b] : kBands)
        if (b == band) return band_hz;
    return 20000;
}

int OpusEncoder::lookahead() const { return get(OPUS_GET_LOOKAHEAD_REQUEST, "lookahead"); }

OpusDecoder::OpusDecoder(int sample_rate, int channels) : sample_rate_(sample_rate), channels_(channels) {
    check_opus_sample_rate(sample_rate);
    check_opus_channels(channels);
    int err = OPUS_OK;
    dec_.reset(opus_decoder_create(sample_rate, channels, &err));
    check(err, "decoder");
    if (!dec_) throw CodecError("decoder", "opus_decoder_create failed");
}

int OpusDecoder::packet_samples(std::span<const std::uint8_t> packet) const {
    if (packet.empty()) throw CodecError("packet", "empty Opus packet");
    if (packet.size() > static_cast<std::size_t>(std::numeric_limits<opus_int32>::max()))
        throw CodecError("packet", "packet too long");
    const int n = check(
        opus_packet_get_nb_samples(packet.data(), static_cast<opus_int32>(packet.size()), sample_rate_), "packet");
    if (n == 0) throw CodecError("packet", "packet holds no frames");
    return n;
}

int OpusDecoder::run(const std::uint8_t* data, std::size_t len, std::span<std::int16_t> out, int frame_samples,
                     int fec) {
    if (len > static_cast<std::size_t>(std::numeric_limits<opus_int32>::max()))
        throw CodecError("packet", "packet too long");
    if (frame_samples <= 0 || out.size() < static_cast<std::size_t>(frame_samples) * static_cast<std::size_t>(channels_))
        throw CodecError("out", "output buffer too small");
    const std::lock_guard lock(mu_);
    return check(opus_decode(dec_.get(), data, static_cast<opus_int32>(len), out.data(), frame_samples, fec),
                 "packet");
}

int OpusDecoder::decode(std::span<const std::uint8_t> packet, std::span<std::int16_t> out) {
    if (packet.empty()) throw CodecError("packet", "empty Opus packet (a lost packet goes to decode_lost)");
    const int frames = static_cast<int>(std::min<std::size_t>(out.size() / static_cast<std::size_t>(channels_),
                                                              static_cast<std::size_t>(max_frame_samples())));
    return run(packet.data(), packet.size(), out, frames, 0);
}

std::vector<int> OpusDecoder::sequence_samples(std::span<const std::span<const std::uint8_t>> packets) const {
    std::vector<int> samples;
    samples.reserve(packets.size());
    int last = sample_rate_ / 50;
    for (const auto& p : packets) {
        if (!p.empty()) last = packet_samples(p);
        samples.push_back(last);
    }
    return samples;
}

void OpusDecoder::decode_all(std::span<const std::span<const std::uint8_t>> packets, std::span<const int> samples,
                             std::span<std::int16_t> out) {
    if (samples.size() != packets.size()) throw CodecError("samples", "one entry per packet expected");
    const auto ch = static_cast<std::size_t>(channels_);
    std::size_t off = 0;
    for (std::size_t i = 0; i < packets.size(); ++i) {
        const std::size_t n = static_cast<std::size_t>(samples[i]) * ch;
        if (off + n > out.size()) throw CodecError("out", "output buffer too small");
        const auto frame = out.subspan(off, n);
        if (packets[i].empty()) decode_lost(samples[i], frame);
        else decode(packets[i], frame);
        off += n;
    }
}

void OpusDecoder::check_frame_samples(int frame_samples) const {
    // A lost/recovered frame is a multiple of 2.5 ms (libopus's granularity), at most 120 ms.
    const int unit = sample_rate_ / 400;
    if (frame_samples <= 0 || frame_samples % unit != 0 || frame_samples > max_frame_samples())
        throw CodecError("frame_samples", std::to_string(frame_samples) + " samples at " +
                                              std::to_string(sample_rate_) +
                                              " Hz is not a multiple of 2.5 ms up to 120 ms");
}

int OpusDecoder::decode_lost(int frame_samples, std::span<std::int16_t> out) {
    check_frame_samples(frame_samples);
    return run(nullptr, 0, out, frame_samples, 0);
}

int OpusDecoder::decode_fec(std::span<const std::uint8_t> next_packet, int frame_samples,
                            std::span<std::int16_t> out) {
    check_frame_samples(frame_samples);
    if (next_packet.empty()) throw CodecError("next_packet", "empty Opus packet");
    return run(next_packet.data(), next_packet.size(), out, frame_samples, 1);
}

}  // namespace siperb::codec
