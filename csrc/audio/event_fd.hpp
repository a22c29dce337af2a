// A non-blocking Linux eventfd (RAII): a wake-up an event loop can poll, signalled from a
// real-time thread with one non-blocking write(2).
#pragma once

namespace siperb::audio {

class EventFd {
public:
    EventFd();  // throws MediaError("eventfd", ...)
    EventFd(const EventFd&) = delete;
    EventFd& operator=(const EventFd&) = delete;
    ~EventFd();

    int fd() const noexcept { return fd_; }
    void signal() noexcept;
    void clear() noexcept;
    // Waits until readable or timeout_ms (< 0: forever); true if readable. Retries on EINTR.
    bool wait(int timeout_ms) const noexcept;

private:
    int fd_ = -1;
};

}  // namespace siperb::audio
