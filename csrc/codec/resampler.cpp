// speexdsp resampler behind RAII.
#include "codec/resampler.hpp"

#include <speex/speex_resampler.h>

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace siperb::codec {
namespace {

constexpr int kMaxRate = 384000;

void check_rate(int rate, const char* field) {
    if (rate < 1000 || rate > kMaxRate)
        throw CodecError(field, std::to_string(rate) + " Hz is outside 1000..384000");
}

void check(int err, const char* field) {
    if (err != RESAMPLER_ERR_SUCCESS) throw CodecError(field, speex_resampler_strerror(err));
}

}  // namespace

void Resampler::Deleter::operator()(SpeexResamplerState_* s) const noexcept { speex_resampler_destroy(s); }

void Resampler::check_parameters(int in_rate, int out_rate, int channels, int quality) {
    check_rate(in_rate, "in_rate");
    check_rate(out_rate, "out_rate");
    if (channels < 1 || channels > 8) throw CodecError("channels", std::to_string(channels) + " is outside 1..8");
    if (quality < SPEEX_RESAMPLER_QUALITY_MIN || quality > SPEEX_RESAMPLER_QUALITY_MAX)
        throw CodecError("quality", std::to_string(quality) + " is outside 0..10");
}

Resampler::Resampler(int in_rate, int out_rate, int channels, int quality)
    : in_rate_(in_rate), out_rate_(out_rate), channels_(channels), quality_(quality) {
    check_parameters(in_rate, out_rate, channels, quality);
    int err = RESAMPLER_ERR_SUCCESS;
    st_.reset(speex_resampler_init(static_cast<spx_uint32_t>(channels), static_cast<spx_uint32_t>(in_rate),
                                   static_cast<spx_uint32_t>(out_rate), quality, &err));
    check(err, "resampler");
    if (!st_) throw CodecError("resampler", "speex_resampler_init failed");
}

int Resampler::input_latency() const {
    const std::lock_guard lock(mu_);
    return speex_resampler_get_input_latency(st_.get());
}
int Resampler::output_latency() const {
    const std::lock_guard lock(mu_);
    return speex_resampler_get_output_latency(st_.get());
}

std::size_t Resampler::max_output_frames(std::size_t in_frames) const noexcept {
    // The fractional phase carried between calls adds at most one frame; keep a small margin.
    return in_frames / static_cast<std::size_t>(in_rate_) * static_cast<std::size_t>(out_rate_) +
           (in_frames % static_cast<std::size_t>(in_rate_)) * static_cast<std::size_t>(out_rate_) /
               static_cast<std::size_t>(in_rate_) +
           2;
}

std::size_t Resampler::process(std::span<const std::int16_t> in, std::span<std::int16_t> out) {
    const auto ch = static_cast<std::size_t>(channels_);
    if (in.size() % ch != 0) throw CodecError("pcm", "length is not a whole number of frames");
    constexpr std::size_t kChunk = std::numeric_limits<spx_uint32_t>::max() / 16;
    std::size_t in_left = in.size() / ch;
    std::size_t out_left = out.size() / ch;
    const std::int16_t* src = in.data();
    std::int16_t* dst = out.data();
    const std::lock_guard lock(mu_);
    while (in_left > 0) {
        auto in_len = static_cast<spx_uint32_t>(std::min(in_left, kChunk));
        auto out_len = static_cast<spx_uint32_t>(std::min(out_left, kChunk));
        check(speex_resampler_process_interleaved_int(st_.get(), src, &in_len, dst, &out_len), "pcm");
        if (in_len == 0 && out_len == 0) throw CodecError("out", "output buffer too small");
        in_left -= in_len;
        out_left -= out_len;
        src += static_cast<std::size_t>(in_len) * ch;
        dst += static_cast<std::size_t>(out_len) * ch;
    }
    return out.size() / ch - out_left;
}

void Resampler::reset() {
    const std::lock_guard lock(mu_);
    check(speex_resampler_reset_mem(st_.get()), "resampler");
}
void Resampler::skip_zeros() {
    const std::lock_guard lock(mu_);
    check(speex_resampler_skip_zeros(st_.get()), "resampler");
}

std::size_t resampled_frames(std::size_t in_frames, int in_rate, int out_rate) noexcept {
    const auto ir = static_cast<std::size_t>(in_rate);
    const auto orate = static_cast<std::size_t>(out_rate);
    return in_frames / ir * orate + (in_frames % ir) * orate / ir;
}

void resample(std::span<const std::int16_t> in, int in_rate, int out_rate, int channels, int quality,
              std::span<std::int16_t> out) {
    Resampler r(in_rate, out_rate, channels, quality);
    const auto ch = static_cast<std::size_t>(channels);
    if (in.size() % ch != 0) throw CodecError("pcm", "length is not a whole number of frames");
    const std::size_t want = resampled_frames(in.size() / ch, in_rate, out_rate);
    if (out.size() < want * ch) throw CodecError("out", "output buffer too small");
    r.skip_zeros();
    // Flush the filter tail with zeros until every wanted output frame is out.
    const std::size_t zero_frames = static_cast<std::size_t>(r.input_latency()) + 1;
    const std::vector<std::int16_t> zeros(zero_frames * ch, 0);
    std::vector<std::int16_t> buf(r.max_output_frames(std::max(in.size() / ch, zero_frames)) * ch);
    std::size_t got = std::min(r.process(in, buf), want);
    std::copy_n(buf.begin(), got * ch, out.begin());
    while (got < want) {
        const std::size_t n = std::min(r.process(zeros, buf), want - got);
        std::copy_n(buf.begin(), n * ch, out.begin() + static_cast<std::ptrdiff_t>(got * ch));
        got += n;
    }
}

}  // namespace siperb::codec
