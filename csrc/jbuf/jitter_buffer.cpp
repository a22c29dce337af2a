#include "jbuf/jitter_buffer.hpp"

#include "common/error.hpp"

#include <algorithm>
#include <cmath>

namespace siperb::jbuf {

namespace {
constexpr std::int64_t kMaxDropout = 3000;  // RFC 3550 A.1: a larger jump restarts the stream
}

JitterBuffer::JitterBuffer(JitterBufferConfig config)
    : config_(config), frame_samples_(config.clock_rate * config.frame_ms / 1000),
      delay_(DelayManagerConfig{config.quantile, config.forget_factor, 10, 2000,
                                static_cast<int>(std::max<std::uint32_t>(config.max_delay_ms, 100))}) {
    if (config.clock_rate < 1000 || config.clock_rate > 192000) throw RtpError("clock rate", "must be 1000-192000 Hz");
    if (config.frame_ms == 0 || config.frame_ms > 200) throw RtpError("frame ms", "must be 1-200 ms");
    if (frame_samples_ == 0) throw RtpError("frame ms", "shorter than one sample");
    if (config.max_delay_ms < config.min_delay_ms) throw RtpError("max delay ms", "below min delay");
    if (!(config.quantile > 0.0 && config.quantile < 1.0)) throw RtpError("quantile", "must be in (0, 1)");
    played_.fill(-1);
    skipped_.fill(-1);
}

double JitterBuffer::target_delay_ms() const {
    const double measured = delay_.packets() < 2 ? config_.start_delay_ms : config_.frame_ms + delay_.quantile_ms();
    const double lo = std::max<double>(config_.min_delay_ms, config_.frame_ms);
    return std::clamp(measured, lo, std::max<double>(lo, config_.max_delay_ms));
}

JitterBufferStats JitterBuffer::stats() const {
    JitterBufferStats s = stats_;
    s.current_delay_ms = std::max(0.0, level_filtered_ms_);
    s.target_delay_ms = target_delay_ms();
    return s;
}

void JitterBuffer::reset() {
    resync();
    delay_.reset();
    level_filtered_ms_ = -1;
    have_ssrc_ = false;
    stats_ = {};
}

void JitterBuffer::resync() {
    packets_.clear();
    seq_unwrap_.reset();
    ts_unwrap_.reset();
    delay_.reset_reference();
    started_ = false;
    hold_credit_ = 0;
    expand_run_ = 0;
    played_.fill(-1);
    skipped_.fill(-1);
}

double JitterBuffer::level_ms() const {
    if (packets_.empty() || !started_) return 0;
    return static_cast<double>(packets_.rbegin()->first - next_seq_ + 1) * config_.frame_ms;
}

void JitterBuffer::put(std::uint16_t seq, std::uint32_t timestamp, rtp::Bytes payload, double arrival_ms,
                       std::uint32_t ssrc, bool marker) {
    ++stats_.received;
    if (!have_ssrc_ || ssrc != ssrc_) {
        if (have_ssrc_) {
            resync();
            ++stats_.resyncs;
        }
        have_ssrc_ = true;
        ssrc_ = ssrc;
    }
    std::int64_t ext = seq_unwrap_.unwrap(seq);
    const std::int64_t ref = started_ ? next_seq_ : (packets_.empty() ? ext : packets_.begin()->first);
    if (std::llabs(ext - ref) > kMaxDropout) {  // the sender restarted its sequence numbers
        resync();
        ++stats_.resyncs;
        ext = seq_unwrap_.unwrap(seq);
    }
    const std::int64_t ts_ext = ts_unwrap_.unwrap(timestamp);
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
    auto [it, inserted] = packets_.try_emplace(ext);
    if (!inserted) {
        ++stats_.duplicated;
        return;
    }
    it->second = Stored{timestamp, std::vector<std::uint8_t>(payload.begin(), payload.end()), arrival_ms, marker};
    enforce_capacity();
}

void JitterBuffer::enforce_capacity() {
    const std::int64_t cap = config_.max_delay_ms / config_.frame_ms + 2;
    const std::int64_t newest = packets_.rbegin()->first;
    const std::int64_t oldest_allowed = newest - cap + 1;
    while (!packets_.empty() && packets_.begin()->first < oldest_allowed) {
        packets_.erase(packets_.begin());
        ++stats_.discarded;
    }
    if (started_ && next_seq_ < oldest_allowed) {
        const auto frames = static_cast<std::uint32_t>(oldest_allowed - next_seq_);
        next_seq_ = oldest_allowed;
        next_ts_ += frames * frame_samples_;
        hold_credit_ = 0;
    }
}

void JitterBuffer::advance() {
    ++next_seq_;
    next_ts_ += frame_samples_;
}

void JitterBuffer::choose_stretch(Frame& f) {
    const double target = target_delay_ms();
    const double low = std::max(target * 0.75, target - 85.0);
    const double high = std::max(target, low + config_.frame_ms);
    const double level = level_filtered_ms_;
    ++since_stretch_;
    if (level > high && since_stretch_ >= 2) {
        const bool fast = level > high + 2.0 * config_.frame_ms;
        f.stretch = Stretch::Accelerate;
        f.stretch_samples = fast ? frame_samples_ / 2 : frame_samples_ / 4;
        ++stats_.accelerated;
    } else if (level < low && since_stretch_ >= 2) {
        f.stretch = Stretch::Decelerate;
        f.stretch_samples = frame_samples_ / 4;
        ++stats_.decelerated;
    } else {
        return;
    }
    const double ms = f.stretch_samples * 1000.0 / config_.clock_rate;
    level_filtered_ms_ += f.stretch == Stretch::Accelerate ? -ms : ms;
    since_stretch_ = 0;
}

Frame JitterBuffer::get(double now_ms) {
    Frame f;
    f.samples = frame_samples_;
    f.ssrc = ssrc_;
    const double target = target_delay_ms();
    if (!started_) {
        if (packets_.empty() || now_ms - packets_.begin()->second.arrival_ms < target - config_.frame_ms) {
            ++stats_.silence;
            return f;
        }
        started_ = true;
        next_seq_ = packets_.begin()->first;
        next_ts_ = packets_.begin()->second.timestamp;
        level_filtered_ms_ = -1;
    }
    const double level = level_ms();
    level_filtered_ms_ = level_filtered_ms_ < 0 ? level : 0.9 * level_filtered_ms_ + 0.1 * level;

    for (;;) {
        f.sequence_number = static_cast<std::uint16_t>(next_seq_);
        f.timestamp = next_ts_;
        auto it = packets_.find(next_seq_);
        if (it != packets_.end()) {
            Stored& p = it->second;
            const std::int64_t gap = rtp::ts_diff(p.timestamp, next_ts_);
            if (gap > 0 && gap <= std::int64_t{config_.clock_rate} * 60) {
                // A silence (DTX) gap before this talk spurt: start it when it has waited for the
                // target delay, which is where the delay adapts without touching speech.
                hold_credit_ = 0;
                expand_run_ = 0;
                if (now_ms - p.arrival_ms < target - config_.frame_ms) {
                    ++stats_.silence;
                    return f;
                }
            }
            f.kind = FrameKind::Packet;
            f.timestamp = p.timestamp;
            f.marker = p.marker;
            f.payload = std::move(p.payload);
            packets_.erase(it);
            mark(played_, next_seq_);
            next_ts_ = f.timestamp;
            advance();
            hold_credit_ = 0;
            expand_run_ = 0;
            ++stats_.played;
            choose_stretch(f);
            return f;
        }
        const bool future = !packets_.empty();  // every stored key is beyond next_seq_
        if (future && hold_credit_ > 0) {
            // The frames concealed while we held the playout point stand in for this lost packet.
            --hold_credit_;
            mark(skipped_, next_seq_);
            ++stats_.lost;
            advance();
            continue;
        }
        expand_run_ = std::min(expand_run_ + 1, 1 << 20);
        if (future && level >= target - config_.frame_ms) {
            f.kind = FrameKind::Conceal;
            auto nx = packets_.find(next_seq_ + 1);
            if (nx != packets_.end()) {
                f.next_available = true;
                f.next_payload = nx->second.payload;
            }
            mark(skipped_, next_seq_);
            ++stats_.lost;
            ++stats_.concealed;
            advance();
            return f;
        }
        // Underrun (or a gap while the buffer is low): conceal without moving the playout
        // point, so a late packet still plays and the delay grows by the time waited.
        ++hold_credit_;
        if (expand_run_ * config_.frame_ms <= config_.max_expand_ms) {
            f.kind = FrameKind::Conceal;
            ++stats_.concealed;
        } else {
            ++stats_.silence;
        }
        return f;
    }
}

}  // namespace siperb::jbuf
