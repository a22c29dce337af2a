// STUN serialisation (RFC 8489), message integrity (HMAC-SHA1/-SHA256 with OpenSSL's
// libcrypto), FINGERPRINT (CRC-32 xor 0x5354554e) and the long-term key (MD5 of
// user:realm:password, RFC 8489 9.2.2).
#include "ice/stun_message.hpp"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include <array>
#include <cstring>

namespace siperb::ice {

namespace {

void put16(std::vector<std::uint8_t>& b, std::uint16_t v) {
    b.push_back(std::uint8_t(v >> 8));
    b.push_back(std::uint8_t(v));
}
void put32(std::vector<std::uint8_t>& b, std::uint32_t v) {
    put16(b, std::uint16_t(v >> 16));
    put16(b, std::uint16_t(v));
}

constexpr std::array<std::uint32_t, 256> make_crc_table() {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        t[i] = c;
    }
    return t;
}
constexpr auto kCrcTable = make_crc_table();

// HMAC over raw[0, end) with the header length field replaced by `length` (OpenSSL 3 EVP_MAC;
// the HMAC implementation is fetched once).
bool hmac(const char* digest, std::string_view key, const std::uint8_t* raw, std::size_t end, std::size_t length,
          unsigned char* out, unsigned* out_len) {
    static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (!mac) return false;
    std::uint8_t head[4] = {raw[0], raw[1], std::uint8_t(length >> 8), std::uint8_t(length)};
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
    if (!ctx) return false;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", const_cast<char*>(digest), 0), OSSL_PARAM_construct_end()};
    // An empty key is legal for HMAC; OpenSSL wants a non-null pointer.
    static const unsigned char kEmpty = 0;
    const auto* k = key.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(key.data());
    std::size_t n = 0;
    const bool ok = EVP_MAC_init(ctx, k, key.size(), params) == 1 && EVP_MAC_update(ctx, head, 4) == 1 &&
                    EVP_MAC_update(ctx, raw + 4, end - 4) == 1 && EVP_MAC_final(ctx, out, &n, EVP_MAX_MD_SIZE) == 1;
    EVP_MAC_CTX_free(ctx);
    *out_len = unsigned(n);
    return ok;
}

bool check(const StunMessage& m, std::uint16_t type, const char* md, std::string_view key) {
    const StunAttribute* a = m.find(type);
    if (!a) return false;
    const std::size_t attr_start = a->offset - 4;
    // The length covers everything up to and including this attribute.
    const std::size_t length = attr_start + 4 + a->length - kStunHeaderSize;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned mac_len = 0;
    if (!hmac(md, key, m.raw.data(), attr_start, length, mac, &mac_len)) return false;
    if (a->length > mac_len) return false;
    return CRYPTO_memcmp(mac, m.raw.data() + a->offset, a->length) == 0;
}

}  // namespace

std::uint32_t stun_crc32(const std::uint8_t* data, std::size_t len) noexcept {
    std::uint32_t c = 0xFFFFFFFFu;
    for (std::size_t i = 0; i < len; ++i) c = kCrcTable[(c ^ data[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

bool StunMessage::check_integrity(std::string_view key) const {
    return check(*this, stun_attr::MessageIntegrity, "SHA1", key);
}
bool StunMessage::check_integrity_sha256(std::string_view key) const {
    return check(*this, stun_attr::MessageIntegritySha256, "SHA256", key);
}

std::string stun_long_term_key(std::string_view user, std::string_view realm, std::string_view password) {
    std::string in;
    in.reserve(user.size() + realm.size() + password.size() + 2);
    in.append(user).append(":").append(realm).append(":").append(password);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_Digest(in.data(), in.size(), md, &len, EVP_md5(), nullptr);
    return std::string(reinterpret_cast<const char*>(md), len);
}

StunBuilder::StunBuilder(std::uint16_t method, StunClass cls, const StunTransactionId& tid) {
    buf_.reserve(128);
    const auto c = unsigned(cls);
    const std::uint16_t type = std::uint16_t((method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2) |
                                             ((c & 1) << 4) | ((c & 2) << 7));
    put16(buf_, type);
    put16(buf_, 0);
    put32(buf_, kStunMagicCookie);
    buf_.insert(buf_.end(), tid.begin(), tid.end());
}

void StunBuilder::set_length(std::size_t body) noexcept {
    buf_[2] = std::uint8_t(body >> 8);
    buf_[3] = std::uint8_t(body);
}

StunBuilder& StunBuilder::add_bytes(std::uint16_t type, const void* data, std::size_t len) {
    put16(buf_, type);
    put16(buf_, std::uint16_t(len));
    if (len) buf_.insert(buf_.end(), static_cast<const std::uint8_t*>(data), static_cast<const std::uint8_t*>(data) + len);
    while (buf_.size() % 4) buf_.push_back(0);
    set_length(buf_.size() - kStunHeaderSize);
    return *this;
}

StunBuilder& StunBuilder::add_u32(std::uint16_t type, std::uint32_t v) {
    const std::uint8_t b[4] = {std::uint8_t(v >> 24), std::uint8_t(v >> 16), std::uint8_t(v >> 8), std::uint8_t(v)};
    return add_bytes(type, b, 4);
}
StunBuilder& StunBuilder::add_u64(std::uint16_t type, std::uint64_t v) {
    std::uint8_t b[8];
    for (int i = 0; i < 8; ++i) b[i] = std::uint8_t(v >> (56 - 8 * i));
    return add_bytes(type, b, 8);
}
StunBuilder& StunBuilder::add_channel_number(std::uint16_t channel) {
    return add_u32(stun_attr::ChannelNumber, std::uint32_t(channel) << 16);
}
StunBuilder& StunBuilder::add_requested_transport(std::uint8_t protocol) {
    return add_u32(stun_attr::RequestedTransport, std::uint32_t(protocol) << 24);
}
StunBuilder& StunBuilder::add_error_code(unsigned code, std::string_view reason) {
    std::vector<std::uint8_t> v = {0, 0, std::uint8_t((code / 100) & 7), std::uint8_t(code % 100)};
    v.insert(v.end(), reason.begin(), reason.end());
    return add_bytes(stun_attr::ErrorCode, v.data(), v.size());
}

namespace {
std::vector<std::uint8_t> encode_address(const net::SocketAddress& a, bool x, const std::uint8_t* tid) {
    std::vector<std::uint8_t> v = {0, 0};
    std::uint16_t port = a.port();
    if (x) port ^= std::uint16_t(kStunMagicCookie >> 16);
    if (a.family() == AF_INET6) {
        v[1] = 0x02;
        put16(v, port);
        std::uint8_t b[16];
        std::memcpy(b, &reinterpret_cast<const sockaddr_in6*>(&a.storage)->sin6_addr, 16);
        if (x) {
            std::uint8_t mask[16] = {0x21, 0x12, 0xA4, 0x42};
            std::memcpy(mask + 4, tid, 12);
            for (int i = 0; i < 16; ++i) b[i] ^= mask[i];
        }
        v.insert(v.end(), b, b + 16);
    } else {
        v[1] = 0x01;
        put16(v, port);
        std::uint32_t addr = ntohl(reinterpret_cast<const sockaddr_in*>(&a.storage)->sin_addr.s_addr);
        if (x) addr ^= kStunMagicCookie;
        put32(v, addr);
    }
    return v;
}
}  // namespace

StunBuilder& StunBuilder::add_address(std::uint16_t type, const net::SocketAddress& a) {
    const auto v = encode_address(a, false, nullptr);
    return add_bytes(type, v.data(), v.size());
}
StunBuilder& StunBuilder::add_xor_address(std::uint16_t type, const net::SocketAddress& a) {
    const auto v = encode_address(a, true, buf_.data() + 8);
    return add_bytes(type, v.data(), v.size());
}

namespace {
void add_mac(std::vector<std::uint8_t>& buf, std::uint16_t type, const char* md, std::size_t mac_size,
             std::string_view key) {
    const std::size_t start = buf.size();
    const std::size_t length = start + 4 + mac_size - kStunHeaderSize;
    unsigned char mac[EVP_MAX_MD_SIZE] = {};
    unsigned mac_len = 0;
    hmac(md, key, buf.data(), start, length, mac, &mac_len);
    put16(buf, type);
    put16(buf, std::uint16_t(mac_size));
    buf.insert(buf.end(), mac, mac + mac_size);
    buf[2] = std::uint8_t(length >> 8);
    buf[3] = std::uint8_t(length);
}
}  // namespace

StunBuilder& StunBuilder::add_integrity(std::string_view key) {
    add_mac(buf_, stun_attr::MessageIntegrity, "SHA1", 20, key);
    return *this;
}
StunBuilder& StunBuilder::add_integrity_sha256(std::string_view key) {
    add_mac(buf_, stun_attr::MessageIntegritySha256, "SHA256", 32, key);
    return *this;
}
StunBuilder& StunBuilder::add_fingerprint() {
    const std::size_t start = buf_.size();
    set_length(start + 8 - kStunHeaderSize);
    const std::uint32_t crc = stun_crc32(buf_.data(), start) ^ 0x5354554e;
    put16(buf_, stun_attr::Fingerprint);
    put16(buf_, 4);
    put32(buf_, crc);
    return *this;
}

}  // namespace siperb::ice
