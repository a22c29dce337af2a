// The engine thread's receive batch over real loopback sockets: 100 receiving sockets (two ring
// submissions' worth) with 0 to 3 datagrams each, one with a burst of 75 (past the ring rounds
// and past one recvmmsg drain), and one with a pending ICMP port-unreachable error. Every
// datagram reaches the index of its own socket, in the order it was sent, with its sender's
// port and a kernel arrival time no later than the read; the error is reported for its own
// socket only, and the datagram behind it still arrives; a socket is read again only when SIOCINQ
// says it holds another datagram. Run by tests/unit/test_media_send_batch.py
// (argument "off": SIPERB_RECV_BATCH=off, recvmmsg per socket). Prints "mode ring|direct",
// then "ok <check>" lines.
#include "common/clock.hpp"
#include "media/recv_batch.hpp"
#include "media/send_batch.hpp"
#include "loopback_check.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

using namespace siperb;
using namespace siperb::media;
using native_test::check;
using native_test::Endpoint;

namespace {

struct Got {
    int seq;
    std::uint16_t from_port;
    int len;
};

struct Collect final : RecvBatch::Sink {
    std::vector<std::vector<Got>> got;
    std::vector<std::vector<int>> errors;
    std::int64_t latest_arrival = 0;  // of the first drain
    explicit Collect(std::size_t n) : got(n), errors(n) {}
    void datagram(std::size_t i, std::uint8_t* data, int len, const net::SocketAddress& from, std::int64_t arrival_ns) override {
        got[i].push_back({len >= 4 ? data[2] << 8 | data[3] : -1, from.port(), len});
        latest_arrival = std::max(latest_arrival, arrival_ns);
    }
    void read_error(std::size_t i, int err) override { errors[i].push_back(err); }
};

void send(const Endpoint& from, const Endpoint& to, int seq, int len) {
    std::vector<std::uint8_t> pkt(static_cast<std::size_t>(len), 0);
    pkt[0] = 0x80;
    pkt[2] = static_cast<std::uint8_t>(seq >> 8);
    pkt[3] = static_cast<std::uint8_t>(seq);
    ::sendto(from.sock.fd(), pkt.data(), pkt.size(), 0, to.addr.sa(), to.addr.length);
}

void run(bool probe) {
    constexpr std::size_t kSockets = 100, kBurst = 7, kIcmp = 9;
    std::vector<Endpoint> rx(kSockets);
    std::vector<Endpoint> tx(3);
    std::vector<int> fds;
    for (const Endpoint& e : rx) fds.push_back(e.sock.fd());
    std::vector<std::vector<int>> sent(kSockets);
    // The ICMP error first: socket kIcmp sends to a closed port (IP_RECVERR is on), then gets
    // one datagram.
    {
        Endpoint closed;
        const net::SocketAddress gone = closed.addr;
        closed.sock.close();
        const std::uint8_t b = 0;
        ::sendto(fds[kIcmp], &b, 1, 0, gone.sa(), gone.length);
    }
    int seq = 0;
    for (std::size_t i = 0; i < kSockets; ++i) {
        const int count = i == kBurst ? 75 : static_cast<int>(i % 4);  // 0-3, or a burst
        for (int k = 0; k < count; ++k) {
            send(tx[static_cast<std::size_t>(k) % tx.size()], rx[i], seq, 172);
            sent[i].push_back(seq++);
        }
    }
    const std::int64_t sent_by = monotonic_ns();
    ::usleep(30'000);  // arrival times must be the kernel's, 30 ms before the read
    SendBatch ring_owner;
    net::SendRing* ring = ring_owner.ring();
    RecvBatch batch(probe);
    Collect c(kSockets);
    const std::int64_t now = monotonic_ns();
    const bool ringed = batch.drain(ring, fds.data(), kSockets, now, c);
    if (!ringed)
        for (std::size_t i = 0; i < kSockets; ++i) batch.drain_one(fds[i], i, now, c);
    std::printf("mode %s%s\n", ringed ? "ring" : "direct", probe ? "" : ", probes off");

    bool own = true, order = true, ports = true;
    std::size_t total = 0;
    for (std::size_t i = 0; i < kSockets; ++i) {
        total += c.got[i].size();
        for (std::size_t k = 0; k < c.got[i].size(); ++k) {
            const Got& g = c.got[i][k];
            own = own && g.len == 172 && k < sent[i].size();
            order = order && k < sent[i].size() && g.seq == sent[i][k];
            ports = ports && g.from_port == tx[k % tx.size()].addr.port();
        }
    }
    // A burst is read up to 2 ring rounds plus 8 recvmmsg of 8 (66) at one drain; the rest waits.
    const std::size_t burst_read = c.got[kBurst].size();
    check(ringed ? burst_read == 66 : burst_read == 64, "a burst is read up to its bound per drain");
    bool others_complete = true;
    for (std::size_t i = 0; i < kSockets; ++i)
        if (i != kBurst) others_complete = others_complete && c.got[i].size() == sent[i].size();
    check(others_complete, "every other socket's datagrams were read");
    check(own && order, "each datagram reached its own socket's index, in the order sent");
    check(ports, "each with its sender's port");
    check(c.latest_arrival > 0 && c.latest_arrival <= sent_by + 1'000'000, "kernel arrival times (when sent), not the read's");
    bool errors_own = c.errors[kIcmp].size() == 1 && c.errors[kIcmp][0] == ECONNREFUSED;
    for (std::size_t i = 0; i < kSockets; ++i)
        if (i != kIcmp) errors_own = errors_own && c.errors[i].empty();
    check(errors_own, "the ICMP error reported for its own socket only");
    check(ringed == (ring != nullptr && std::getenv("SIPERB_RECV_BATCH") == nullptr), "ring used exactly when open and not switched off");
    std::size_t first_two = 0;  // what the ring rounds read; the rest is recvmmsg's
    for (std::size_t i = 0; i < kSockets; ++i) first_two += std::min<std::size_t>(sent[i].size(), RecvBatch::kRingRounds);
    // Reads: 100 sockets (2 submissions), then the 51 holding more (1). Probes (SIOCINQ) of the
    // 74 and 51 that gave a datagram: 2 + 1. A kernel without SIOCINQ in io_uring reads the 75
    // of round one again instead (2), after at most 2 refused probes.
    const RecvBatchStats& bs = batch.stats();
    const bool probed = bs.probes == 3 && bs.submits == 3, unprobed = bs.probes <= 2 && bs.submits == 4;
    std::printf("probes %s\n", probed ? "siocinq" : "none");
    check(!ringed || ((probe ? probed || unprobed : unprobed && bs.probes == 0) && bs.packets == first_two && total > first_two),
          "reads only where a datagram is queued; ring reads counted");

    // The second drain takes the rest of the burst, still in order, and nothing else.
    Collect c2(kSockets);
    if (!batch.drain(ring, fds.data(), kSockets, monotonic_ns(), c2))
        for (std::size_t i = 0; i < kSockets; ++i) batch.drain_one(fds[i], i, monotonic_ns(), c2);
    bool rest = c2.got[kBurst].size() == 75 - burst_read;
    for (std::size_t k = 0; rest && k < c2.got[kBurst].size(); ++k) rest = c2.got[kBurst][k].seq == sent[kBurst][burst_read + k];
    std::size_t others = 0;
    for (std::size_t i = 0; i < kSockets; ++i)
        if (i != kBurst) others += c2.got[i].size();
    check(rest && others == 0, "the next drain reads the rest of the burst in order, nothing else");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1 && std::strcmp(argv[1], "off") == 0) ::setenv("SIPERB_RECV_BATCH", "off", 1);
    run(true);
    run(false);  // the path of a kernel without SIOCINQ in io_uring
    return native_test::failures == 0 ? 0 : 1;
}
