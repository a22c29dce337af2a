// The engine thread's send batch over real loopback sockets: packets queued by several
// RtpTransports (each its own socket) to several destinations go out when the scope ends, each
// from its own transport's port to its own destination with its own bytes, across more than
// one submission; a send that fails is counted against its own transport only, the others go
// out. Run by tests/unit/test_media_send_batch.py (argument "off": SIPERB_SEND_BATCH=off, the
// direct path). Prints "mode ring|direct", then "ok <check>" lines.
#include "media/rtp_transport.hpp"
#include "media/send_batch.hpp"
#include "loopback_check.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

using namespace siperb;
using namespace siperb::media;
using native_test::check;
using native_test::Endpoint;

namespace {

struct Got {
    int sender, receiver, seq;
    std::uint16_t from_port;
};

// Everything waiting on the receivers (the sends are done: loopback delivers inside them).
std::vector<Got> receive_all(std::array<Endpoint, 4>& rx) {
    std::vector<Got> out;
    for (int j = 0; j < 4; ++j) {
        for (;;) {
            std::array<std::uint8_t, 2048> buf;
            net::SocketAddress from;
            from.length = sizeof from.storage;
            const ssize_t n = ::recvfrom(rx[static_cast<std::size_t>(j)].sock.fd(), buf.data(), buf.size(), MSG_DONTWAIT,
                                         reinterpret_cast<sockaddr*>(&from.storage), &from.length);
            if (n < 0) break;
            if (n != 172 || buf[12] != j) {
                check(false, "packet arrived at its own destination with its own length");
                continue;
            }
            out.push_back({buf[13], buf[12], buf[2] << 8 | buf[3], from.port()});
        }
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1 && std::strcmp(argv[1], "off") == 0) ::setenv("SIPERB_SEND_BATCH", "off", 1);
    std::array<Endpoint, 3> tx;
    std::array<Endpoint, 4> rx;
    std::array<SessionStats, 3> st{};
    std::vector<std::unique_ptr<StreamEvents>> ev;
    std::vector<std::unique_ptr<RtpTransport>> t;
    for (std::size_t i = 0; i < 3; ++i) {
        ev.push_back(std::make_unique<StreamEvents>(i + 1, nullptr));
        t.push_back(std::make_unique<RtpTransport>(tx[i].sock.fd(), -1, st[i], *ev[i]));
    }
    SendBatch batch;
    const bool ring = batch.batching();
    std::printf("mode %s\n", ring ? "ring" : "direct");

    // 150 packets: three submissions of up to 64, interleaved senders and destinations.
    constexpr int kPackets = 150;
    std::size_t most_pending = 0;
    {
        const SendBatch::Scope scope(batch);
        for (int k = 0; k < kPackets; ++k) {
            const int i = k % 3, j = k % 4;
            std::array<std::uint8_t, 172 + SrtpContext::kSrtpTrailer> pkt{};
            pkt[0] = 0x80;
            pkt[2] = static_cast<std::uint8_t>(k >> 8);
            pkt[3] = static_cast<std::uint8_t>(k);
            pkt[12] = static_cast<std::uint8_t>(j);
            pkt[13] = static_cast<std::uint8_t>(i);
            t[static_cast<std::size_t>(i)]->set_remote_rtp(rx[static_cast<std::size_t>(j)].addr);
            t[static_cast<std::size_t>(i)]->send_rtp(pkt.data(), 172);
            most_pending = std::max(most_pending, batch.pending());
        }
        check(ring ? most_pending == SendBatch::kCapacity && batch.pending() > 0 : most_pending == 0,
              "queued while the scope is open (the direct path queues nothing)");
    }
    check(batch.pending() == 0, "flushed when the scope ends");
    const std::vector<Got> got = receive_all(rx);
    check(got.size() == kPackets, "every packet arrived");
    std::array<bool, kPackets> seen{};
    bool right = true;
    for (const Got& g : got) {
        right = right && g.seq < kPackets && g.sender == g.seq % 3 && g.receiver == g.seq % 4 &&
                g.from_port == tx[static_cast<std::size_t>(g.sender)].addr.port() && !seen[static_cast<std::size_t>(g.seq)];
        if (g.seq < kPackets) seen[static_cast<std::size_t>(g.seq)] = true;
    }
    check(right, "each from its own transport's port to its own destination, once");
    check(!ring || batch.stats().submits == 3, "three submissions for 150 packets");
    check(st[0].send_errors + st[1].send_errors + st[2].send_errors == 0, "no send errors");

    // A bad destination in the middle of a batch (UDP refuses port 0 at once): counted against
    // its own transport; the packets around it still go out.
    {
        const SendBatch::Scope scope(batch);
        for (int i = 0; i < 3; ++i) {
            std::array<std::uint8_t, 172 + SrtpContext::kSrtpTrailer> pkt{};
            pkt[0] = 0x80;
            pkt[3] = static_cast<std::uint8_t>(i);  // seq i: sender i, receiver i
            pkt[12] = static_cast<std::uint8_t>(i);
            pkt[13] = static_cast<std::uint8_t>(i);
            t[static_cast<std::size_t>(i)]->set_remote_rtp(i == 1 ? net::SocketAddress::parse("127.0.0.1", 0) : rx[static_cast<std::size_t>(i)].addr);
            t[static_cast<std::size_t>(i)]->send_rtp(pkt.data(), 172);
        }
    }
    const std::vector<Got> after = receive_all(rx);
    check(st[1].send_errors == 1 && st[0].send_errors == 0 && st[2].send_errors == 0, "the failed send counted against its own transport");
    check(after.size() == 2 && after[0].seq != 1 && after[1].seq != 1, "the others went out");
    check(!ring || batch.stats().errors == 1, "the batch counted one error");

    // A settled peer (RtpTransport::settle): the socket is connected, its packets go without an
    // address (IORING_OP_SEND in the ring) from its own port to that peer; a new remote
    // disconnects it at once.
    t[0]->set_remote_rtp(rx[3].addr);
    t[0]->settle(rx[3].addr, 1'000'000'000, 1'000'000'000);
    const bool connected = t[0]->connected();
    {
        const SendBatch::Scope scope(batch);
        for (int k = 0; k < 5; ++k) {
            std::array<std::uint8_t, 172 + SrtpContext::kSrtpTrailer> pkt{};
            pkt[0] = 0x80;
            pkt[3] = static_cast<std::uint8_t>(k);
            pkt[12] = 3;
            t[0]->send_rtp(pkt.data(), 172);
        }
    }
    const std::vector<Got> peer = receive_all(rx);
    bool from_port = peer.size() == 5;
    for (const Got& g : peer) from_port = from_port && g.receiver == 3 && g.from_port == tx[0].addr.port();
    check(connected && from_port && st[0].send_errors == 0, "a connected transport's packets reach its peer from its port");
    t[0]->set_remote_rtp(rx[2].addr);
    check(!t[0]->connected(), "a new remote disconnects it at once");
    return native_test::failures == 0 ? 0 : 1;
}
