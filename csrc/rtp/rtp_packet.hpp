// RTP packets (RFC 3550 section 5) and RFC 8285 header-extension elements.
#pragma once

#include "rtp/bytes.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace siperb::rtp {

// A parsed packet whose spans point into the caller's buffer (zero copy); valid while it lives.
struct RtpView {
    bool marker = false;
    std::uint8_t payload_type = 0;
    std::uint16_t sequence_number = 0;
    std::uint32_t timestamp = 0;
    std::uint32_t ssrc = 0;
    Bytes csrc_bytes;  // 4 bytes per CSRC
    bool has_extension = false;
    std::uint16_t extension_profile = 0;
    Bytes extension_data;
    Bytes payload;
    std::uint8_t padding_size = 0;  // including the count byte itself

    std::size_t csrc_count() const { return csrc_bytes.size() / 4; }
    std::uint32_t csrc(std::size_t i) const { return read32(csrc_bytes.data() + 4 * i); }
    // Throws RtpError naming the field (header, version, csrc count, extension length, padding).
    static RtpView parse(Bytes data);
};

struct RtpExtension {
    std::uint16_t profile = 0;
    std::vector<std::uint8_t> data;  // a multiple of 4 bytes
};

// One RFC 8285 element: id 1-14 (one-byte form) or 1-255 (two-byte form).
struct RtpExtensionElement {
    std::uint8_t id = 0;
    std::vector<std::uint8_t> data;
};

constexpr std::uint16_t kOneByteProfile = 0xBEDE;
constexpr std::uint16_t kTwoByteProfile = 0x1000;  // low 4 bits: appbits

// Elements of an RFC 8285 extension block; throws RtpError if the profile is not 0xBEDE/0x100X
// or an element runs past the block.
std::vector<RtpExtensionElement> parse_extension_elements(std::uint16_t profile, Bytes data);
// The smallest encoding: one-byte form when every id is 1-14 and every length 1-16, else two-byte.
RtpExtension build_extension_elements(const std::vector<RtpExtensionElement>& elements,
                                      bool force_two_byte = false);

// An owned packet, for building (or after copying out of an RtpView).
struct RtpPacket {
    bool marker = false;
    std::uint8_t payload_type = 0;
    std::uint16_t sequence_number = 0;
    std::uint32_t timestamp = 0;
    std::uint32_t ssrc = 0;
    std::vector<std::uint32_t> csrc;
    std::optional<RtpExtension> extension;
    std::vector<std::uint8_t> payload;
    std::uint8_t padding_size = 0;

    static RtpPacket parse(Bytes data);
    static RtpPacket from_view(const RtpView& v);
    std::vector<std::uint8_t> build() const;  // throws RtpError on unrepresentable fields
};

}  // namespace siperb::rtp
