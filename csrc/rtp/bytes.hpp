// Big-endian reads and writes over byte spans, shared by the RTP/RTCP/telephone-event codecs.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace siperb::rtp {

using Bytes = std::span<const std::uint8_t>;

inline std::uint16_t read16(const std::uint8_t* p) {
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t read32(const std::uint8_t* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}
inline void write16(std::vector<std::uint8_t>& out, std::uint16_t v) {
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v));
}
inline void write32(std::vector<std::uint8_t>& out, std::uint32_t v) {
    write16(out, static_cast<std::uint16_t>(v >> 16));
    write16(out, static_cast<std::uint16_t>(v));
}
inline void put16(std::uint8_t* p, std::uint16_t v) {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
}

}  // namespace siperb::rtp
