// Which address a stream's RTP is taken from. Packets from the source in force (at first the
// negotiated remote) are accepted; another address is latched only after kPackets consecutive,
// in-sequence packets of one SSRC from it while the source in force has been silent for
// kQuietNs (or never sent): the NAT case, where the peer's media comes from elsewhere than
// its SDP says, without letting a stray or hostile stream take the call over. An SRTP packet
// that authenticated comes from the key holder and latches at once. Engine thread only; no
// allocation (addresses are plain values).
#pragma once

#include "net/udp_socket.hpp"

#include <cstdint>

namespace siperb::media {

class SourceLatch {
public:
    static constexpr int kPackets = 4;
    static constexpr std::int64_t kQuietNs = 250'000'000;

    // The source in force changes (negotiated, or set by the application): nothing heard yet.
    void reset(const net::SocketAddress& source) noexcept {
        source_ = source;
        last_ns_ = -1;
        count_ = 0;
    }
    const net::SocketAddress& source() const noexcept { return source_; }
    // When the source in force was last heard (-1: not since it became the source).
    std::int64_t last_heard_ns() const noexcept { return last_ns_; }

    // True when the packet is to be taken; latched() then says whether from is a new source.
    bool accept(const net::SocketAddress& from, std::uint32_t ssrc, std::uint16_t seq, bool authenticated,
                std::int64_t now_ns) noexcept {
        latched_ = false;
        if (from == source_) {
            last_ns_ = now_ns;
            count_ = 0;  // the source in force is alive: a candidate starts over
            return true;
        }
        if (!authenticated) {
            const bool next = count_ > 0 && from == candidate_ && ssrc == ssrc_ && seq == static_cast<std::uint16_t>(seq_ + 1);
            count_ = next ? count_ + 1 : 1;
            candidate_ = from;
            ssrc_ = ssrc;
            seq_ = seq;
            const bool quiet = last_ns_ < 0 || now_ns - last_ns_ >= kQuietNs;
            if (count_ < kPackets || !quiet) return false;
        }
        reset(from);
        last_ns_ = now_ns;
        latched_ = true;
        return true;
    }
    bool latched() const noexcept { return latched_; }

private:
    net::SocketAddress source_, candidate_;
    std::int64_t last_ns_ = -1;
    int count_ = 0;
    std::uint32_t ssrc_ = 0;
    std::uint16_t seq_ = 0;
    bool latched_ = false;
};

}  // namespace siperb::media
