// Offline replay of a network trace through the receive chain: the packets (sequence number,
// timestamp, arrival time, payload) go into a jitter buffer as they arrive, and an output clock
// pulls one packet time every ptime ms through decode / PLC / FEC / time stretch (play_frame, as
// the engine does). Returns the played PCM and what happened, so a network (recorded or
// synthetic) can be judged by ear or by PESQ, and siperb's buffer compared with speexdsp's on
// the very same packets. No sockets, no threads, no wall clock: the same trace gives the same
// PCM every time.
#pragma once

#include "jbuf/jitter_buffer.hpp"
#include "media/codec_unit.hpp"

#include <cstdint>
#include <vector>

namespace siperb::media {

struct ReplayPacket {
    std::uint16_t sequence_number = 0;
    std::uint32_t timestamp = 0;
    double arrival_ms = 0;
    std::vector<std::uint8_t> payload;
    bool marker = false;
};

enum class ReplayBuffer : std::uint8_t { Siperb, Speex };

struct ReplayConfig {
    CodecKind codec = CodecKind::Pcmu;
    std::uint32_t ptime_ms = 20;
    int decode_rate = 8000;         // Opus: 8/12/16/24/48 kHz; G.711: 8000
    ReplayBuffer buffer = ReplayBuffer::Siperb;
    jbuf::JitterBufferConfig jitter{};  // siperb's buffer (clock_rate and frame_ms are set here)
    bool time_stretch = true;
    double clock_phase_ms = 0;      // first output tick (the sound card's phase)
    double output_skew = 0;         // the output clock runs (1 + skew) times nominal speed
    double tail_ms = 1000;          // keep playing this long after the last arrival
};

struct ReplayResult {
    std::vector<std::int16_t> pcm;  // from the first tick on, at sample_rate
    int sample_rate = 8000;
    double first_tick_ms = 0;
    // Frames (packet times) from the first played packet on: decoded packets, concealed ones
    // (lost, late or a buffer underrun) and silence (DTX gaps, before start, long outages).
    std::uint64_t frames = 0, played = 0, concealed = 0, silence = 0;
    std::uint64_t accelerated = 0, decelerated = 0;
    std::uint64_t received = 0, late = 0, duplicated = 0, discarded = 0;
    // Buffer delay of the played packets: when their audio starts playing minus their arrival.
    double mean_delay_ms = 0, max_delay_ms = 0;
    double concealed_percent() const noexcept {
        return played + concealed == 0 ? 0.0 : 100.0 * double(concealed) / double(played + concealed);
    }
};

// Packets in any order (sorted by arrival here; equal arrivals keep their order). MediaError for
// an empty trace, a non-finite arrival, a codec the buffer cannot replay or a bad option.
ReplayResult replay(std::vector<ReplayPacket> packets, const ReplayConfig& config);

}  // namespace siperb::media
