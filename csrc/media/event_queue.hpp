// Events from the engine thread to Python: a bounded ring under a mutex held for a copy only,
// and an eventfd that becomes readable when the ring goes from empty to non-empty. The engine
// never blocks on it (a full ring drops the event and counts it); Python drains it from the
// asyncio loop (EventHub.attach_fd).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

namespace siperb::media {

enum class MediaEventType : std::uint8_t {
    Dtmf,              // digit, duration_ms, volume, ended
    Timeout,           // no RTP for value ms while receiving
    RtpResumed,        // RTP came back after a Timeout
    IcmpError,         // value = errno (ECONNREFUSED, EHOSTUNREACH ...), address/port = offender
    SourceEnded,       // the source returned 0 samples with ended()
    RemoteAddressChanged,  // symmetric RTP learned address/port
    RtcpBye,           // the remote sent RTCP BYE
    Stats,             // periodic statistics tick (read session stats)
    IceState,          // value = ice::IceState
    DtlsState,         // value = dtls::DtlsState, reason = why it failed
    ConsentLost,       // RFC 7675: the remote stopped answering consent checks (end the call)
    SelectedPair,      // address/port = the remote of the pair media now goes to
};

const char* to_string(MediaEventType t) noexcept;

struct MediaEvent {
    MediaEventType type = MediaEventType::Stats;
    std::uint64_t session = 0;
    char digit = 0;
    bool ended = false;
    std::uint8_t volume = 0;
    std::uint32_t duration_ms = 0;
    std::int64_t value = 0;
    std::uint16_t port = 0;
    std::array<char, 48> address{};  // NUL-terminated numeric host
    std::array<char, 96> reason{};   // NUL-terminated text (DTLS failure reason)
};

class EventQueue {
public:
    explicit EventQueue(std::size_t capacity = 4096);
    ~EventQueue();
    EventQueue(const EventQueue&) = delete;
    EventQueue& operator=(const EventQueue&) = delete;

    int fd() const noexcept { return fd_; }
    // Never blocks for longer than a copy; false (and counted) when the ring is full.
    bool push(const MediaEvent& e) noexcept;
    // Clears the eventfd and takes up to max events.
    std::vector<MediaEvent> drain(std::size_t max = SIZE_MAX);
    std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }

private:
    std::mutex mu_;
    std::vector<MediaEvent> ring_;
    std::size_t head_ = 0, size_ = 0;
    std::atomic<std::uint64_t> dropped_{0};
    int fd_ = -1;
};

}  // namespace siperb::media
