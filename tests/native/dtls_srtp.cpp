// DTLS-SRTP keys that really work in libsrtp2: two DtlsSessions handshake in memory for each
// SRTP profile; what one side protects with its local key the other unprotects with its remote
// key (both directions, RTP and RTCP), and a context with the wrong direction's key refuses it.
// Run by tests/unit/test_dtls_srtp_native.py; prints one "ok <profile>" line per profile.
#include "dtls/dtls_session.hpp"

#include <array>
#include <cstdio>
#include <cstring>
#include <vector>

using namespace siperb;
using namespace siperb::dtls;

namespace {

int failures = 0;
void check(bool ok, const char* what) {
    if (!ok) {
        std::printf("FAIL %s\n", what);
        ++failures;
    }
}

void pump(DtlsSession& a, DtlsSession& b) {
    std::vector<std::uint8_t> d;
    for (int round = 0; round < 20; ++round) {
        bool moved = false;
        while (a.poll_transmit(d)) b.on_datagram(d.data(), d.size(), 0), moved = true;
        while (b.poll_transmit(d)) a.on_datagram(d.data(), d.size(), 0), moved = true;
        if (!moved) return;
    }
}

// True if `tx` protects an RTP and an RTCP packet that `rx` unprotects back to the original.
bool round_trip(const media::SrtpKey& tx_key, const media::SrtpKey& rx_key, std::uint16_t seq) {
    media::SrtpContext tx(tx_key, true), rx(rx_key, false);
    std::array<std::uint8_t, 172 + media::SrtpContext::kSrtpTrailer> rtp{};
    const std::array<std::uint8_t, 12> hdr{0x80, 111, std::uint8_t(seq >> 8), std::uint8_t(seq), 0, 0, 0, 160, 1, 2, 3, 4};
    std::memcpy(rtp.data(), hdr.data(), hdr.size());
    for (std::size_t i = 12; i < 172; ++i) rtp[i] = std::uint8_t(i);
    const auto original = rtp;
    int len = 172;
    if (!tx.protect_rtp(rtp.data(), len) || len <= 172) return false;
    if (rx.unprotect_rtp(rtp.data(), len) != media::SrtpStatus::Ok || len != 172) return false;
    if (std::memcmp(rtp.data(), original.data(), 172) != 0) return false;
    // RTCP receiver report with no blocks: V=2, RC=0, PT=201, length 1, SSRC.
    std::array<std::uint8_t, 8 + media::SrtpContext::kSrtpTrailer> rtcp{0x80, 201, 0, 1, 1, 2, 3, 4};
    len = 8;
    if (!tx.protect_rtcp(rtcp.data(), len)) return false;
    return rx.unprotect_rtcp(rtcp.data(), len) == media::SrtpStatus::Ok && len == 8;
}

void run(media::SrtpSuite suite) {
    auto cc = DtlsCertificate::generate(), sc = DtlsCertificate::generate();
    DtlsConfig ccfg, scfg;
    ccfg.role = DtlsRole::Client;
    scfg.role = DtlsRole::Server;
    ccfg.srtp_profiles = scfg.srtp_profiles = {suite};
    DtlsSession client(cc, ccfg), server(sc, scfg);
    client.set_remote_fingerprint(sc->fingerprint_algorithm(), sc->fingerprint());
    server.set_remote_fingerprint(cc->fingerprint_algorithm(), cc->fingerprint());
    server.start(0);
    client.start(0);
    pump(client, server);
    check(client.state() == DtlsState::Connected && server.state() == DtlsState::Connected, "connected");
    auto ck = client.srtp_keys(), sk = server.srtp_keys();
    check(ck && sk, "keys");
    if (!ck || !sk) return;
    check(ck->local.suite == suite && sk->remote.suite == suite, "suite");
    check(round_trip(ck->local, sk->remote, 1), "client -> server");
    check(round_trip(sk->local, ck->remote, 2), "server -> client");
    check(!round_trip(ck->local, ck->remote, 3), "own remote key refuses own sending");
    if (!failures) std::printf("ok %s\n", media::to_string(suite));
}

}  // namespace

int main() {
    run(media::SrtpSuite::AeadAes128Gcm);
    run(media::SrtpSuite::AesCm128HmacSha1_80);
    return failures ? 1 : 0;
}
