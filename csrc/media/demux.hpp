// RFC 7983 (updated by RFC 9443): what a datagram on a WebRTC session's one socket is, by its
// first byte. Everything that is not one of these ranges is dropped and counted by the caller.
// With rtcp-mux (RFC 5761 4) an RTP-range packet whose second byte is 192..223 is RTCP.
#pragma once

#include <cstddef>
#include <cstdint>

namespace siperb::media {

enum class PacketKind : std::uint8_t { Stun, Dtls, TurnChannel, Rtp, Rtcp, Other };

constexpr PacketKind classify_packet(const std::uint8_t* data, std::size_t len) noexcept {
    if (len == 0) return PacketKind::Other;
    const std::uint8_t b = data[0];
    if (b <= 3) return PacketKind::Stun;
    if (b >= 20 && b <= 63) return PacketKind::Dtls;
    if (b >= 64 && b <= 79) return PacketKind::TurnChannel;
    if (b >= 128 && b <= 191) {
        if (len >= 2 && data[1] >= 192 && data[1] <= 223) return PacketKind::Rtcp;
        return PacketKind::Rtp;
    }
    return PacketKind::Other;
}

}  // namespace siperb::media
