// libFuzzer target for csrc/dtls: arbitrary datagrams into DtlsSessions at each stage of a
// handshake (a server before and after start, a server in the middle of a real handshake, a
// client waiting for the ServerHello, both ends connected), timers fired between them, and the
// remote fingerprint parser. Input: byte 0 picks the stage; then datagrams, each prefixed by a
// 2-byte big-endian length. Nothing may throw out of on_datagram/on_timeout; only
// siperb::Error may escape set_remote_fingerprint; no crash, no leak.
#include "common/error.hpp"
#include "dtls/dtls_session.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

using namespace siperb;
using namespace siperb::dtls;

namespace {

const std::shared_ptr<const DtlsCertificate>& client_cert() {
    static const auto c = DtlsCertificate::generate();
    return c;
}
const std::shared_ptr<const DtlsCertificate>& server_cert() {
    static const auto c = DtlsCertificate::generate();
    return c;
}

DtlsConfig config(DtlsRole role) {
    DtlsConfig c;
    c.role = role;
    return c;
}

void pump(DtlsSession& a, DtlsSession& b, std::int64_t now) {
    std::vector<std::uint8_t> d;
    for (int round = 0; round < 8; ++round) {
        bool moved = false;
        while (a.poll_transmit(d)) b.on_datagram(d.data(), d.size(), now), moved = true;
        while (b.poll_transmit(d)) a.on_datagram(d.data(), d.size(), now), moved = true;
        if (!moved) return;
    }
}

void drain(DtlsSession& s) {
    std::vector<std::uint8_t> d;
    while (s.poll_transmit(d)) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const unsigned stage = data[0] % 5;
    std::vector<std::vector<std::uint8_t>> grams;
    for (std::size_t pos = 1; pos + 2 <= size && grams.size() < 64;) {
        const std::size_t n = std::size_t(data[pos]) << 8 | data[pos + 1];
        pos += 2;
        const std::size_t take = std::min(n, size - pos);
        grams.emplace_back(data + pos, data + pos + take);
        pos += take;
    }

    if (stage == 4) {  // the fingerprint parser
        const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
        DtlsSession s(server_cert(), config(DtlsRole::Server));
        for (const char* alg : {"sha-256", "sha-1", "SHA-512", "md5"}) {
            try {
                s.set_remote_fingerprint(alg, text);
            } catch (const Error&) {
            }
        }
        return 0;
    }

    DtlsSession client(client_cert(), config(DtlsRole::Client));
    DtlsSession server(server_cert(), config(DtlsRole::Server));
    client.set_remote_fingerprint("sha-256", server_cert()->fingerprint());
    server.set_remote_fingerprint("sha-256", client_cert()->fingerprint());
    std::int64_t now = 1'000'000'000;
    DtlsSession* target = &server;
    switch (stage) {
    case 0: break;  // the server before start: datagrams are queued, then start
    case 1: {       // the server after a real ClientHello
        server.start(now);
        client.start(now);
        std::vector<std::uint8_t> hello;
        if (client.poll_transmit(hello)) server.on_datagram(hello.data(), hello.size(), now);
        drain(server);
        break;
    }
    case 2:  // the client waiting for the ServerHello
        client.start(now);
        drain(client);
        target = &client;
        break;
    case 3:  // both connected
        server.start(now);
        client.start(now);
        pump(client, server, now);
        break;
    }
    std::size_t i = 0;
    for (const auto& g : grams) {
        DtlsSession* to = stage == 3 && (i++ & 1) ? &client : target;
        to->on_datagram(g.data(), g.size(), now);
        now += 7'000'000;
        if (now >= to->next_deadline()) to->on_timeout(now);
        drain(*to);
    }
    if (stage == 0) server.start(now);
    server.on_timeout(now + 60'000'000'000);
    client.on_timeout(now + 60'000'000'000);
    (void)server.srtp_keys();
    (void)client.stats();
    client.close();
    server.close();
    drain(client);
    drain(server);
    return 0;
}
