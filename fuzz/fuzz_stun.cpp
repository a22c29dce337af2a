// libFuzzer target for the STUN codec (csrc/ice/stun_message): parse, every accessor, a
// rebuild/re-parse round trip, integrity checks; and the TurnClient and Binding client fed the
// same bytes as datagrams. Only siperb::Error may escape the parser; nothing may crash.
#include "common/error.hpp"
#include "ice/stun_gather.hpp"
#include "ice/stun_message.hpp"
#include "ice/turn_client.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

using namespace siperb;
using namespace siperb::ice;

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

void fuzz_codec(const std::uint8_t* data, std::size_t size) {
    StunMessage m;
    try {
        m = StunMessage::parse(data, size);
    } catch (const StunParseError&) {
        return;
    }
    check(m.attributes.size() <= kStunMaxAttributes + 2);
    (void)m.username(), (void)m.realm(), (void)m.nonce(), (void)m.software(), (void)m.data();
    (void)m.priority(), (void)m.lifetime(), (void)m.channel_number(), (void)m.requested_transport();
    (void)m.ice_controlling(), (void)m.ice_controlled(), (void)m.use_candidate(), (void)m.error_code();
    for (std::uint16_t t : {stun_attr::XorMappedAddress, stun_attr::MappedAddress, stun_attr::XorPeerAddress,
                            stun_attr::XorRelayedAddress})
        (void)m.address(t);
    (void)m.check_integrity("key");
    (void)m.check_integrity_sha256("key");

    // Round trip: the same attributes (without integrity/fingerprint) rebuilt parse the same.
    StunBuilder b(m.method, m.cls, m.transaction_id);
    std::size_t n = 0;
    for (const auto& a : m.attributes) {
        if (a.type == stun_attr::MessageIntegrity || a.type == stun_attr::MessageIntegritySha256 ||
            a.type == stun_attr::Fingerprint)
            break;
        const auto v = m.value(a);
        b.add_bytes(a.type, v.data(), v.size());
        ++n;
    }
    b.add_integrity("k").add_fingerprint();
    const auto again = StunMessage::parse(b.bytes().data(), b.bytes().size());
    check(again.method == m.method && again.cls == m.cls && again.transaction_id == m.transaction_id);
    check(again.attributes.size() == n + 2 && again.has_fingerprint && again.check_integrity("k"));
    for (std::size_t i = 0; i < n; ++i)
        check(again.attributes[i].type == m.attributes[i].type && again.value(again.attributes[i]) == m.value(m.attributes[i]));
}

void fuzz_clients(const std::uint8_t* data, std::size_t size) {
    const auto server = net::SocketAddress::parse("127.0.0.1", 3478);
    TurnConfig cfg;
    cfg.server = server;
    cfg.username = "user";
    cfg.password = "pass";
    TurnClient turn(cfg);
    turn.start(0);
    std::vector<std::uint8_t> out, peer_data;
    net::SocketAddress peer;
    while (turn.poll_transmit(out)) {
    }
    (void)turn.on_datagram(data, size, 1, peer_data, peer);
    turn.on_timeout(turn.next_deadline());
    while (turn.poll_transmit(out)) {
    }

    StunBindingClient client;
    client.start(server, 0);
    Transmit t;
    while (client.poll_transmit(t)) {
    }
    (void)client.on_datagram(data, size, server, 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz_codec(data, size);
    fuzz_clients(data, size);
    return 0;
}
