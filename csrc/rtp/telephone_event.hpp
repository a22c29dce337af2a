// RFC 4733 telephone-event payload, the sender's packet sequence for one digit and a detector
// that reports each digit once from a lossy, reordered, duplicated packet stream.
#pragma once

#include "rtp/bytes.hpp"

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

namespace siperb::rtp {

struct TelephoneEvent {
    std::uint8_t event = 0;     // 0-9, 10 '*', 11 '#', 12-15 'A'-'D' (other codes per RFC 4734)
    bool end = false;
    std::uint8_t volume = 0;    // 0-63, in -dBm0
    std::uint16_t duration = 0; // timestamp units since the event's timestamp

    static TelephoneEvent parse(Bytes payload);  // throws RtpError on fewer than 4 bytes
    std::vector<std::uint8_t> build() const;     // throws RtpError on volume > 63
};

// '0'-'9', '*', '#', 'A'-'D' <-> 0-15. event_from_digit throws RtpError for anything else.
std::uint8_t event_from_digit(char digit);
char digit_from_event(std::uint8_t event);  // '\0' for codes above 15

struct DtmfPacket {
    bool marker = false;
    std::uint32_t timestamp = 0;
    TelephoneEvent event;
};

class DtmfSender {
public:
    DtmfSender(std::uint32_t clock_rate = 8000, std::uint32_t packet_ms = 20, std::uint8_t volume = 10,
               unsigned end_repeats = 3);
    // The packets for one digit starting at RTP timestamp `timestamp`, one per packet time:
    // first with the marker bit, updates with growing duration, then the end packet
    // `end_repeats` times. The caller gives each a new sequence number.
    std::vector<DtmfPacket> packets(char digit, std::uint32_t duration_ms, std::uint32_t timestamp) const;

private:
    std::uint32_t clock_rate_, packet_samples_;
    std::uint8_t volume_;
    unsigned end_repeats_;
};

struct DtmfDigit {
    char digit = 0;             // '\0' for non-DTMF event codes
    std::uint8_t event = 0;
    std::uint32_t timestamp = 0;
    std::uint32_t duration = 0; // timestamp units
    std::uint8_t volume = 0;
    bool ended = false;         // false when the end packets were all lost
};

class DtmfDetector {
public:
    explicit DtmfDetector(std::uint32_t clock_rate = 8000) : clock_rate_(clock_rate) {}
    // One telephone-event RTP packet (its timestamp and payload). Returns the digits completed
    // by it: at its end packet, or an unfinished earlier event when a newer one starts.
    std::vector<DtmfDigit> push(std::uint32_t timestamp, Bytes payload);
    // The digit still in progress, if any (e.g. at the end of the stream).
    std::vector<DtmfDigit> flush();
    std::uint32_t clock_rate() const { return clock_rate_; }

private:
    bool reported(std::uint32_t ts) const;
    DtmfDigit finish(DtmfDigit d);

    std::uint32_t clock_rate_;
    std::optional<DtmfDigit> current_;
    std::deque<std::uint32_t> done_;  // timestamps already reported (most recent last)
};

}  // namespace siperb::rtp
