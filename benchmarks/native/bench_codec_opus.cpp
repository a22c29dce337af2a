// The floor for siperb's Opus bindings: a plain C loop over libopus on the same signal and
// settings as benchmarks/bench_codec_opus.py, printing ns per 20 ms frame.
//
// usage: bench_codec_opus PCM_FILE SAMPLE_RATE BITRATE COMPLEXITY FRAME_SAMPLES SECONDS
//   PCM_FILE: raw native-endian int16 mono samples; frames are cycled through for SECONDS.
// prints: encode_ns=<ns per frame> decode_ns=<ns per frame> frames=<frames timed>, each the
// best pass over all frames (the least disturbed by other load on the machine; the Python side
// reports its best round too).
#include <opus/opus.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <vector>

namespace {

struct EncoderDeleter {
    void operator()(OpusEncoder* e) const noexcept { opus_encoder_destroy(e); }
};
struct DecoderDeleter {
    void operator()(OpusDecoder* d) const noexcept { opus_decoder_destroy(d); }
};

using Clock = std::chrono::steady_clock;

double elapsed_ns(Clock::time_point start) {
    return std::chrono::duration<double, std::nano>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 7) {
        std::fprintf(stderr, "usage: %s PCM_FILE SAMPLE_RATE BITRATE COMPLEXITY FRAME_SAMPLES SECONDS\n", argv[0]);
        return 2;
    }
    std::ifstream file(argv[1], std::ios::binary);
    std::vector<char> raw((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    const int rate = std::atoi(argv[2]);
    const int bitrate = std::atoi(argv[3]);
    const int complexity = std::atoi(argv[4]);
    const int frame = std::atoi(argv[5]);
    const double seconds = std::atof(argv[6]);
    std::vector<std::int16_t> pcm(raw.size() / 2);
    std::copy_n(raw.data(), pcm.size() * 2, reinterpret_cast<char*>(pcm.data()));
    const std::size_t frames = pcm.size() / static_cast<std::size_t>(frame);
    if (frames == 0) {
        std::fprintf(stderr, "signal shorter than one frame\n");
        return 2;
    }

    int err = 0;
    std::unique_ptr<OpusEncoder, EncoderDeleter> enc(opus_encoder_create(rate, 1, OPUS_APPLICATION_VOIP, &err));
    std::unique_ptr<OpusDecoder, DecoderDeleter> dec(opus_decoder_create(rate, 1, &err));
    if (!enc || !dec) {
        std::fprintf(stderr, "libopus: %s\n", opus_strerror(err));
        return 1;
    }
    opus_encoder_ctl(enc.get(), OPUS_SET_BITRATE(bitrate));
    opus_encoder_ctl(enc.get(), OPUS_SET_COMPLEXITY(complexity));

    // Encode: cycle through the frames until SECONDS have passed (checked every pass).
    std::vector<std::vector<unsigned char>> packets(frames);
    unsigned char packet[4000];
    std::size_t encoded = 0;
    double enc_ns = 0;
    double enc_best = 1e300;
    while (enc_ns < seconds * 1e9) {
        const auto start = Clock::now();
        for (std::size_t i = 0; i < frames; ++i) {
            const int n = opus_encode(enc.get(), pcm.data() + i * static_cast<std::size_t>(frame), frame, packet,
                                      sizeof packet);
            if (n < 0) return 1;
            if (encoded < frames) packets[i].assign(packet, packet + n);
            ++encoded;
        }
        const double ns = elapsed_ns(start);
        enc_ns += ns;
        enc_best = std::min(enc_best, ns / static_cast<double>(frames));
    }

    std::vector<std::int16_t> out(static_cast<std::size_t>(frame));
    std::size_t decoded = 0;
    double dec_ns = 0;
    double dec_best = 1e300;
    while (dec_ns < seconds * 1e9) {
        const auto start = Clock::now();
        for (const auto& p : packets) {
            if (opus_decode(dec.get(), p.data(), static_cast<opus_int32>(p.size()), out.data(), frame, 0) < 0)
                return 1;
            ++decoded;
        }
        const double ns = elapsed_ns(start);
        dec_ns += ns;
        dec_best = std::min(dec_best, ns / static_cast<double>(frames));
    }
    std::printf("encode_ns=%.1f decode_ns=%.1f frames=%zu\n", enc_best, dec_best, encoded + decoded);
    return 0;
}
