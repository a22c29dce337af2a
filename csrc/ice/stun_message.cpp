// STUN parsing and validation (RFC 8489 5, 14, 15): header, attribute framing, known values.
#include "ice/stun_message.hpp"

#include "common/error.hpp"

#include <arpa/inet.h>

#include <cstring>
#include <random>

namespace siperb::ice {

namespace {

std::uint16_t rd16(const std::uint8_t* p) noexcept { return std::uint16_t((p[0] << 8) | p[1]); }
std::uint32_t rd32(const std::uint8_t* p) noexcept {
    return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
}

[[noreturn]] void fail(std::uint16_t type, const std::string& reason) {
    const char* name = stun_attr_name(type);
    char buf[32];
    if (!name) {
        std::snprintf(buf, sizeof buf, "attribute 0x%04X", type);
        name = buf;
    }
    throw StunParseError(name, reason);
}

// Value checks of the attributes this codec knows (so that accessors never fail later).
void validate(std::uint16_t type, const std::uint8_t* v, std::size_t len) {
    using namespace stun_attr;
    const auto need = [&](std::size_t n) {
        if (len != n) fail(type, "length " + std::to_string(len) + ", expected " + std::to_string(n));
    };
    switch (type) {
    case MappedAddress:
    case XorMappedAddress:
    case XorPeerAddress:
    case XorRelayedAddress:
        if (len < 4) fail(type, "too short for an address");
        if (v[1] == 0x01) need(8);
        else if (v[1] == 0x02) need(20);
        else fail(type, "unknown address family " + std::to_string(v[1]));
        break;
    case Username:
        if (len > 513) fail(type, "longer than 513 bytes");
        break;
    case Realm:
    case Nonce:
    case Software:
        if (len > 763) fail(type, "longer than 763 bytes");
        break;
    case MessageIntegrity: need(20); break;
    case MessageIntegritySha256:
        if (len < 16 || len > 32 || len % 4) fail(type, "length " + std::to_string(len) + " not 16..32 in steps of 4");
        break;
    case Fingerprint: need(4); break;
    case Priority:
    case Lifetime:
    case ChannelNumber:
    case RequestedTransport: need(4); break;
    case IceControlled:
    case IceControlling: need(8); break;
    case UseCandidate: need(0); break;
    case ErrorCode: {
        if (len < 4) fail(type, "shorter than 4 bytes");
        const unsigned cls = v[2] & 0x07, num = v[3];
        if (cls < 3 || cls > 6 || num > 99) fail(type, "code class " + std::to_string(cls) + " number " + std::to_string(num) + " out of range");
        if (len > 4 + 763) fail(type, "reason phrase longer than 763 bytes");
        break;
    }
    case UnknownAttributes:
        if (len % 2) fail(type, "odd length");
        break;
    default: break;
    }
}

bool known(std::uint16_t type) noexcept { return stun_attr_name(type) != nullptr; }

}  // namespace

const char* stun_attr_name(std::uint16_t type) noexcept {
    using namespace stun_attr;
    switch (type) {
    case MappedAddress: return "MAPPED-ADDRESS";
    case Username: return "USERNAME";
    case MessageIntegrity: return "MESSAGE-INTEGRITY";
    case ErrorCode: return "ERROR-CODE";
    case UnknownAttributes: return "UNKNOWN-ATTRIBUTES";
    case ChannelNumber: return "CHANNEL-NUMBER";
    case Lifetime: return "LIFETIME";
    case XorPeerAddress: return "XOR-PEER-ADDRESS";
    case Data: return "DATA";
    case Realm: return "REALM";
    case Nonce: return "NONCE";
    case XorRelayedAddress: return "XOR-RELAYED-ADDRESS";
    case RequestedTransport: return "REQUESTED-TRANSPORT";
    case MessageIntegritySha256: return "MESSAGE-INTEGRITY-SHA256";
    case XorMappedAddress: return "XOR-MAPPED-ADDRESS";
    case Priority: return "PRIORITY";
    case UseCandidate: return "USE-CANDIDATE";
    case Software: return "SOFTWARE";
    case Fingerprint: return "FINGERPRINT";
    case IceControlled: return "ICE-CONTROLLED";
    case IceControlling: return "ICE-CONTROLLING";
    default: return nullptr;
    }
}

StunTransactionId random_transaction_id() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    StunTransactionId id{};
    for (std::size_t i = 0; i < id.size(); i += 4) {
        const auto r = std::uint32_t(rng());
        std::memcpy(id.data() + i, &r, 4);
    }
    return id;
}

StunMessage StunMessage::parse(const std::uint8_t* data, std::size_t len) {
    if (len < kStunHeaderSize) throw StunParseError("header", "datagram of " + std::to_string(len) + " bytes is shorter than 20");
    if (data[0] & 0xC0) throw StunParseError("header", "the first two bits are not zero");
    const std::uint16_t type = rd16(data);
    const std::size_t body = rd16(data + 2);
    if (rd32(data + 4) != kStunMagicCookie) throw StunParseError("header", "no magic cookie (not RFC 5389/8489 STUN)");
    if (body % 4) throw StunParseError("header", "message length " + std::to_string(body) + " is not a multiple of 4");
    if (body + kStunHeaderSize != len)
        throw StunParseError("header", "message length " + std::to_string(body) + " does not match the datagram (" + std::to_string(len - kStunHeaderSize) + ")");

    StunMessage m;
    m.method = std::uint16_t((type & 0x000F) | ((type & 0x00E0) >> 1) | ((type & 0x3E00) >> 2));
    m.cls = StunClass(((type >> 4) & 1) | ((type >> 7) & 2));
    std::memcpy(m.transaction_id.data(), data + 8, 12);
    m.raw.assign(data, data + len);

    bool integrity = false;
    std::size_t pos = kStunHeaderSize;
    while (pos < len) {
        if (len - pos < 4) throw StunParseError("header", "truncated attribute header");
        const std::uint16_t at = rd16(data + pos), alen = rd16(data + pos + 2);
        const std::size_t padded = (std::size_t(alen) + 3) & ~std::size_t(3);
        if (padded > len - pos - 4) fail(at, "length " + std::to_string(alen) + " runs past the end of the message");
        const std::uint8_t* v = data + pos + 4;
        if (m.has_fingerprint) fail(at, "attribute after FINGERPRINT");
        if (at == stun_attr::Fingerprint) {
            validate(at, v, alen);
            const std::uint32_t want = stun_crc32(data, pos) ^ 0x5354554e;
            // The CRC covers the header with the length as it stands (FINGERPRINT is last).
            if (rd32(v) != want) fail(at, "CRC-32 mismatch");
            m.has_fingerprint = true;
        } else if (integrity && at != stun_attr::MessageIntegritySha256) {
            pos += 4 + padded;  // RFC 8489 14.5: ignored after MESSAGE-INTEGRITY
            continue;
        } else {
            if (m.attributes.size() >= kStunMaxAttributes) throw StunParseError("header", "more than 64 attributes");
            if (known(at)) validate(at, v, alen);
            else if (at < 0x8000 && m.unknown_required.size() < 16) m.unknown_required.push_back(at);
            if (at == stun_attr::MessageIntegrity || at == stun_attr::MessageIntegritySha256) integrity = true;
        }
        m.attributes.push_back({at, std::uint16_t(pos + 4), alen});
        pos += 4 + padded;
    }
    return m;
}

const StunAttribute* StunMessage::find(std::uint16_t type) const noexcept {
    for (const auto& a : attributes)
        if (a.type == type) return &a;
    return nullptr;
}

std::string_view StunMessage::value(const StunAttribute& a) const noexcept {
    return {reinterpret_cast<const char*>(raw.data()) + a.offset, a.length};
}

namespace {
template <class F>
auto get(const StunMessage& m, std::uint16_t type, F&& f) -> std::optional<decltype(f(std::declval<const std::uint8_t*>()))> {
    const auto* a = m.find(type);
    if (!a) return std::nullopt;
    return f(m.raw.data() + a->offset);
}
}  // namespace

std::optional<std::string_view> StunMessage::username() const noexcept {
    const auto* a = find(stun_attr::Username);
    return a ? std::optional(value(*a)) : std::nullopt;
}
std::optional<std::string_view> StunMessage::realm() const noexcept {
    const auto* a = find(stun_attr::Realm);
    return a ? std::optional(value(*a)) : std::nullopt;
}
std::optional<std::string_view> StunMessage::nonce() const noexcept {
    const auto* a = find(stun_attr::Nonce);
    return a ? std::optional(value(*a)) : std::nullopt;
}
std::optional<std::string_view> StunMessage::software() const noexcept {
    const auto* a = find(stun_attr::Software);
    return a ? std::optional(value(*a)) : std::nullopt;
}
std::optional<std::string_view> StunMessage::data() const noexcept {
    const auto* a = find(stun_attr::Data);
    return a ? std::optional(value(*a)) : std::nullopt;
}
std::optional<std::uint32_t> StunMessage::priority() const noexcept { return get(*this, stun_attr::Priority, rd32); }
std::optional<std::uint32_t> StunMessage::lifetime() const noexcept { return get(*this, stun_attr::Lifetime, rd32); }
std::optional<std::uint16_t> StunMessage::channel_number() const noexcept {
    return get(*this, stun_attr::ChannelNumber, rd16);
}
std::optional<std::uint8_t> StunMessage::requested_transport() const noexcept {
    return get(*this, stun_attr::RequestedTransport, [](const std::uint8_t* p) { return p[0]; });
}
static std::uint64_t rd64(const std::uint8_t* p) noexcept { return (std::uint64_t(rd32(p)) << 32) | rd32(p + 4); }
std::optional<std::uint64_t> StunMessage::ice_controlling() const noexcept { return get(*this, stun_attr::IceControlling, rd64); }
std::optional<std::uint64_t> StunMessage::ice_controlled() const noexcept { return get(*this, stun_attr::IceControlled, rd64); }

std::optional<StunErrorCode> StunMessage::error_code() const {
    const auto* a = find(stun_attr::ErrorCode);
    if (!a) return std::nullopt;
    const std::uint8_t* p = raw.data() + a->offset;
    return StunErrorCode{unsigned(p[2] & 7) * 100 + p[3], std::string(value(*a).substr(4))};
}

std::optional<net::SocketAddress> StunMessage::address(std::uint16_t type) const {
    const auto* a = find(type);
    if (!a) return std::nullopt;
    const std::uint8_t* p = raw.data() + a->offset;
    const bool x = type != stun_attr::MappedAddress;
    net::SocketAddress out;
    std::uint16_t port = rd16(p + 2);
    if (x) port ^= std::uint16_t(kStunMagicCookie >> 16);
    if (p[1] == 0x01) {
        auto* s4 = reinterpret_cast<sockaddr_in*>(&out.storage);
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        std::uint32_t addr = rd32(p + 4);
        if (x) addr ^= kStunMagicCookie;
        s4->sin_addr.s_addr = htonl(addr);
        out.length = sizeof(sockaddr_in);
    } else {
        auto* s6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        std::uint8_t b[16];
        std::memcpy(b, p + 4, 16);
        if (x) {
            std::uint8_t mask[16] = {0x21, 0x12, 0xA4, 0x42};
            std::memcpy(mask + 4, transaction_id.data(), 12);
            for (int i = 0; i < 16; ++i) b[i] ^= mask[i];
        }
        std::memcpy(&s6->sin6_addr, b, 16);
        out.length = sizeof(sockaddr_in6);
    }
    return out;
}

}  // namespace siperb::ice
