// One jitter-buffer decision turned into audio: decode the packet, conceal (codec PLC, or Opus
// FEC from the next packet), or play silence, then apply the buffer's time-stretch hint. Shared
// by the engine's receive chain (RtpReceiver) and the trace replay, so both play the same way.
#pragma once

#include "jbuf/jitter_buffer.hpp"
#include "media/codec_unit.hpp"
#include "media/session_stats.hpp"

#include <cstdint>
#include <span>

namespace siperb::media {

struct PlayoutOptions {
    std::uint32_t clock = 8000;  // RTP clock of the frame's timestamps and samples
    bool time_stretch = true;
    bool opus_fec = false;  // counts FEC recoveries (the decoder uses next_payload either way)
};

// Decodes f with dec into dec_buf (room for dec.max_samples()) and, for a stretch hint, stretches
// into stretch_buf (room for half as much again; a near-silent frame is cut or repeated by
// f.quiet_samples instead, by as much as fits there). Counts into st's frames_* / accelerated /
// decelerated / fec_recovered. Returns the audio to append to the sync buffer (may be empty).
std::span<const std::int16_t> play_frame(const jbuf::Frame& f, AudioDecoder& dec, const PlayoutOptions& o,
                                         std::span<std::int16_t> dec_buf, std::span<std::int16_t> stretch_buf,
                                         SessionStats& st) noexcept;

}  // namespace siperb::media
