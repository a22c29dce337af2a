// Adaptive, codec-agnostic jitter buffer. put() takes RTP packets in any order; get(now) is
// called whenever the audio output needs the next frame (normally once per packet time) and
// returns a decision: a packet to decode, a frame to
// conceal (codec PLC/FEC), or silence (before start, DTX gaps).
//
// The controlled quantity is the playout offset: how much later than the fastest packet of the
// last two seconds the frame plays (now - media time - fastest transit). DelayManager's quantile
// of relative delay is its target. The offset converges through time-stretch hints (accelerate /
// decelerate a decoded frame by stretch_samples), through the length of silences and by holding
// the playout point while concealing an underrun; audio that arrived is skipped only after a
// stall or a packet just too late for its tick, where the concealment played while the buffer
// was empty already filled its time. In a silence gap, pending stretched audio is dropped.
#pragma once

#include "common/block_pool.hpp"
#include "jbuf/delay_manager.hpp"
#include "rtp/bytes.hpp"
#include "rtp/seq.hpp"

#include <array>
#include <cstdint>
#include <vector>

namespace siperb::jbuf {

enum class FrameKind : std::uint8_t { Packet, Conceal, Silence };
enum class Stretch : std::uint8_t { None, Accelerate, Decelerate };

struct Frame {
    FrameKind kind = FrameKind::Silence;
    Stretch stretch = Stretch::None;
    std::uint32_t stretch_samples = 0;  // remove (accelerate) or add (decelerate) this many
    // If the decoded frame is near-silent (a pause in speech), remove or add this many instead
    // (up to a whole frame): the move to the next playout point at once, with no pending audio
    // left over to delay what follows.
    std::uint32_t quiet_samples = 0;
    std::uint32_t samples = 0;          // nominal length of the frame
    std::uint16_t sequence_number = 0;  // of the packet (Packet) or of the missing one (Conceal)
    std::uint32_t timestamp = 0;
    std::uint32_t ssrc = 0;
    bool marker = false;
    std::vector<std::uint8_t> payload;
    // Conceal: the packet after the missing one is buffered; its payload is in next_payload so
    // a codec with in-band FEC (Opus) can recover the lost frame from it.
    bool next_available = false;
    std::vector<std::uint8_t> next_payload;
};

struct JitterBufferConfig {
    std::uint32_t clock_rate = 8000;
    std::uint32_t frame_ms = 20;
    std::uint32_t min_delay_ms = 0;
    std::uint32_t max_delay_ms = 500;
    std::uint32_t start_delay_ms = 40;   // target before any jitter has been measured
    std::uint32_t max_expand_ms = 200;   // after this much concealment in a row, report silence
    // Defaults tuned on benchmarks/jbuf_models.py: the forgetting factor (per packet) keeps about
    // 10 s of memory, so the target rises within a fraction of a second when jitter grows and
    // takes tens of seconds to come back down.
    double quantile = 0.97;
    double forget_factor = 0.998;
    double margin_ms = 4;                // added to the measured quantile
    int accelerate_interval = 1;         // frames between gentle accelerations
    std::uint32_t history_ms = 750;      // window of the fastest-packet reference
};

struct JitterBufferStats {
    double current_delay_ms = 0;  // playout offset at the last get() (see the file comment)
    double target_delay_ms = 0;
    std::uint64_t received = 0, late = 0, lost = 0, duplicated = 0, discarded = 0;
    std::uint64_t played = 0, concealed = 0, silence = 0, accelerated = 0, decelerated = 0, resyncs = 0;
};

class JitterBuffer : public PoolAllocated {
public:
    explicit JitterBuffer(JitterBufferConfig config = {});

    void put(std::uint16_t seq, std::uint32_t timestamp, rtp::Bytes payload, double arrival_ms,
             std::uint32_t ssrc = 0, bool marker = false);
    // now_ms: the time of the call; pending_ms: decoded audio the output still holds ahead of
    // this frame (its sync buffer, which stretching fills or drains by sub-frame amounts).
    Frame get(double now_ms, double pending_ms = 0);
    // The same into out, reusing its payload buffers: no allocation once they have grown (the
    // media engine's per-packet path).
    void get(double now_ms, double pending_ms, Frame& out);
    void reset();

    JitterBufferStats stats() const;
    double target_delay_ms() const;
    std::size_t size() const { return count_; }
    const JitterBufferConfig& config() const { return config_; }

private:
    // Packets live in a ring of slots indexed by extended sequence number: the buffer never holds
    // more than capacity_ consecutive numbers (enforce_capacity), and the ring is larger, so a
    // slot is free whenever its number is in the window. Payload buffers keep their capacity.
    struct Stored {
        bool used = false;
        std::int64_t ext = 0;
        std::uint32_t timestamp = 0;
        std::int64_t ts_ext = 0;
        std::vector<std::uint8_t> payload;
        double arrival_ms = 0;
        bool marker = false;
    };
    Stored* find(std::int64_t ext);
    Stored& oldest() { return slots_[static_cast<std::size_t>(lo_) & mask_]; }
    void erase(std::int64_t ext);
    void clear_packets();
    void resync();
    void advance();  // next_seq_ / next_ts_ one frame on
    void mark(std::array<std::int64_t, 512>& ring, std::int64_t ext) { ring[ext & 511] = ext; }
    bool marked(const std::array<std::int64_t, 512>& ring, std::int64_t ext) const { return ring[ext & 511] == ext; }
    double offset_ms(double now_ms, std::int64_t ts_ext) const;
    void enforce_capacity(std::int64_t newest);
    void choose_stretch(Frame& f, double offset, double pending, double target);
    void shorten_silence(Frame& f, double pending_ms) const;

    JitterBufferConfig config_;
    std::uint32_t frame_samples_;
    DelayManager delay_;
    std::int64_t capacity_;          // consecutive sequence numbers kept (max delay + 2 frames)
    PooledVector<Stored> slots_;     // a power of two larger than capacity_
    std::size_t mask_;
    std::size_t count_ = 0;
    std::int64_t lo_ = 0, hi_ = 0;   // oldest and newest stored (when count_ > 0)
    rtp::SeqUnwrapper seq_unwrap_;
    rtp::TimestampUnwrapper ts_unwrap_;
    bool have_ssrc_ = false;
    std::uint32_t ssrc_ = 0;
    bool started_ = false;
    std::int64_t next_seq_ = 0;
    std::int64_t next_ts_ = 0;  // extended timestamp of the frame to play next
    int hold_credit_ = 0;   // frames concealed while holding the playout point (underrun)
    int stall_credit_ = 0;  // of those, the ones held with an empty buffer (a stall)
    bool skipping_ = false; // dropping the packets a stall's concealment stood in for
    int expand_run_ = 0;
    double offset_ms_ = 0;
    int since_stretch_ = 0;
    std::array<std::int64_t, 512> played_{};
    std::array<std::int64_t, 512> skipped_{};
    JitterBufferStats stats_;
};

}  // namespace siperb::jbuf
