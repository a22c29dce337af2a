// libFuzzer target for the IceAgent's datagram input: a scripted agent fed, from arbitrary
// addresses, raw datagrams, well-signed checks with fuzzed attributes, answers to its own
// transactions (success, 487, other errors, fuzzed mapped addresses), timeouts, candidates,
// restarts. No crash, and nothing grows without bound (candidates, pairs, queues).
#include "common/error.hpp"
#include "ice/ice_agent.hpp"
#include "ice/stun_message.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

using namespace siperb;
using namespace siperb::ice;

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

struct Input {
    const std::uint8_t* p;
    std::size_t n;
    std::uint8_t byte() { return n ? (--n, *p++) : 0; }
    std::uint32_t u32() { return std::uint32_t(byte()) << 24 | std::uint32_t(byte()) << 16 | std::uint32_t(byte()) << 8 | byte(); }
    std::uint64_t u64() { return std::uint64_t(u32()) << 32 | u32(); }
};

net::SocketAddress address(std::uint8_t sel) {
    const bool v6 = sel & 0x80;
    const std::string host = v6 ? "::" + std::to_string((sel & 0x3F) + 1) : "10.0." + std::to_string(sel & 0x3F) + ".1";
    return net::SocketAddress::parse(host, std::uint16_t(1000 + (sel & 7)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Input in{data, size};
    IceConfig cfg;
    cfg.role = (in.byte() & 1) ? IceRole::Controlling : IceRole::Controlled;
    cfg.lite = in.byte() & 1;
    cfg.local_ufrag = "locl";
    cfg.local_pwd = "local-password-0123456789";
    cfg.tie_breaker = in.u64() | 1;
    IceAgent agent(cfg);
    agent.add_host_candidate(net::SocketAddress::parse("10.0.0.1", 5000));
    agent.add_host_candidate(net::SocketAddress::parse("::1", 5000));
    agent.add_relayed(net::SocketAddress::parse("10.9.9.9", 6000), net::SocketAddress::parse("10.0.0.1", 5000));
    std::string remote_ufrag = "rmte", remote_pwd = "remote-password-012345678";
    std::int64_t now = 1'000'000'000;
    agent.set_remote_credentials(remote_ufrag, remote_pwd, now);
    agent.start(now);
    std::vector<StunTransactionId> tids;

    while (in.n) {
        const std::uint8_t op = in.byte() % 8;
        const net::SocketAddress from = address(in.byte());
        const bool relayed = in.byte() & 1;
        switch (op) {
        case 0: {  // raw bytes
            const std::size_t len = std::min<std::size_t>(in.byte(), in.n);
            agent.on_stun(in.p, len, from, relayed, now);
            in.p += len, in.n -= len;
            break;
        }
        case 1: {  // a well-signed check with fuzzed attributes
            const std::uint8_t f = in.byte();
            StunBuilder b(stun_method::Binding, StunClass::Request, random_transaction_id());
            b.add_string(stun_attr::Username, (f & 1 ? "locl:" : "xxxx:") + remote_ufrag);
            if (f & 2) b.add_u32(stun_attr::Priority, in.u32());
            if (f & 4) b.add_u64(stun_attr::IceControlling, in.u64());
            if (f & 8) b.add_u64(stun_attr::IceControlled, in.u64());
            if (f & 16) b.add_flag(stun_attr::UseCandidate);
            if (f & 32) b.add_u32(0x7001, 1);  // unknown comprehension-required
            b.add_integrity(f & 64 ? "wrong" : cfg.local_pwd);
            if (!(f & 128)) b.add_fingerprint();
            agent.on_stun(b.bytes().data(), b.bytes().size(), from, relayed, now);
            break;
        }
        case 2: {  // an answer to one of our transactions
            const std::uint8_t f = in.byte();
            if (tids.empty()) break;
            const auto& tid = tids[f % tids.size()];
            const bool error = f & 0x10;
            StunBuilder b(stun_method::Binding, error ? StunClass::Error : StunClass::Success, tid);
            if (error) b.add_error_code(f & 0x20 ? 487 : 400 + (f & 0xF), "x");
            else b.add_xor_address(stun_attr::XorMappedAddress, address(in.byte()));
            b.add_integrity(f & 0x40 ? "wrong" : remote_pwd);
            b.add_fingerprint();
            agent.on_stun(b.bytes().data(), b.bytes().size(), from, relayed, now);
            break;
        }
        case 3: now += std::int64_t(in.byte()) * 20'000'000; break;
        case 4: {
            Candidate c;
            c.foundation = std::to_string(in.byte());
            c.priority = in.u32();
            c.address = from;
            agent.add_remote_candidate(c, now);
            break;
        }
        case 5:
            remote_ufrag = "r" + std::to_string(in.byte());
            agent.set_remote_credentials(remote_ufrag, remote_pwd, now);
            break;
        case 6: agent.end_of_remote_candidates(); break;
        case 7: agent.on_media_received(from, now); break;
        }
        if (agent.next_deadline() <= now) agent.on_timeout(now);
        // Every due timer was handled: the engine never spins on a deadline in the past.
        check(agent.next_deadline() > now);
        Transmit t;
        std::size_t queued = 0;
        while (agent.poll_transmit(t)) {
            ++queued;
            if (t.data.size() >= 20 && tids.size() < 64) {
                StunTransactionId id;
                std::copy(t.data.begin() + 8, t.data.begin() + 20, id.begin());
                tids.push_back(id);
            }
        }
        IceEvent e;
        std::size_t events = 0;
        while (agent.poll_event(e)) ++events;
        check(queued <= 256 && events <= 256);
        check(agent.remote_candidates().size() <= 100 && agent.local_candidates().size() <= 16);
    }
    return 0;
}
