// Stream framing of SIP over TCP/TLS (RFC 3261 18.3): bytes arrive in arbitrary chunks; a
// message ends Content-Length octets after the empty line. CRLF keep-alives (RFC 5626 4.4.1)
// between messages are skipped and counted so the transport can answer a ping with a pong.
#pragma once

#include "sip/message.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace siperb::sip {

class StreamFramer {
public:
    explicit StreamFramer(size_t max_message_size = 65536) : max_(max_message_size) {}

    // Appends a chunk and returns every message it completes. A framing error (negative or
    // unparseable Content-Length, message over the size bound) throws SipParseError and drops
    // the buffered bytes: the connection cannot be resynchronised. A well-framed but malformed
    // message throws too, after the messages completed before it were returned by this call
    // (it stays first in line and raises on the next feed); the stream stays in sync, and
    // rejected() holds that message's octets (for a 400) until the next feed. Messages framed
    // behind a malformed one wait in the buffer: feed an empty chunk to have them.
    std::vector<Message> feed(std::string_view chunk);
    // The octets of the malformed message the last feed threw for; empty after a framing
    // error (the stream is lost) or a feed that did not throw.
    std::string_view rejected() const noexcept { return rejected_; }

    size_t keepalives() const { return pings_; }  // double-CRLF pings seen in total
    size_t take_keepalives();                      // pings since the last take
    size_t buffered() const { return buf_.size() - start_; }
    size_t max_message_size() const { return max_; }
    void reset();

private:
    [[noreturn]] void framing_error(std::string field, std::string reason);
    size_t max_;
    std::string buf_;
    size_t start_ = 0;
    size_t crlf_run_ = 0;
    size_t searched_ = 0;  // octets of the pending message already searched for CRLFCRLF
    size_t pings_ = 0, pings_taken_ = 0;
    std::string rejected_;
};

}  // namespace siperb::sip
