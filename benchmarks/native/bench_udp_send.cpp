// What one RTP packet costs the kernel on loopback, by the way it is sent: the measurement
// behind the engine's send batch (csrc/media/send_batch.hpp). 1,000 sockets (as 500 calls have
// 1,000 sessions, each with its own port), each sending one 172-byte packet per round to its
// partner, 300 rounds; the thread's CPU time for sending and for receiving (recvfrom, one per
// socket) per packet. Modes:
//   sendto        what the engine did: one sendto per packet on the session's socket
//   sendmmsg/fd   sendmmsg on each session's socket with its one packet (sendmmsg takes one fd)
//   connected     send() on sockets connect()ed to the partner (cached route; but a connected
//                 socket receives only from that address, which symmetric RTP cannot accept)
//   shared        one sendmmsg per round on one shared socket (wrong source port: not usable)
//   io_uring      one io_uring submission per 64 packets, each on its own socket (the engine's
//                 net::SendRing)
//   io_uring+conn the same on connect()ed sockets, each packet without an address (SendRing
//                 makes it an IORING_OP_SEND): the engine once a session's peer is settled
// and, with the io_uring sends, by the way it is read (the engine's media::RecvBatch):
//   recv          one recv per socket (the lower bound: it does not look for a second packet)
//   recvmmsg      one recvmmsg of up to 8 per socket, as the engine read without the ring (the
//                 kernel tries a second datagram after the first and fails)
//   ring          RecvBatch over the ring without SIOCINQ: one recvmsg per socket in
//                 submissions of 64, then a second round for the sockets that gave one (the same
//                 failing read, but two system calls per 64 sockets instead of 64)
//   ring+inq      RecvBatch as the engine uses it: the second round asks SIOCINQ and reads only
//                 the sockets holding another datagram (none here)
// Build with -DSIPERB_NATIVE_BENCH=ON; run build/.../bench_udp_send (argument "connected":
// io_uring and io_uring+conn, both read as the engine reads, 5 passes; "epoll": io_uring+conn
// with the sockets in an epoll set with no events, as the engine's were, and without).
#include "media/recv_batch.hpp"
#include "net/send_ring.hpp"
#include "net/udp_socket.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <utility>
#include <vector>

using namespace siperb;

namespace {

constexpr int kSockets = 1000, kRounds = 300, kBatch = 64;

double thread_cpu() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Count final : media::RecvBatch::Sink {
    long n = 0;
    void datagram(std::size_t, std::uint8_t*, int, const net::SocketAddress&, std::int64_t) override { ++n; }
    void read_error(std::size_t, int) override {}
};

void run(const char* name, int mode, int read = 0, bool in_epoll = false) {
    std::vector<net::UdpSocket> socks(kSockets);
    std::vector<net::SocketAddress> addr(kSockets);
    for (int i = 0; i < kSockets; ++i) {
        socks[static_cast<std::size_t>(i)].bind(net::SocketAddress::parse("127.0.0.1", 0));
        addr[static_cast<std::size_t>(i)] = net::local_address_of(socks[static_cast<std::size_t>(i)].fd());
    }
    if (mode == 2 || mode == 5)
        for (int i = 0; i < kSockets; ++i)
            ::connect(socks[static_cast<std::size_t>(i)].fd(), addr[static_cast<std::size_t>(i ^ 1)].sa(), addr[0].length);
    // As the engine's RTP sockets were (events 0, for EPOLLERR): every datagram queued and
    // every send freed then takes the socket's wait-queue lock and calls into epoll.
    const int ep = in_epoll ? ::epoll_create1(0) : -1;
    for (int i = 0; in_epoll && i < kSockets; ++i) {
        epoll_event ev{};
        ::epoll_ctl(ep, EPOLL_CTL_ADD, socks[static_cast<std::size_t>(i)].fd(), &ev);
    }
    net::UdpSocket shared;
    shared.bind(net::SocketAddress::parse("127.0.0.1", 0));
    net::SendRing ring;
    media::RecvBatch reader(read == 3);
    Count counted;
    if (mode >= 4 && !ring.open(kBatch)) {
        std::printf("%-13s io_uring refused by the kernel\n", name);
        return;
    }
    std::array<std::uint8_t, 172> pkt{0x80};
    std::vector<iovec> iov(kSockets);
    std::vector<mmsghdr> mm(kSockets);
    std::vector<int> fds(kSockets);
    std::vector<msghdr*> msgs(kSockets);
    std::vector<int> result(kSockets);
    for (int i = 0; i < kSockets; ++i) {
        const auto u = static_cast<std::size_t>(i);
        iov[u] = {pkt.data(), pkt.size()};
        mm[u] = mmsghdr{};
        mm[u].msg_hdr.msg_name = mode == 5 ? nullptr : &addr[u ^ 1].storage;
        mm[u].msg_hdr.msg_namelen = mode == 5 ? 0 : addr[u ^ 1].length;
        mm[u].msg_hdr.msg_iov = &iov[u];
        mm[u].msg_hdr.msg_iovlen = 1;
        fds[u] = socks[u].fd();
        msgs[u] = &mm[u].msg_hdr;
    }
    double send_s = 0, recv_s = 0;
    long got = 0;
    std::array<std::uint8_t, 2048> buf;
    for (int r = 0; r < kRounds; ++r) {
        const double t0 = thread_cpu();
        for (int i = 0; i < kSockets; ++i) {
            const auto u = static_cast<std::size_t>(i);
            if (mode == 0) ::sendto(fds[u], pkt.data(), pkt.size(), 0, addr[u ^ 1].sa(), addr[u ^ 1].length);
            else if (mode == 1) ::sendmmsg(fds[u], &mm[u], 1, 0);
            else if (mode == 2) ::send(fds[u], pkt.data(), pkt.size(), 0);
        }
        if (mode == 3)
            for (int s = 0; s < kSockets;) {
                const int n = ::sendmmsg(shared.fd(), &mm[static_cast<std::size_t>(s)], static_cast<unsigned>(kSockets - s), 0);
                if (n <= 0) break;
                s += n;
            }
        if (mode >= 4)
            for (int s = 0; s < kSockets; s += kBatch)
                ring.submit(&fds[static_cast<std::size_t>(s)], &msgs[static_cast<std::size_t>(s)],
                            static_cast<std::size_t>(std::min(kBatch, kSockets - s)), &result[static_cast<std::size_t>(s)]);
        const double t1 = thread_cpu();
        if (read == 0)
            for (int i = 0; i < kSockets; ++i)
                if (::recv(fds[static_cast<std::size_t>(i)], buf.data(), buf.size(), MSG_DONTWAIT) > 0) ++got;
        if (read == 1)
            for (int i = 0; i < kSockets; ++i) reader.drain_one(fds[static_cast<std::size_t>(i)], 0, 0, counted);
        if (read >= 2) reader.drain(&ring, fds.data(), fds.size(), 0, counted);
        got += std::exchange(counted.n, 0);
        send_s += t1 - t0;
        recv_s += thread_cpu() - t1;
    }
    const char* reads[] = {"recv", "recvmmsg", "ring", "ring+inq"};
    std::printf("%-13s send %.2f us  %-8s receive %.2f us  per packet (%ld of %d received)%s\n", name, send_s * 1e6 / got,
                reads[read], recv_s * 1e6 / got, got, kSockets * kRounds, in_epoll ? "  in epoll" : "");
    if (ep >= 0) ::close(ep);
}

}  // namespace

int main(int argc, char** argv) {
    const char* names[] = {"sendto", "sendmmsg/fd", "connected", "shared", "io_uring", "io_uring+conn"};
    if (argc > 1 && std::strcmp(argv[1], "connected") == 0) {  // the engine's path, unconnected vs connected
        for (int pass = 0; pass < 5; ++pass)
            for (int mode = 4; mode < 6; ++mode) run(names[mode], mode, 3);
        return 0;
    }
    if (argc > 1 && std::strcmp(argv[1], "epoll") == 0) {  // the engine's path with its sockets in epoll or not
        for (int pass = 0; pass < 5; ++pass)
            for (int in = 1; in >= 0; --in) run(names[5], 5, 3, in != 0);
        return 0;
    }
    for (int pass = 0; pass < 2; ++pass)
        for (int mode = 0; mode < 6; ++mode) run(names[mode], mode);
    for (int pass = 0; pass < 3; ++pass)
        for (int read = 0; read < 4; ++read) run(names[4], 4, read);
    return 0;
}
