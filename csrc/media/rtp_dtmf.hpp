// RFC 4733 telephone-events of one stream, in both directions: the digits queued to send,
// turned into packets one packet time at a time, and the events received, turned into Dtmf
// events. Its own unit because neither direction needs the audio path's state, and the sender
// and receiver stay about audio.
#pragma once

#include "media/session_config.hpp"
#include "media/session_stats.hpp"
#include "media/stream_events.hpp"
#include "rtp/telephone_event.hpp"

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <vector>

namespace siperb::media {

struct DtmfRequest {
    char digit = 0;
    std::uint32_t duration_ms = 100;
    std::uint8_t volume = 10;
};

class OutgoingDtmf {
public:
    void queue(std::deque<DtmfRequest>& digits);  // appends (moves from) digits
    // The telephone-event packets of this packet time, empty when audio goes out instead (no
    // digit, or the gap after one). A new digit starts at timestamp ts and counts in
    // st.dtmf_sent. The end packet's repeats come in the same span (sent in one packet time).
    std::span<const rtp::DtmfPacket> next(const StreamParams& p, std::uint32_t ts, SessionStats& st);
    // The digit's last packet has gone out (the next audio packet starts a talk spurt).
    bool digit_done() const noexcept { return next_ >= packets_.size(); }

private:
    std::deque<DtmfRequest> queue_;
    std::vector<rtp::DtmfPacket> packets_;
    std::size_t next_ = 0;
    unsigned gap_ticks_ = 0;
};

class IncomingDtmf {
public:
    // The telephone-event clock (follows the negotiated rate).
    void set_clock_rate(std::uint32_t rate);
    // One telephone-event payload; false if it is malformed.
    bool on_packet(std::uint32_t timestamp, std::span<const std::uint8_t> payload, StreamEvents& events,
                   SessionStats& st);

private:
    std::unique_ptr<rtp::DtmfDetector> detector_;
};

}  // namespace siperb::media
