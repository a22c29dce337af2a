#include "rtp/telephone_event.hpp"

#include "common/error.hpp"
#include "rtp/seq.hpp"

#include <algorithm>
#include <string>

namespace siperb::rtp {

namespace {
constexpr char kDigits[] = "0123456789*#ABCD";
constexpr std::size_t kRemembered = 64;
}  // namespace

TelephoneEvent TelephoneEvent::parse(Bytes payload) {
    if (payload.size() < 4)
        throw RtpError("telephone-event", "truncated: " + std::to_string(payload.size()) + " bytes, needs 4");
    TelephoneEvent e;
    e.event = payload[0];
    e.end = (payload[1] & 0x80) != 0;
    e.volume = payload[1] & 0x3F;  // the R bit is ignored on receipt
    e.duration = read16(payload.data() + 2);
    return e;
}

std::vector<std::uint8_t> TelephoneEvent::build() const {
    if (volume > 63) throw RtpError("volume", "must be 0-63, got " + std::to_string(volume));
    std::vector<std::uint8_t> out{event, static_cast<std::uint8_t>((end ? 0x80 : 0) | volume)};
    write16(out, duration);
    return out;
}

std::uint8_t event_from_digit(char digit) {
    const char d = (digit >= 'a' && digit <= 'd') ? static_cast<char>(digit - 'a' + 'A') : digit;
    for (std::uint8_t i = 0; i < 16; ++i)
        if (kDigits[i] == d) return i;
    throw RtpError("digit", std::string("not a DTMF digit: '") + digit + "'");
}

char digit_from_event(std::uint8_t event) { return event < 16 ? kDigits[event] : '\0'; }

DtmfSender::DtmfSender(std::uint32_t clock_rate, std::uint32_t packet_ms, std::uint8_t volume, unsigned end_repeats)
    : clock_rate_(clock_rate), packet_samples_(clock_rate * packet_ms / 1000), volume_(volume),
      end_repeats_(end_repeats) {
    if (packet_samples_ == 0) throw RtpError("packet time", "must be at least one sample");
    if (volume > 63) throw RtpError("volume", "must be 0-63");
    if (end_repeats == 0) throw RtpError("end repeats", "at least one end packet");
}

std::vector<DtmfPacket> DtmfSender::packets(char digit, std::uint32_t duration_ms, std::uint32_t timestamp) const {
    const std::uint8_t code = event_from_digit(digit);
    const std::uint64_t total = std::uint64_t{duration_ms} * clock_rate_ / 1000;
    if (total == 0) throw RtpError("duration", "must be positive");
    if (total > 0xFFFF) throw RtpError("duration", "exceeds 65535 timestamp units; send it as several events");
    std::vector<DtmfPacket> out;
    std::uint32_t d = packet_samples_;
    for (; d < total; d += packet_samples_)
        out.push_back({out.empty(), timestamp, {code, false, volume_, static_cast<std::uint16_t>(d)}});
    for (unsigned i = 0; i < end_repeats_; ++i)
        out.push_back({out.empty(), timestamp, {code, true, volume_, static_cast<std::uint16_t>(total)}});
    return out;
}

bool DtmfDetector::reported(std::uint32_t ts) const {
    return std::find(done_.begin(), done_.end(), ts) != done_.end();
}

DtmfDigit DtmfDetector::finish(DtmfDigit d) {
    done_.push_back(d.timestamp);
    if (done_.size() > kRemembered) done_.pop_front();
    return d;
}

std::vector<DtmfDigit> DtmfDetector::push(std::uint32_t timestamp, Bytes payload) {
    const TelephoneEvent ev = TelephoneEvent::parse(payload);
    std::vector<DtmfDigit> out;
    if (reported(timestamp)) return out;  // late update or end retransmission of a reported digit
    if (current_ && current_->timestamp == timestamp) {
        current_->duration = std::max<std::uint32_t>(current_->duration, ev.duration);
        if (ev.end) {
            current_->ended = true;
            out.push_back(finish(*current_));
            current_.reset();
        }
        return out;
    }
    const DtmfDigit d{digit_from_event(ev.event), ev.event, timestamp, ev.duration, ev.volume, ev.end};
    if (current_ && ts_newer(current_->timestamp, timestamp)) {
        // A straggler of an older event we never saw end: report it now, keep the current one.
        out.push_back(finish(d));
        return out;
    }
    if (current_) {  // a newer event started: the current one's end packets were lost
        out.push_back(finish(*current_));
        current_.reset();
    }
    if (ev.end)
        out.push_back(finish(d));
    else
        current_ = d;
    return out;
}

std::vector<DtmfDigit> DtmfDetector::flush() {
    std::vector<DtmfDigit> out;
    if (current_) out.push_back(finish(*current_));
    current_.reset();
    return out;
}

}  // namespace siperb::rtp
