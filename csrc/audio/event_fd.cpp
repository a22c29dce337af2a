// eventfd(2) behind RAII.
#include "audio/event_fd.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>

#include "common/error.hpp"

namespace siperb::audio {

EventFd::EventFd() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (fd_ < 0) throw MediaError("eventfd", std::strerror(errno));
}

EventFd::~EventFd() { ::close(fd_); }

void EventFd::signal() noexcept {
    const std::uint64_t one = 1;
    // Cannot block (EFD_NONBLOCK); EAGAIN means the counter is already huge, i.e. signalled.
    [[maybe_unused]] const auto n = ::write(fd_, &one, sizeof one);
}

void EventFd::clear() noexcept {
    std::uint64_t v = 0;
    [[maybe_unused]] const auto n = ::read(fd_, &v, sizeof v);
}

bool EventFd::wait(int timeout_ms) const noexcept {
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms);
    for (;;) {
        int left = -1;
        if (timeout_ms >= 0) {
            left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
            if (left < 0) left = 0;
        }
        pollfd p{fd_, POLLIN, 0};
        const int r = ::poll(&p, 1, left);
        if (r > 0) return true;
        if (r == 0) return false;
        if (errno != EINTR) return false;
    }
}

}  // namespace siperb::audio
