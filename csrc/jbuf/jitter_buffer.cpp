#include "jbuf/jitter_buffer.hpp"

#include "common/error.hpp"

#include <algorithm>
#include <cmath>

namespace siperb::jbuf {

namespace {
constexpr std::int64_t kMaxDropout = 3000;  // RFC 3550 A.1: a larger jump restarts the stream
// The offset's reference (the fastest recent packet) wanders by a few ms; decelerating on every
// dip below the target, but accelerating only a whole frame above it, would ratchet the delay up.
constexpr double kDecelerateHysteresisMs = 3.0;

JitterBufferConfig validated(JitterBufferConfig config) {
    if (config.clock_rate < 1000 || config.clock_rate > 192000) throw RtpError("clock rate", "must be 1000-192000 Hz");
    if (config.frame_ms == 0 || config.frame_ms > 200) throw RtpError("frame ms", "must be 1-200 ms");
    if (config.clock_rate * config.frame_ms / 1000 == 0) throw RtpError("frame ms", "shorter than one sample");
    if (config.max_delay_ms < config.min_delay_ms) throw RtpError("max delay ms", "below min delay");
    if (config.max_delay_ms > 10000) throw RtpError("max delay ms", "at most 10000 ms");
    if (config.history_ms < 100 || config.history_ms > 60000) throw RtpError("history ms", "must be 100-60000 ms");
    if (!(config.quantile > 0.0 && config.quantile < 1.0)) throw RtpError("quantile", "must be in (0, 1)");
    if (!(config.forget_factor > 0.0 && config.forget_factor < 1.0)) throw RtpError("forget factor", "must be in (0, 1)");
    if (!std::isfinite(config.margin_ms)) throw RtpError("margin ms", "must be finite");
    if (config.accelerate_interval < 1) throw RtpError("accelerate interval", "at least 1 frame");
    return config;
}

}  // namespace

JitterBuffer::JitterBuffer(JitterBufferConfig config)
    : config_(validated(config)), frame_samples_(config_.clock_rate * config_.frame_ms / 1000),
      delay_(DelayManagerConfig{config_.quantile, config_.forget_factor, 5, static_cast<int>(config_.history_ms),
                                static_cast<int>(std::max<std::uint32_t>(config_.max_delay_ms, 100))}),
      capacity_(config_.max_delay_ms / config_.frame_ms + 2) {
    std::size_t n = 4;
    while (n <= static_cast<std::size_t>(capacity_)) n *= 2;
    slots_.resize(n);
    mask_ = n - 1;
    played_.fill(-1);
    skipped_.fill(-1);
}

double JitterBuffer::target_delay_ms() const {
    const double measured = delay_.packets() < 2 ? config_.start_delay_ms : delay_.quantile_ms() + config_.margin_ms;
    return std::clamp(measured, double(config_.min_delay_ms), double(config_.max_delay_ms));
}

JitterBufferStats JitterBuffer::stats() const {
    JitterBufferStats s = stats_;
    s.current_delay_ms = offset_ms_;
    s.target_delay_ms = target_delay_ms();
    return s;
}

void JitterBuffer::reset() {
    resync();
    delay_.reset();
    have_ssrc_ = false;
    offset_ms_ = 0;
    stats_ = {};
}

JitterBuffer::Stored* JitterBuffer::find(std::int64_t ext) {
    Stored& s = slots_[static_cast<std::size_t>(ext) & mask_];
    return s.used && s.ext == ext ? &s : nullptr;
}

void JitterBuffer::erase(std::int64_t ext) {
    Stored* s = find(ext);
    if (!s) return;
    s->used = false;
    if (--count_ == 0) return;
    if (ext == lo_)
        while (!oldest().used || oldest().ext != lo_) ++lo_;  // count_ > 0: a newer one exists
    if (ext == hi_)
        while (!find(hi_)) --hi_;
}

void JitterBuffer::clear_packets() {
    for (auto& s : slots_) s.used = false;
    count_ = 0;
}

void JitterBuffer::resync() {
    clear_packets();
    seq_unwrap_.reset();
    ts_unwrap_.reset();
    delay_.reset_reference();
    started_ = false;
    hold_credit_ = stall_credit_ = 0;
    skipping_ = false;
    expand_run_ = 0;
    played_.fill(-1);
    skipped_.fill(-1);
}

double JitterBuffer::offset_ms(double now_ms, std::int64_t ts_ext) const {
    return now_ms - static_cast<double>(ts_ext) * 1000.0 / config_.clock_rate - delay_.fastest_transit_ms();
}

void JitterBuffer::put(std::uint16_t seq, std::uint32_t timestamp, rtp::Bytes payload, double arrival_ms,
                       std::uint32_t ssrc, bool marker) {
    ++stats_.received;
    if (!std::isfinite(arrival_ms)) throw RtpError("arrival ms", "must be finite");
    if (!have_ssrc_ || ssrc != ssrc_) {
        if (have_ssrc_) {
            resync();
            ++stats_.resyncs;
        }
        have_ssrc_ = true;
        ssrc_ = ssrc;
    }
    std::int64_t ext = seq_unwrap_.unwrap(seq);
    const std::int64_t ref = started_ ? next_seq_ : (count_ == 0 ? ext : lo_);
    if (std::llabs(ext - ref) > kMaxDropout) {  // the sender restarted its sequence numbers
        resync();
        ++stats_.resyncs;
        ext = seq_unwrap_.unwrap(seq);
    }
    const std::int64_t ts_ext = ts_unwrap_.unwrap(timestamp);
    // Late packets count too: they are the very delays the target has to cover.
    delay_.update(arrival_ms, static_cast<double>(ts_ext) * 1000.0 / config_.clock_rate);

    if (started_ && ext < next_seq_) {
        if (marked(played_, ext)) {
            ++stats_.duplicated;
        } else {
            ++stats_.late;
            if (marked(skipped_, ext) && stats_.lost > 0) --stats_.lost;
            skipped_[ext & 511] = -1;
        }
        return;
    }
    if (find(ext)) {
        ++stats_.duplicated;
        return;
    }
    const std::int64_t newest = count_ == 0 ? ext : std::max(hi_, ext);
    if (ext < newest - capacity_ + 1) {  // older than the window: stored and dropped at once
        ++stats_.discarded;
        return;
    }
    enforce_capacity(newest);  // frees the window (and so the slot) for ext
    Stored& s = slots_[static_cast<std::size_t>(ext) & mask_];
    s.used = true;
    s.ext = ext;
    s.timestamp = timestamp;
    s.ts_ext = ts_ext;
    s.payload.assign(payload.begin(), payload.end());
    s.arrival_ms = arrival_ms;
    s.marker = marker;
    if (count_++ == 0) {
        lo_ = hi_ = ext;
    } else {
        lo_ = std::min(lo_, ext);
        hi_ = std::max(hi_, ext);
    }
}

void JitterBuffer::enforce_capacity(std::int64_t newest) {
    const std::int64_t oldest_allowed = newest - capacity_ + 1;
    if (count_ > 0 && lo_ < oldest_allowed) {
        if (hi_ < oldest_allowed) {  // everything stored is out of the window
            stats_.discarded += count_;
            clear_packets();
        } else {
            while (count_ > 0 && lo_ < oldest_allowed) {
                erase(lo_);
                ++stats_.discarded;
            }
        }
    }
    if (started_ && next_seq_ < oldest_allowed) {
        // Frames the window pushes past were lost; the frames concealed while holding the
        // playout point (an outage) stand in for them, as in get(), so that credit is spent,
        // not dropped: dropping it would conceal the outage a second time, frame by frame.
        const std::int64_t jumped = oldest_allowed - next_seq_;
        next_ts_ += jumped * frame_samples_;
        next_seq_ = oldest_allowed;
        stats_.lost += static_cast<std::uint64_t>(jumped);
        hold_credit_ = static_cast<int>(std::max<std::int64_t>(0, hold_credit_ - jumped));
        stall_credit_ = std::min(stall_credit_, hold_credit_);
    }
}

void JitterBuffer::advance() {
    ++next_seq_;
    next_ts_ += frame_samples_;
}

void JitterBuffer::choose_stretch(Frame& f, double offset, double pending, double target) {
    // get() runs on the output's frame clock, so the offset seen here only moves in whole frames;
    // the sub-frame part of the delay is the caller's pending audio. Accelerate while a whole
    // frame less would still meet the target, or to drain pending audio; decelerate as soon as the
    // offset is (a hysteresis) below the target. Accelerations remove a quarter frame (half a
    // frame when far above the target), at most every accelerate_interval frames.
    const double frame = config_.frame_ms;
    const double step = (frame_samples_ / 4) * 1000.0 / config_.clock_rate;
    ++since_stretch_;
    if (offset >= target + 3.0 * frame) {
        f.stretch = Stretch::Accelerate;
        f.stretch_samples = frame_samples_ / 2;
    } else if ((offset >= target + frame || (offset >= target && pending >= step)) && since_stretch_ >= config_.accelerate_interval) {
        f.stretch = Stretch::Accelerate;
        f.stretch_samples = frame_samples_ / 4;
    } else if (offset < target - kDecelerateHysteresisMs) {
        f.stretch = Stretch::Decelerate;
        f.stretch_samples = frame_samples_ / 4;
    } else {
        return;
    }
    const double ms_to_samples = config_.clock_rate / 1000.0;
    const double pending_samples = std::max(0.0, pending) * ms_to_samples;
    if (f.stretch == Stretch::Accelerate) {
        // Everything above the lowest playout point that still meets the target.
        const double excess = pending_samples + std::floor(std::max(0.0, offset - target) / frame) * frame_samples_;
        f.quiet_samples = static_cast<std::uint32_t>(std::min<double>(frame_samples_, excess));
    } else {
        // What is missing to the next playout point up: no pending audio left after it.
        f.quiet_samples = static_cast<std::uint32_t>(std::max(0.0, frame_samples_ - pending_samples));
    }
    ++(f.stretch == Stretch::Accelerate ? stats_.accelerated : stats_.decelerated);
    since_stretch_ = 0;
}

void JitterBuffer::shorten_silence(Frame& f, double pending_ms) const {
    // Audio still pending from a stretched frame delays whatever plays next by that much; in a
    // silence gap it costs nothing to drop it (the gap is shorter by under a frame), so the next
    // talk spurt starts on the output tick instead of that much after it.
    const auto pending = static_cast<std::uint32_t>(std::max(0.0, pending_ms) * config_.clock_rate / 1000.0);
    if (pending > 0 && pending < frame_samples_) f.samples = frame_samples_ - pending;
}

Frame JitterBuffer::get(double now_ms, double pending_ms) {
    Frame f;
    get(now_ms, pending_ms, f);
    return f;
}

void JitterBuffer::get(double now_ms, double pending_ms, Frame& f) {
    f.kind = FrameKind::Silence;
    f.stretch = Stretch::None;
    f.stretch_samples = 0;
    f.quiet_samples = 0;
    f.sequence_number = 0;
    f.timestamp = 0;
    f.marker = false;
    f.payload.clear();
    f.next_available = false;
    f.next_payload.clear();
    f.samples = frame_samples_;
    f.ssrc = ssrc_;
    const double target = target_delay_ms();
    if (!started_) {
        if (count_ == 0 || offset_ms(now_ms, oldest().ts_ext) < target) {
            ++stats_.silence;
            return;
        }
        started_ = true;
        next_seq_ = lo_;
        next_ts_ = oldest().ts_ext;
    }
    for (;;) {
        offset_ms_ = offset_ms(now_ms, next_ts_);
        f.sequence_number = static_cast<std::uint16_t>(next_seq_);
        f.timestamp = static_cast<std::uint32_t>(next_ts_);
        if (Stored* found = find(next_seq_)) {
            Stored& p = *found;
            const std::int64_t gap = p.ts_ext - next_ts_;
            if (gap > 0 && gap <= std::int64_t{config_.clock_rate} * 60) {
                // A silence (DTX) gap before this talk spurt: start it once its own offset reaches
                // the target, so the delay adapts here without touching speech.
                hold_credit_ = stall_credit_ = 0;
                skipping_ = false;
                expand_run_ = 0;
                if (offset_ms(now_ms, p.ts_ext) < target) {
                    ++stats_.silence;
                    shorten_silence(f, pending_ms);
                    return;
                }
            }
            const bool stalled = stall_credit_ >= (skipping_ ? 1 : 2) && offset_ms_ >= target - config_.frame_ms / 2.0;
            // A packet that came just too late for its tick (a hold of one frame, the packet
            // after it is here): when the tick before still meets the target, its concealment has
            // played and keeping it would add a frame of delay to stretch away: drop it as
            // speexdsp drops a late packet. Otherwise (the target has risen) it plays.
            const bool one_late = hold_credit_ >= 1 && offset_ms_ - config_.frame_ms >= target &&
                                  find(next_seq_ + 1) != nullptr;
            if ((stalled || one_late) && gap == 0) {
                // After an underrun of two frames or more with an empty buffer (a stall, not a
                // packet a little late or a wait for a reordered one), the frames concealed while
                // the playout point was held already stand in for this packet's media time, and
                // playing it would keep the stall as extra delay, stretched away over many frames
                // (moving the speech in time: PESQ hears that). Drop it instead while the offset is
                // nearer the target than one frame lower would be: playout is back on the tick
                // nearest the target at once, as a NetEq merge after an expand is.
                --hold_credit_;
                --stall_credit_;
                skipping_ = true;
                erase(next_seq_);
                mark(skipped_, next_seq_);
                ++stats_.discarded;
                advance();
                continue;
            }
            next_ts_ = p.ts_ext;  // also absorbs timestamp discontinuities
            offset_ms_ = offset_ms(now_ms, next_ts_);
            f.kind = FrameKind::Packet;
            f.timestamp = p.timestamp;
            f.marker = p.marker;
            f.payload.assign(p.payload.begin(), p.payload.end());
            erase(next_seq_);
            mark(played_, next_seq_);
            advance();
            hold_credit_ = stall_credit_ = 0;
            skipping_ = false;
            expand_run_ = 0;
            ++stats_.played;
            choose_stretch(f, offset_ms_, pending_ms, target);
            return;
        }
        const bool future = count_ > 0;  // every stored key is beyond next_seq_
        if (future && hold_credit_ > 0) {
            // The frames concealed while the playout point was held stand in for this lost one.
            --hold_credit_;
            stall_credit_ = std::min(stall_credit_, hold_credit_);
            mark(skipped_, next_seq_);
            ++stats_.lost;
            advance();
            continue;
        }
        expand_run_ = std::min(expand_run_ + 1, 1 << 20);
        const bool expand_ok = expand_run_ * config_.frame_ms <= config_.max_expand_ms;
        if (future && offset_ms_ >= target) {
            // Lost (or later than the target allows): conceal it and move on.
            f.kind = FrameKind::Conceal;
            if (const Stored* nx = find(next_seq_ + 1)) {
                f.next_available = true;
                f.next_payload.assign(nx->payload.begin(), nx->payload.end());
            }
            mark(skipped_, next_seq_);
            ++stats_.lost;
            ++stats_.concealed;
            advance();
            return;
        }
        // Underrun, or waiting for a reordered packet while below target: conceal without moving
        // the playout point, so the packet still plays when it comes and the offset grows.
        ++hold_credit_;
        if (!future) ++stall_credit_;
        f.kind = expand_ok ? FrameKind::Conceal : FrameKind::Silence;
        ++(expand_ok ? stats_.concealed : stats_.silence);
        return;
    }
}

}  // namespace siperb::jbuf
