// SRTP (RFC 3711) with SDES-negotiated keys (RFC 4568) through the system libsrtp2: the key
// parameters of an a=crypto line, and one protect or unprotect context per direction.
// srtp_init runs once per process (on first use). A context is used by one thread at a time
// (the engine thread); creation and destruction may happen on any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace siperb::media {

enum class SrtpSuite { AesCm128HmacSha1_80, AesCm128HmacSha1_32, AeadAes128Gcm };

// "AES_CM_128_HMAC_SHA1_80" etc. (RFC 4568 6.2, RFC 7714 14.2); nullopt for other names.
std::optional<SrtpSuite> srtp_suite_from(std::string_view name) noexcept;
const char* to_string(SrtpSuite suite) noexcept;
// Master key + salt length of a suite (30 bytes for AES-CM, 28 for AES-GCM).
std::size_t srtp_master_length(SrtpSuite suite) noexcept;

struct SrtpKey {
    SrtpSuite suite = SrtpSuite::AesCm128HmacSha1_80;
    std::vector<std::uint8_t> master;  // key || salt
};

// Whether this libsrtp2 really protects and unprotects with `suite` (a build without AES-GCM
// support fails only when a context is made): tried once per suite and remembered. DTLS-SRTP
// offers only the suites for which this is true.
bool srtp_suite_supported(SrtpSuite suite) noexcept;

// Reads "inline:<base64 key||salt>[|lifetime][|MKI:length]" for `suite`. Throws MediaError
// ("crypto", reason) for an unknown suite, bad base64, a wrong key length or an MKI (unsupported).
SrtpKey parse_sdes_key(std::string_view suite, std::string_view key_params);
// A fresh random key for our a=crypto line: "inline:<base64>".
std::string random_sdes_key_params(SrtpSuite suite);

enum class SrtpStatus { Ok, AuthFail, ReplayFail, Error };

// One direction of one session. Buffers passed to protect must have SRTP trailer room
// (kSrtpTrailer bytes) after len.
class SrtpContext {
public:
    static constexpr int kSrtpTrailer = 144;  // >= SRTP_MAX_TRAILER_LEN
    SrtpContext(const SrtpKey& key, bool outbound);
    ~SrtpContext();
    SrtpContext(const SrtpContext&) = delete;
    SrtpContext& operator=(const SrtpContext&) = delete;

    // In place; len is updated. False on failure (the packet must not be sent).
    bool protect_rtp(std::uint8_t* buf, int& len) noexcept;
    bool protect_rtcp(std::uint8_t* buf, int& len) noexcept;
    // In place; len is updated on Ok.
    SrtpStatus unprotect_rtp(std::uint8_t* buf, int& len) noexcept;
    SrtpStatus unprotect_rtcp(std::uint8_t* buf, int& len) noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace siperb::media
