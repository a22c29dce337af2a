// RTCP (RFC 3550 section 6): SR, RR, SDES, BYE, APP and compound packets.
#pragma once

#include "rtp/bytes.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace siperb::rtp {

enum RtcpType : std::uint8_t { kRtcpSr = 200, kRtcpRr = 201, kRtcpSdes = 202, kRtcpBye = 203, kRtcpApp = 204 };

struct RtcpReportBlock {
    std::uint32_t ssrc = 0;
    std::uint8_t fraction_lost = 0;
    std::int32_t cumulative_lost = 0;  // 24-bit signed on the wire
    std::uint32_t extended_highest_seq = 0;
    std::uint32_t jitter = 0;
    std::uint32_t lsr = 0;
    std::uint32_t dlsr = 0;  // 1/65536 s
};

struct RtcpSenderReport {
    std::uint32_t ssrc = 0;
    std::uint64_t ntp_timestamp = 0;
    std::uint32_t rtp_timestamp = 0;
    std::uint32_t packet_count = 0;
    std::uint32_t octet_count = 0;
    std::vector<RtcpReportBlock> reports;
    std::vector<std::uint8_t> extension;  // profile-specific, kept as is
};

struct RtcpReceiverReport {
    std::uint32_t ssrc = 0;
    std::vector<RtcpReportBlock> reports;
    std::vector<std::uint8_t> extension;
};

enum SdesType : std::uint8_t { kSdesCname = 1, kSdesName, kSdesEmail, kSdesPhone, kSdesLoc, kSdesTool, kSdesNote, kSdesPriv };

struct RtcpSdesItem {
    std::uint8_t type = kSdesCname;
    std::string value;  // at most 255 bytes
};
struct RtcpSdesChunk {
    std::uint32_t ssrc = 0;
    std::vector<RtcpSdesItem> items;
};
struct RtcpSdes {
    std::vector<RtcpSdesChunk> chunks;
};

struct RtcpBye {
    std::vector<std::uint32_t> sources;
    std::optional<std::string> reason;
};

struct RtcpApp {
    std::uint8_t subtype = 0;
    std::uint32_t ssrc = 0;
    std::string name;  // exactly 4 ASCII characters
    std::vector<std::uint8_t> data;  // a multiple of 4 bytes
};

// Any other packet type (RTPFB, PSFB, XR ...): header fields and the raw body.
struct RtcpUnknown {
    std::uint8_t packet_type = 0;
    std::uint8_t count = 0;
    std::vector<std::uint8_t> body;
};

using RtcpPacket = std::variant<RtcpSenderReport, RtcpReceiverReport, RtcpSdes, RtcpBye, RtcpApp, RtcpUnknown>;

// Parses a compound packet. strict applies the RFC 3550 A.2 validity checks (first packet SR or
// RR, padding only in the last one); lengths and versions are always checked. Throws RtpError.
std::vector<RtcpPacket> parse_rtcp_compound(Bytes data, bool strict = true);
std::vector<std::uint8_t> build_rtcp_compound(const std::vector<RtcpPacket>& packets);

// Round-trip time in seconds from a report block received at NTP time arrival_ntp
// (RFC 3550 6.4.1: A - LSR - DLSR); nullopt when the block carries no LSR.
std::optional<double> rtcp_round_trip_time(const RtcpReportBlock& block, std::uint64_t arrival_ntp);

}  // namespace siperb::rtp
