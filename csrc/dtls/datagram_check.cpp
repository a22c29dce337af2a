// What a session can tell about a datagram before OpenSSL parses it: its records are whole
// (a truncated or garbage datagram is dropped here, counted, and never reaches the handshake)
// and an initial hello is for our role (a ClientHello looped back to a client would otherwise
// end the handshake with an unexpected_message alert).
#include "dtls/dtls_internal.hpp"

namespace siperb::dtls {
namespace {

constexpr std::size_t kHeader = 13;  // type, version(2), epoch(2), sequence(6), length(2)
constexpr std::uint8_t kHandshake = 22;
constexpr std::uint8_t kClientHello = 1, kServerHello = 2, kHelloVerifyRequest = 3;

}  // namespace

DatagramCheck check_datagram(const std::uint8_t* data, std::size_t len, DtlsRole role) noexcept {
    if (!data || len < kHeader) return DatagramCheck::Malformed;
    std::size_t pos = 0;
    bool wrong_role = false;
    while (pos < len) {
        if (len - pos < kHeader) return DatagramCheck::Malformed;
        const std::uint8_t* r = data + pos;
        // change_cipher_spec, alert, handshake, application_data; version 254.x (DTLS).
        if (r[0] < 20 || r[0] > 23 || r[1] != 0xFE) return DatagramCheck::Malformed;
        const std::size_t body = std::size_t(r[11]) << 8 | r[12];
        if (body > len - pos - kHeader) return DatagramCheck::Malformed;
        const bool epoch0 = r[3] == 0 && r[4] == 0;
        if (r[0] == kHandshake && epoch0 && body > 0) {
            const std::uint8_t msg = r[kHeader];
            if (role == DtlsRole::Client && msg == kClientHello) wrong_role = true;
            if (role == DtlsRole::Server && (msg == kServerHello || msg == kHelloVerifyRequest)) wrong_role = true;
        }
        pos += kHeader + body;
    }
    return wrong_role ? DatagramCheck::WrongRole : DatagramCheck::Ok;
}

}  // namespace siperb::dtls
