#include "media/replay.hpp"

#include "common/error.hpp"
#include "jbuf/speex_jitter.hpp"
#include "media/playout.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>

namespace siperb::media {

namespace {

void validate(const std::vector<ReplayPacket>& packets, const ReplayConfig& c) {
    if (packets.empty()) throw MediaError("replay packets", "the trace is empty");
    if (packets.size() > 10'000'000) throw MediaError("replay packets", "more than 10,000,000");
    for (const auto& p : packets)
        if (!std::isfinite(p.arrival_ms)) throw MediaError("replay arrival ms", "must be finite");
    if (c.ptime_ms < 10 || c.ptime_ms > 120 || c.ptime_ms % 10 != 0) throw MediaError("replay ptime", "must be 10-120 ms in steps of 10");
    if (!std::isfinite(c.clock_phase_ms)) throw MediaError("replay clock phase ms", "must be finite");
    if (!(c.output_skew > -0.1 && c.output_skew < 0.1)) throw MediaError("replay output skew", "must be within +-0.1");
    if (!(c.tail_ms >= 0 && c.tail_ms <= 60000)) throw MediaError("replay tail ms", "must be 0-60000 ms");
    const double span = packets.back().arrival_ms - packets.front().arrival_ms;
    if (span > 24.0 * 3600 * 1000) throw MediaError("replay arrival ms", "the trace spans more than 24 hours");
}

// The playout side of one buffer: the sync buffer (decoded audio not yet played), the figures.
struct Playout {
    std::unique_ptr<AudioDecoder> dec;
    PlayoutOptions opts;
    std::vector<std::int16_t> dec_buf, stretch_buf, sync;
    SessionStats st;
    ReplayResult r;
    bool started = false;
    double delay_sum = 0;

    // Plays f, which left the buffer at play_ms; arrival: when its packet arrived (Packet);
    // sent: whether the sender sent a packet for f's media time. Concealing a frame that was
    // never sent (a DTX gap, after the end) is what any receiver does there, but it counts as
    // silence: no speech was lost; PLC or silence for a frame that was sent counts as concealed.
    void frame(const jbuf::Frame& f, double play_ms, double arrival, bool sent) {
        const SessionStats before = st;
        const auto out = play_frame(f, *dec, opts, dec_buf, stretch_buf, st);
        sync.insert(sync.end(), out.begin(), out.end());
        if (f.kind == jbuf::FrameKind::Packet && !started) started = true;
        if (!started) return;
        ++r.frames;
        r.played += st.frames_played - before.frames_played;
        // Silence in place of a frame that was sent (a buffer giving up on PLC in a long outage)
        // is concealment too: the same count for every buffer, whatever it plays there.
        const std::uint64_t concealed = st.frames_concealed - before.frames_concealed;
        const std::uint64_t silent = st.frames_silence - before.frames_silence;
        (sent || f.kind == jbuf::FrameKind::Packet ? r.concealed : r.silence) += concealed;
        (sent ? r.concealed : r.silence) += silent;
        if (st.frames_played > before.frames_played) {
            const double d = play_ms - arrival;
            delay_sum += d;
            r.max_delay_ms = r.played == 1 ? d : std::max(r.max_delay_ms, d);
        }
    }
};

}  // namespace

ReplayResult replay(std::vector<ReplayPacket> packets, const ReplayConfig& config) {
    std::stable_sort(packets.begin(), packets.end(),
                     [](const ReplayPacket& a, const ReplayPacket& b) { return a.arrival_ms < b.arrival_ms; });
    validate(packets, config);
    const std::uint32_t clock = rtp_clock_rate(config.codec);
    const std::uint32_t frame_samples = clock * config.ptime_ms / 1000;
    Playout po;
    po.dec = make_decoder(config.codec, config.codec == CodecKind::Opus ? config.decode_rate : 8000);
    po.opts = PlayoutOptions{clock, config.time_stretch && config.buffer == ReplayBuffer::Siperb, false};
    po.dec_buf.resize(po.dec->max_samples());
    po.stretch_buf.resize(po.dec->max_samples() * 2);
    const int rate = po.dec->sample_rate();
    const std::size_t need = static_cast<std::size_t>(rate) * config.ptime_ms / 1000;
    po.sync.reserve(po.dec->max_samples() * 2);

    // Each timestamp's first arrival and sequence number. A media time with no packet was sent
    // and lost when it is one of the n after or before a gap of n sequence numbers, else never
    // sent (DTX, before the first or after the last packet).
    struct Sent {
        double arrival_ms;
        std::uint16_t seq;
    };
    std::map<std::uint32_t, Sent> sent;
    for (const auto& p : packets) sent.emplace(p.timestamp, Sent{p.arrival_ms, p.sequence_number});
    const auto arrival_of = [&](std::uint32_t ts) {
        const auto it = sent.find(ts);
        return it == sent.end() ? 0.0 : it->second.arrival_ms;
    };
    const auto was_sent = [&](std::uint32_t ts) {
        const auto it = sent.upper_bound(ts);
        if (it == sent.begin()) return false;
        const auto prev = std::prev(it);
        if (prev->first == ts) return true;
        if (it == sent.end()) return false;
        // n packets are missing between the two: the n media times after the one before or the n
        // before the one after (a DTX pause between them was not sent).
        const std::uint32_t n = static_cast<std::uint16_t>(it->second.seq - prev->second.seq - 1);
        const std::uint64_t span = std::uint64_t{n} * frame_samples;
        return std::uint64_t{ts - prev->first} <= span || std::uint64_t{it->first - ts} <= span;
    };

    jbuf::JitterBufferConfig jc = config.jitter;
    jc.clock_rate = clock;
    jc.frame_ms = config.ptime_ms;
    std::unique_ptr<jbuf::JitterBuffer> jb;
    std::unique_ptr<jbuf::SpeexJitterBuffer> sx;
    if (config.buffer == ReplayBuffer::Siperb) jb = std::make_unique<jbuf::JitterBuffer>(jc);
    else sx = std::make_unique<jbuf::SpeexJitterBuffer>(frame_samples);

    ReplayResult& r = po.r;
    r.sample_rate = rate;
    r.first_tick_ms = config.clock_phase_ms;
    const double period = config.ptime_ms / (1.0 + config.output_skew);
    const double end = packets.back().arrival_ms + config.tail_ms;
    jbuf::Frame f;
    std::size_t next = 0;
    for (std::uint64_t tick = 0;; ++tick) {
        const double t = config.clock_phase_ms + static_cast<double>(tick) * period;
        if (t > end) break;
        for (; next < packets.size() && packets[next].arrival_ms <= t; ++next) {
            const ReplayPacket& p = packets[next];
            if (jb) jb->put(p.sequence_number, p.timestamp, p.payload, p.arrival_ms, 0, p.marker);
            else sx->put(p.sequence_number, p.timestamp, p.payload);
        }
        if (jb) {
            for (int guard = 0; po.sync.size() < need && guard < 16; ++guard) {
                const double pending = static_cast<double>(po.sync.size()) * 1000.0 / rate;
                jb->get(t, pending, f);
                const std::size_t before = po.sync.size();
                po.frame(f, t + pending, arrival_of(f.timestamp), was_sent(f.timestamp));
                if (po.sync.size() == before && f.kind != jbuf::FrameKind::Packet) break;
            }
        } else {
            f = sx->get();
            po.frame(f, t, arrival_of(f.timestamp), was_sent(f.timestamp));
        }
        const std::size_t n = std::min(need, po.sync.size());
        r.pcm.insert(r.pcm.end(), po.sync.begin(), po.sync.begin() + static_cast<std::ptrdiff_t>(n));
        r.pcm.insert(r.pcm.end(), need - n, std::int16_t{0});
        po.sync.erase(po.sync.begin(), po.sync.begin() + static_cast<std::ptrdiff_t>(n));
    }
    r.accelerated = po.st.accelerated;
    r.decelerated = po.st.decelerated;
    r.mean_delay_ms = r.played > 0 ? po.delay_sum / static_cast<double>(r.played) : 0.0;
    if (jb) {
        const auto s = jb->stats();
        r.received = s.received;
        r.late = s.late;
        r.duplicated = s.duplicated;
        r.discarded = s.discarded;
    } else {
        r.received = packets.size();
    }
    return r;
}

}  // namespace siperb::media
