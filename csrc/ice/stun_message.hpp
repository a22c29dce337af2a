// The STUN codec (RFC 8489) with the attributes ICE (RFC 8445), consent (RFC 7675) and TURN
// (RFC 8656) use. Parsing validates the header, every attribute's framing and the value of each
// attribute this codec knows, and FINGERPRINT when present; malformed input throws
// StunParseError(field, reason), field being the attribute name or "header". Integrity is
// checked separately (check_integrity) because the key depends on who the message is for.
#pragma once

#include "net/udp_socket.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace siperb::ice {

constexpr std::uint32_t kStunMagicCookie = 0x2112A442;
constexpr std::size_t kStunHeaderSize = 20;
// At most this many attributes in one message (a remote cannot make us keep more).
constexpr std::size_t kStunMaxAttributes = 64;

enum class StunClass : std::uint8_t { Request = 0, Indication = 1, Success = 2, Error = 3 };

namespace stun_method {
constexpr std::uint16_t Binding = 0x001, Allocate = 0x003, Refresh = 0x004, Send = 0x006, Data = 0x007,
                        CreatePermission = 0x008, ChannelBind = 0x009;
}

namespace stun_attr {
constexpr std::uint16_t MappedAddress = 0x0001, Username = 0x0006, MessageIntegrity = 0x0008,
                        ErrorCode = 0x0009, UnknownAttributes = 0x000A, ChannelNumber = 0x000C,
                        Lifetime = 0x000D, XorPeerAddress = 0x0012, Data = 0x0013, Realm = 0x0014,
                        Nonce = 0x0015, XorRelayedAddress = 0x0016, RequestedTransport = 0x0019,
                        MessageIntegritySha256 = 0x001C, XorMappedAddress = 0x0020, Priority = 0x0024,
                        UseCandidate = 0x0025, Software = 0x8022, Fingerprint = 0x8028,
                        IceControlled = 0x8029, IceControlling = 0x802A;
}
// The attribute's RFC name ("XOR-MAPPED-ADDRESS"), or nullptr for an unknown type.
const char* stun_attr_name(std::uint16_t type) noexcept;

using StunTransactionId = std::array<std::uint8_t, 12>;
StunTransactionId random_transaction_id();

// RFC 7983: a datagram whose first byte is 0..3 and which is long enough may be STUN (the
// demultiplexer's test; it does not validate).
inline bool looks_like_stun(const std::uint8_t* data, std::size_t len) noexcept {
    return len >= kStunHeaderSize && data[0] < 4;
}

struct StunAttribute {
    std::uint16_t type = 0;
    std::uint16_t offset = 0;  // of the value in StunMessage::raw
    std::uint16_t length = 0;  // of the value, without padding
};

struct StunErrorCode {
    unsigned code = 0;  // 300..699
    std::string reason;
};

class StunMessage {
public:
    // Parses and validates one datagram (copied into raw). Throws StunParseError.
    static StunMessage parse(const std::uint8_t* data, std::size_t len);

    std::uint16_t method = 0;
    StunClass cls = StunClass::Request;
    StunTransactionId transaction_id{};
    std::vector<std::uint8_t> raw;
    std::vector<StunAttribute> attributes;  // up to and including MESSAGE-INTEGRITY(-SHA256)
                                            // and FINGERPRINT; anything after them is ignored
    bool has_fingerprint = false;           // present and correct (a wrong one throws)
    // Comprehension-required (type < 0x8000) attributes this codec does not know.
    std::vector<std::uint16_t> unknown_required;

    const StunAttribute* find(std::uint16_t type) const noexcept;
    bool has(std::uint16_t type) const noexcept { return find(type) != nullptr; }
    std::string_view value(const StunAttribute& a) const noexcept;

    std::optional<std::string_view> username() const noexcept;
    std::optional<std::string_view> realm() const noexcept;
    std::optional<std::string_view> nonce() const noexcept;
    std::optional<std::string_view> software() const noexcept;
    std::optional<std::string_view> data() const noexcept;
    std::optional<std::uint32_t> priority() const noexcept;
    std::optional<std::uint32_t> lifetime() const noexcept;
    std::optional<std::uint16_t> channel_number() const noexcept;
    std::optional<std::uint8_t> requested_transport() const noexcept;
    std::optional<std::uint64_t> ice_controlling() const noexcept;
    std::optional<std::uint64_t> ice_controlled() const noexcept;
    bool use_candidate() const noexcept { return has(stun_attr::UseCandidate); }
    std::optional<StunErrorCode> error_code() const;
    // Address attributes (XOR ones decoded with the cookie and transaction id).
    std::optional<net::SocketAddress> address(std::uint16_t type) const;
    std::optional<net::SocketAddress> xor_mapped_address() const { return address(stun_attr::XorMappedAddress); }
    std::optional<net::SocketAddress> mapped_address() const { return address(stun_attr::MappedAddress); }

    // MESSAGE-INTEGRITY (HMAC-SHA1) / MESSAGE-INTEGRITY-SHA256 with this key: false when the
    // attribute is absent or the HMAC differs (constant-time comparison).
    bool check_integrity(std::string_view key) const;
    bool check_integrity_sha256(std::string_view key) const;
};

// Builds one message; attributes in call order, then integrity and fingerprint last.
class StunBuilder {
public:
    StunBuilder(std::uint16_t method, StunClass cls, const StunTransactionId& tid);

    StunBuilder& add_bytes(std::uint16_t type, const void* data, std::size_t len);
    StunBuilder& add_string(std::uint16_t type, std::string_view s) { return add_bytes(type, s.data(), s.size()); }
    StunBuilder& add_u32(std::uint16_t type, std::uint32_t v);
    StunBuilder& add_u64(std::uint16_t type, std::uint64_t v);
    StunBuilder& add_flag(std::uint16_t type) { return add_bytes(type, nullptr, 0); }
    StunBuilder& add_channel_number(std::uint16_t channel);
    StunBuilder& add_requested_transport(std::uint8_t protocol = 17);
    StunBuilder& add_error_code(unsigned code, std::string_view reason);
    StunBuilder& add_address(std::uint16_t type, const net::SocketAddress& a);      // MAPPED-ADDRESS
    StunBuilder& add_xor_address(std::uint16_t type, const net::SocketAddress& a);  // XOR-*-ADDRESS
    StunBuilder& add_integrity(std::string_view key);
    StunBuilder& add_integrity_sha256(std::string_view key);
    StunBuilder& add_fingerprint();

    const std::vector<std::uint8_t>& bytes() const noexcept { return buf_; }
    std::vector<std::uint8_t> take() noexcept { return std::move(buf_); }

private:
    void set_length(std::size_t body) noexcept;
    std::vector<std::uint8_t> buf_;
};

// Keys: short-term (ICE) is the password itself; long-term (TURN) is MD5(user:realm:pass).
std::string stun_long_term_key(std::string_view user, std::string_view realm, std::string_view password);
std::uint32_t stun_crc32(const std::uint8_t* data, std::size_t len) noexcept;

}  // namespace siperb::ice
