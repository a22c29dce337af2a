#include "media/rtp_dtmf.hpp"

#include "common/error.hpp"

#include <algorithm>

namespace siperb::media {

void OutgoingDtmf::queue(std::deque<DtmfRequest>& digits) {
    for (auto& d : digits) queue_.push_back(d);
    digits.clear();
}

std::span<const rtp::DtmfPacket> OutgoingDtmf::next(const StreamParams& p, std::uint32_t ts, SessionStats& st) {
    if (p.telephone_event_pt < 0) {
        queue_.clear();
        return {};
    }
    if (next_ >= packets_.size()) {
        if (gap_ticks_ > 0) {
            --gap_ticks_;
            return {};
        }
        if (queue_.empty()) return {};
        const DtmfRequest r = queue_.front();
        queue_.pop_front();
        try {
            rtp::DtmfSender sender(p.telephone_event_rate, p.ptime, std::min<std::uint8_t>(r.volume, 63));
            packets_ = sender.packets(r.digit, std::max<std::uint32_t>(r.duration_ms, p.ptime), ts);
        } catch (const Error&) {
            packets_.clear();
        }
        next_ = 0;
        ++st.dtmf_sent;
        gap_ticks_ = (50 + p.ptime - 1) / p.ptime;  // >= 50 ms of audio between digits
        if (packets_.empty()) return {};
    }
    const std::size_t first = next_++;
    while (packets_[first].event.end && next_ < packets_.size() && packets_[next_].event.end) ++next_;
    return std::span<const rtp::DtmfPacket>(packets_).subspan(first, next_ - first);
}

void IncomingDtmf::set_clock_rate(std::uint32_t rate) {
    if (!detector_ || detector_->clock_rate() != rate) detector_ = std::make_unique<rtp::DtmfDetector>(rate);
}

bool IncomingDtmf::on_packet(std::uint32_t timestamp, std::span<const std::uint8_t> payload, StreamEvents& events,
                             SessionStats& st) {
    std::vector<rtp::DtmfDigit> digits;
    try {
        digits = detector_->push(timestamp, payload);
    } catch (const Error&) {
        return false;
    }
    for (const auto& d : digits) {
        MediaEvent e;
        e.type = MediaEventType::Dtmf;
        e.digit = d.digit;
        e.ended = d.ended;
        e.volume = d.volume;
        e.value = d.event;
        e.duration_ms = static_cast<std::uint32_t>(std::uint64_t{d.duration} * 1000 / detector_->clock_rate());
        ++st.dtmf_received;
        events.push(e);
    }
    return true;
}

}  // namespace siperb::media
