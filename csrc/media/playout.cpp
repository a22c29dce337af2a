#include "media/playout.hpp"

#include "dsp/time_stretch.hpp"

#include <algorithm>

namespace siperb::media {

namespace {
// Mean absolute level (16-bit PCM) under which a decoded frame is a pause in speech: cutting or
// repeating part of it is not heard. Measured on the replay benchmark: at 100 the cuts reach
// into quiet speech and PESQ drops on bursty congestion (3.51 -> 3.47); at 20 it does not.
constexpr double kQuietLevel = 20.0;
}  // namespace

std::span<const std::int16_t> play_frame(const jbuf::Frame& f, AudioDecoder& dec, const PlayoutOptions& o,
                                         std::span<std::int16_t> dec_buf, std::span<std::int16_t> stretch_buf,
                                         SessionStats& st) noexcept {
    const int rate = dec.sample_rate();
    // The jitter buffer's frames are in RTP clock units; the decoder's in its own rate.
    const std::size_t n = static_cast<std::size_t>(f.samples) * static_cast<std::size_t>(rate) / o.clock;
    std::size_t got = 0;
    switch (f.kind) {
    case jbuf::FrameKind::Packet:
        got = dec.decode(f.payload, dec_buf);
        if (got == 0) {
            got = dec.conceal(n, {}, dec_buf);
            ++st.frames_concealed;
        } else {
            ++st.frames_played;
        }
        break;
    case jbuf::FrameKind::Conceal:
        got = dec.conceal(n, f.next_available ? std::span<const std::uint8_t>(f.next_payload) : std::span<const std::uint8_t>{},
                          dec_buf);
        if (f.next_available && o.opus_fec) ++st.fec_recovered;
        ++st.frames_concealed;
        break;
    case jbuf::FrameKind::Silence:
        got = dec.silence(n, dec_buf);
        ++st.frames_silence;
        break;
    }
    std::span<const std::int16_t> out(dec_buf.data(), got);
    if (o.time_stretch && f.kind == jbuf::FrameKind::Packet && f.stretch != jbuf::Stretch::None && f.quiet_samples > 0 &&
        got > 0 && dsp::mean_abs(out) < kQuietLevel) {
        // A pause in speech: cut or repeat part of it outright (nothing to hear), so the playout
        // point moves by up to a whole frame at once instead of a quarter frame at a time.
        std::size_t amount = std::min(got, static_cast<std::size_t>(f.quiet_samples) * static_cast<std::size_t>(rate) / o.clock);
        ++(f.stretch == jbuf::Stretch::Accelerate ? st.accelerated : st.decelerated);
        if (f.stretch == jbuf::Stretch::Accelerate) return {dec_buf.data(), got - amount};
        amount = std::min(amount, stretch_buf.size() > got ? stretch_buf.size() - got : 0);
        std::copy_n(dec_buf.data(), got, stretch_buf.data());
        std::copy_n(dec_buf.data(), amount, stretch_buf.data() + got);
        return {stretch_buf.data(), got + amount};
    }
    if (o.time_stretch && f.kind == jbuf::FrameKind::Packet && f.stretch != jbuf::Stretch::None && got > 0) {
        // Gentle hints only in quiet frames; strong ones (far from target) and decelerations
        // (an underrun is worse than a stretch) in any frame.
        const std::size_t amount = static_cast<std::size_t>(f.stretch_samples) * static_cast<std::size_t>(rate) / o.clock;
        const bool strong = f.stretch == jbuf::Stretch::Decelerate || amount * 2 >= got;
        if (strong || dsp::mean_abs(out) < 300.0) {
            const std::size_t m = dsp::time_stretch(out, f.stretch == jbuf::Stretch::Accelerate, amount, stretch_buf,
                                                    static_cast<std::uint32_t>(rate));
            ++(f.stretch == jbuf::Stretch::Accelerate ? st.accelerated : st.decelerated);
            out = std::span<const std::int16_t>(stretch_buf.data(), m);
        }
    }
    return out;
}

}  // namespace siperb::media
