// What a stream's parts need to report to the application: events for one session onto the
// engine's queue (none when the stream runs without one, as in the fuzzer). Never blocks.
#pragma once

#include "media/event_queue.hpp"
#include "net/udp_socket.hpp"

#include <cstdint>
#include <cstdio>

namespace siperb::media {

class StreamEvents {
public:
    StreamEvents(std::uint64_t session, EventQueue* queue) noexcept : session_(session), queue_(queue) {}

    std::uint64_t session() const noexcept { return session_; }

    void emit(MediaEventType t, std::int64_t value = 0, const net::SocketAddress* addr = nullptr) noexcept {
        if (!queue_) return;
        MediaEvent e;
        e.type = t;
        e.value = value;
        if (addr) {
            addr->host_into(e.address.data(), e.address.size());
            e.port = addr->port();
        }
        push(e);
    }

    void emit_text(MediaEventType t, std::int64_t value, const char* text) noexcept {
        if (!queue_) return;
        MediaEvent e;
        e.type = t;
        e.value = value;
        if (text) std::snprintf(e.reason.data(), e.reason.size(), "%s", text);
        push(e);
    }

    // e.session is set here.
    void push(MediaEvent& e) noexcept {
        if (!queue_) return;
        e.session = session_;
        queue_->push(e);
    }

private:
    std::uint64_t session_;
    EventQueue* queue_;
};

}  // namespace siperb::media
