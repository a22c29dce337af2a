#include "media/codec_unit.hpp"

#include "codec/g711.hpp"
#include "codec/opus.hpp"
#include "common/error.hpp"
#include "jbuf/g711_plc.hpp"
#include "media/cpu_governor.hpp"

#include <algorithm>
#include <cctype>

namespace siperb::media {

namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return std::tolower(x) == std::tolower(y); });
}

class G711Encoder final : public AudioEncoder {
public:
    explicit G711Encoder(bool ulaw) : ulaw_(ulaw) {}
    int sample_rate() const noexcept override { return 8000; }
    std::size_t encode(std::span<const std::int16_t> pcm, std::span<std::uint8_t> out) override {
        const std::size_t n = std::min(pcm.size(), out.size());
        (ulaw_ ? g711::ulaw_encode : g711::alaw_encode)(pcm.data(), out.data(), n);
        return n;
    }

private:
    bool ulaw_;
};

class G711Decoder final : public AudioDecoder {
public:
    explicit G711Decoder(bool ulaw) : ulaw_(ulaw), plc_(8000) {}
    int sample_rate() const noexcept override { return 8000; }
    int samples_in(std::span<const std::uint8_t> payload) const noexcept override { return static_cast<int>(payload.size()); }
    std::size_t max_samples() const noexcept override { return 8 * 120; }
    std::size_t decode(std::span<const std::uint8_t> payload, std::span<std::int16_t> out) noexcept override {
        const std::size_t n = std::min(payload.size(), out.size());
        (ulaw_ ? g711::ulaw_decode : g711::alaw_decode)(payload.data(), out.data(), n);
        return through_plc(out.first(n), out);
    }
    std::size_t conceal(std::size_t n, std::span<const std::uint8_t>, std::span<std::int16_t> out) noexcept override {
        n = std::min(n, out.size());
        const std::size_t step = plc_.frame_samples();  // 10 ms
        if (n % step != 0) return silence(n, out);
        try {
            return plc_.conceal(n, out);
        } catch (...) {
            return silence(n, out);
        }
    }
    std::size_t silence(std::size_t n, std::span<std::int16_t> out) noexcept override {
        n = std::min(n, out.size());
        std::fill_n(out.begin(), n, std::int16_t{0});
        return through_plc(out.first(n), out);
    }

private:
    std::size_t through_plc(std::span<const std::int16_t> pcm, std::span<std::int16_t> out) noexcept {
        try {
            return plc_.good_frame(pcm, out);  // in place: pcm is out's start
        } catch (...) {
            return pcm.size();
        }
    }
    bool ulaw_;
    jbuf::G711Plc plc_;
};

class OpusEncoderUnit final : public AudioEncoder {
public:
    explicit OpusEncoderUnit(const EncoderSettings& s)
        : enc_(s.sample_rate, 1, codec::OpusApplication::Voip), dtx_(s.dtx) {
        set_complexity(s.complexity);
        if (s.bitrate > 0) enc_.set_bitrate(s.bitrate);
        enc_.set_fec(s.fec);
        if (s.fec) enc_.set_packet_loss_percent(10);
        enc_.set_dtx(s.dtx);
    }
    int sample_rate() const noexcept override { return enc_.sample_rate(); }
    std::size_t encode(std::span<const std::int16_t> pcm, std::span<std::uint8_t> out) override {
        const std::size_t n = enc_.encode(pcm, out);
        return dtx_ && n <= 2 ? 0 : n;  // RFC 7587 3.1.3: DTX frames are not sent
    }
    int complexity() const noexcept override { return std::max(level_, 0); }
    void set_complexity(int level) noexcept override {
        level = std::clamp(level, kLowestLevel, kHighestLevel);
        if (level == level_) return;
        try {  // encoder ctls: they take effect at the next frame
            if (std::max(level, 0) != std::max(level_, 0)) enc_.set_complexity(std::max(level, 0));
            if (std::min(level, 0) != std::min(level_, 0)) enc_.set_max_bandwidth(opus_band_hz(level));
            level_ = level;
        } catch (...) {
        }
    }

private:
    codec::OpusEncoder enc_;
    bool dtx_;
    int level_ = kHighestLevel + 1;  // none yet: the constructor's set_complexity sets it
};

class OpusDecoderUnit final : public AudioDecoder {
public:
    explicit OpusDecoderUnit(int rate) : dec_(rate, 1) {}
    int sample_rate() const noexcept override { return dec_.sample_rate(); }
    std::size_t max_samples() const noexcept override { return static_cast<std::size_t>(dec_.max_frame_samples()); }
    int samples_in(std::span<const std::uint8_t> payload) const noexcept override {
        try {
            return payload.empty() ? 0 : dec_.packet_samples(payload);
        } catch (...) {
            return 0;
        }
    }
    std::size_t decode(std::span<const std::uint8_t> payload, std::span<std::int16_t> out) noexcept override {
        try {
            return payload.empty() ? 0 : static_cast<std::size_t>(dec_.decode(payload, out));
        } catch (...) {
            return 0;
        }
    }
    std::size_t conceal(std::size_t n, std::span<const std::uint8_t> next, std::span<std::int16_t> out) noexcept override {
        try {
            const int frame = static_cast<int>(std::min(n, out.size()));
            const int got = next.empty() ? dec_.decode_lost(frame, out) : dec_.decode_fec(next, frame, out);
            return static_cast<std::size_t>(got);
        } catch (...) {
            return silence(n, out);
        }
    }
    std::size_t silence(std::size_t n, std::span<std::int16_t> out) noexcept override {
        n = std::min(n, out.size());
        std::fill_n(out.begin(), n, std::int16_t{0});
        return n;
    }

private:
    mutable codec::OpusDecoder dec_;
};

}  // namespace

CodecKind codec_kind_from(std::string_view name) {
    if (iequals(name, "PCMU")) return CodecKind::Pcmu;
    if (iequals(name, "PCMA")) return CodecKind::Pcma;
    if (iequals(name, "opus")) return CodecKind::Opus;
    throw MediaError("codec", "the engine cannot run '" + std::string(name) + "' (PCMU, PCMA, opus)");
}

const char* to_string(CodecKind kind) noexcept {
    switch (kind) {
    case CodecKind::Pcmu: return "PCMU";
    case CodecKind::Pcma: return "PCMA";
    case CodecKind::Opus: return "opus";
    }
    return "";
}

int opus_decode_rate_for(int pinned, int sink_rate, int recorder_rate) noexcept {
    if (pinned > 0) return pinned;
    const int need = std::max(sink_rate, recorder_rate);
    for (int r : {8000, 12000, 16000, 24000})
        if (r >= need) return r;
    return 48000;
}

int opus_band_hz(int level) noexcept {
    constexpr int kBandAt[] = {20000, 8000, 6000, 4000};  // Hz, at levels 0, -1, -2, -3
    return kBandAt[-std::clamp(level, kLowestLevel, 0)];
}

std::uint32_t rtp_clock_rate(CodecKind kind) noexcept { return kind == CodecKind::Opus ? 48000 : 8000; }

std::unique_ptr<AudioEncoder> make_encoder(const EncoderSettings& s) {
    if (s.kind == CodecKind::Opus) return std::make_unique<OpusEncoderUnit>(s);
    return std::make_unique<G711Encoder>(s.kind == CodecKind::Pcmu);
}

std::unique_ptr<AudioDecoder> make_decoder(CodecKind kind, int sample_rate) {
    if (kind == CodecKind::Opus) return std::make_unique<OpusDecoderUnit>(sample_rate);
    return std::make_unique<G711Decoder>(kind == CodecKind::Pcmu);
}

}  // namespace siperb::media
