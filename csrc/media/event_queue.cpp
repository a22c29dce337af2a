#include "media/event_queue.hpp"

#include "common/error.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace siperb::media {

const char* to_string(MediaEventType t) noexcept {
    switch (t) {
    case MediaEventType::Dtmf: return "dtmf";
    case MediaEventType::Timeout: return "timeout";
    case MediaEventType::RtpResumed: return "rtp_resumed";
    case MediaEventType::IcmpError: return "icmp_error";
    case MediaEventType::SourceEnded: return "source_ended";
    case MediaEventType::RemoteAddressChanged: return "remote_address_changed";
    case MediaEventType::RtcpBye: return "rtcp_bye";
    case MediaEventType::Stats: return "stats";
    case MediaEventType::IceState: return "ice_state";
    case MediaEventType::DtlsState: return "dtls_state";
    case MediaEventType::ConsentLost: return "consent_lost";
    case MediaEventType::SelectedPair: return "selected_pair";
    }
    return "unknown";
}

EventQueue::EventQueue(std::size_t capacity) : ring_(capacity == 0 ? 1 : capacity) {
    fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd_ < 0) throw MediaError("eventfd", std::strerror(errno));
}

EventQueue::~EventQueue() {
    if (fd_ >= 0) ::close(fd_);
}

bool EventQueue::push(const MediaEvent& e) noexcept {
    bool wake = false;
    {
        std::lock_guard lock(mu_);
        if (size_ == ring_.size()) {
            dropped_.fetch_add(1, std::memory_order_relaxed);
            return false;
        }
        ring_[(head_ + size_) % ring_.size()] = e;
        wake = size_++ == 0;
    }
    if (wake) {
        const std::uint64_t one = 1;
        [[maybe_unused]] auto r = ::write(fd_, &one, sizeof one);  // EAGAIN: already readable
    }
    return true;
}

std::vector<MediaEvent> EventQueue::drain(std::size_t max) {
    std::uint64_t counter = 0;
    [[maybe_unused]] auto r = ::read(fd_, &counter, sizeof counter);
    std::vector<MediaEvent> out;
    std::lock_guard lock(mu_);
    const std::size_t n = std::min(max, size_);
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) out.push_back(ring_[(head_ + i) % ring_.size()]);
    head_ = (head_ + n) % ring_.size();
    size_ -= n;
    if (size_ > 0) {  // left some behind: stay readable
        const std::uint64_t one = 1;
        r = ::write(fd_, &one, sizeof one);
    }
    return out;
}

}  // namespace siperb::media
