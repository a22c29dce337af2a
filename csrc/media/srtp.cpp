#include "media/srtp.hpp"

#include "common/error.hpp"

#include <srtp2/srtp.h>

#include <array>
#include <mutex>
#include <random>

namespace siperb::media {

namespace {

void srtp_init_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (srtp_init() != srtp_err_status_ok) throw MediaError("srtp", "srtp_init failed");
    });
}

constexpr std::string_view kB64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int b64_value(char c) {
    const auto p = kB64.find(c);
    return p == std::string_view::npos ? -1 : static_cast<int>(p);
}

std::vector<std::uint8_t> base64_decode(std::string_view s) {
    while (!s.empty() && s.back() == '=') s.remove_suffix(1);
    std::vector<std::uint8_t> out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : s) {
        const int v = b64_value(c);
        if (v < 0) throw MediaError("crypto", "key is not base64");
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<std::uint8_t>(acc >> bits));
        }
    }
    return out;
}

std::string base64_encode(const std::vector<std::uint8_t>& in) {
    std::string out;
    for (std::size_t i = 0; i < in.size(); i += 3) {
        std::uint32_t v = std::uint32_t{in[i]} << 16;
        if (i + 1 < in.size()) v |= std::uint32_t{in[i + 1]} << 8;
        if (i + 2 < in.size()) v |= in[i + 2];
        out += kB64[(v >> 18) & 63];
        out += kB64[(v >> 12) & 63];
        out += i + 1 < in.size() ? kB64[(v >> 6) & 63] : '=';
        out += i + 2 < in.size() ? kB64[v & 63] : '=';
    }
    return out;
}

SrtpStatus status_of(srtp_err_status_t e) {
    switch (e) {
    case srtp_err_status_ok: return SrtpStatus::Ok;
    case srtp_err_status_auth_fail: return SrtpStatus::AuthFail;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old: return SrtpStatus::ReplayFail;
    default: return SrtpStatus::Error;
    }
}

}  // namespace

std::optional<SrtpSuite> srtp_suite_from(std::string_view name) noexcept {
    if (name == "AES_CM_128_HMAC_SHA1_80") return SrtpSuite::AesCm128HmacSha1_80;
    if (name == "AES_CM_128_HMAC_SHA1_32") return SrtpSuite::AesCm128HmacSha1_32;
    if (name == "AEAD_AES_128_GCM") return SrtpSuite::AeadAes128Gcm;
    return std::nullopt;
}

const char* to_string(SrtpSuite suite) noexcept {
    switch (suite) {
    case SrtpSuite::AesCm128HmacSha1_80: return "AES_CM_128_HMAC_SHA1_80";
    case SrtpSuite::AesCm128HmacSha1_32: return "AES_CM_128_HMAC_SHA1_32";
    case SrtpSuite::AeadAes128Gcm: return "AEAD_AES_128_GCM";
    }
    return "";
}

std::size_t srtp_master_length(SrtpSuite suite) noexcept {
    return suite == SrtpSuite::AeadAes128Gcm ? 28 : 30;
}

SrtpKey parse_sdes_key(std::string_view suite, std::string_view key_params) {
    const auto s = srtp_suite_from(suite);
    if (!s) throw MediaError("crypto", "unsupported suite '" + std::string(suite) + "'");
    // Only the first key parameter is used (RFC 4568 6.1 allows several keys; we need one).
    key_params = key_params.substr(0, key_params.find(';'));
    if (!key_params.starts_with("inline:")) throw MediaError("crypto", "key method is not inline");
    key_params.remove_prefix(7);
    const auto bar = key_params.find('|');
    const std::string_view key = key_params.substr(0, bar);
    if (bar != std::string_view::npos) {
        std::string_view rest = key_params.substr(bar + 1);
        while (!rest.empty()) {
            const auto next = rest.find('|');
            const std::string_view item = rest.substr(0, next);
            if (item.find(':') != std::string_view::npos) throw MediaError("crypto", "MKI is not supported");
            rest = next == std::string_view::npos ? std::string_view{} : rest.substr(next + 1);
        }
    }
    SrtpKey k{*s, base64_decode(key)};
    if (k.master.size() != srtp_master_length(*s))
        throw MediaError("crypto", "key||salt must be " + std::to_string(srtp_master_length(*s)) + " bytes, got " +
                                       std::to_string(k.master.size()));
    return k;
}

std::string random_sdes_key_params(SrtpSuite suite) {
    std::random_device rd;
    std::vector<std::uint8_t> key(srtp_master_length(suite));
    for (auto& b : key) b = static_cast<std::uint8_t>(rd());
    return "inline:" + base64_encode(key);
}

struct SrtpContext::Impl {
    srtp_t session = nullptr;
};

SrtpContext::SrtpContext(const SrtpKey& key, bool outbound) : impl_(std::make_unique<Impl>()) {
    srtp_init_once();
    if (key.master.size() != srtp_master_length(key.suite)) throw MediaError("crypto", "bad master key length");
    srtp_policy_t policy{};
    switch (key.suite) {
    case SrtpSuite::AesCm128HmacSha1_80:
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
        break;
    case SrtpSuite::AesCm128HmacSha1_32:
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy.rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);  // RFC 4568 6.2.1: RTCP keeps 80
        break;
    case SrtpSuite::AeadAes128Gcm:
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
        break;
    }
    std::array<std::uint8_t, 64> master{};
    std::copy(key.master.begin(), key.master.end(), master.begin());
    policy.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
    policy.key = master.data();
    policy.window_size = 128;
    policy.allow_repeat_tx = 0;
    policy.next = nullptr;
    const auto err = srtp_create(&impl_->session, &policy);
    if (err != srtp_err_status_ok)
        throw MediaError("crypto", std::string("libsrtp2 cannot create a ") + to_string(key.suite) +
                                       " context (error " + std::to_string(int(err)) + ")");
}

SrtpContext::~SrtpContext() {
    if (impl_ && impl_->session) srtp_dealloc(impl_->session);
}

bool SrtpContext::protect_rtp(std::uint8_t* buf, int& len) noexcept {
    return srtp_protect(impl_->session, buf, &len) == srtp_err_status_ok;
}
bool SrtpContext::protect_rtcp(std::uint8_t* buf, int& len) noexcept {
    return srtp_protect_rtcp(impl_->session, buf, &len) == srtp_err_status_ok;
}
SrtpStatus SrtpContext::unprotect_rtp(std::uint8_t* buf, int& len) noexcept {
    return status_of(srtp_unprotect(impl_->session, buf, &len));
}
SrtpStatus SrtpContext::unprotect_rtcp(std::uint8_t* buf, int& len) noexcept {
    return status_of(srtp_unprotect_rtcp(impl_->session, buf, &len));
}

namespace {

bool suite_round_trips(SrtpSuite suite) {
    try {
        SrtpKey key{suite, std::vector<std::uint8_t>(srtp_master_length(suite), 0x5a)};
        SrtpContext tx(key, true), rx(key, false);
        // A 12-byte RTP header (V=2, PT 0, seq 1, ts 0, SSRC 1) and 20 bytes of payload.
        std::array<std::uint8_t, 32 + SrtpContext::kSrtpTrailer> pkt{0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1};
        int len = 32;
        if (!tx.protect_rtp(pkt.data(), len)) return false;
        return rx.unprotect_rtp(pkt.data(), len) == SrtpStatus::Ok && len == 32;
    } catch (const Error&) {
        return false;
    }
}

}  // namespace

bool srtp_suite_supported(SrtpSuite suite) noexcept {
    static const std::array<bool, 3> works = {suite_round_trips(SrtpSuite::AesCm128HmacSha1_80),
                                              suite_round_trips(SrtpSuite::AesCm128HmacSha1_32),
                                              suite_round_trips(SrtpSuite::AeadAes128Gcm)};
    return works[std::size_t(suite)];
}

}  // namespace siperb::media
