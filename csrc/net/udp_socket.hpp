// Non-blocking UDP sockets for RTP and RTCP (IPv4 and IPv6), numeric addresses only.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <utility>

namespace siperb::net {

struct SocketAddress {
    sockaddr_storage storage{};
    socklen_t length = 0;

    // Numeric host ("127.0.0.1", "::1", "[::1]"); throws MediaError(field, reason).
    static SocketAddress parse(const std::string& host, std::uint16_t port, const char* field = "address");
    bool empty() const noexcept { return length == 0; }
    int family() const noexcept { return storage.ss_family; }
    std::uint16_t port() const noexcept;
    std::string host() const;
    // Writes the numeric host into buf (NUL-terminated, truncated to n).
    void host_into(char* buf, std::size_t n) const noexcept;
    bool operator==(const SocketAddress& o) const noexcept;
    bool same_host(const SocketAddress& o) const noexcept;  // the address, whatever the port
    const sockaddr* sa() const noexcept { return reinterpret_cast<const sockaddr*>(&storage); }
};

class UdpSocket {
public:
    UdpSocket() = default;
    ~UdpSocket();
    UdpSocket(UdpSocket&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    UdpSocket& operator=(UdpSocket&& o) noexcept;

    // Binds to address:port (port 0: the kernel picks). False if the port is taken.
    bool bind(const SocketAddress& local);
    int fd() const noexcept { return fd_; }
    std::uint16_t local_port() const;
    void close() noexcept;

private:
    int fd_ = -1;
};

// Binds an RTP socket on an even port and an RTCP socket on the next port, trying ports in
// [port_min, port_max] from a random start (both 0: 16384-32767). Throws MediaError("port",
// ...) if no pair is free.
std::pair<UdpSocket, UdpSocket> bind_rtp_pair(const std::string& address, std::uint16_t port_min,
                                              std::uint16_t port_max);
// One socket on any port of [port_min, port_max] from a random start (both 0: 16384-32767),
// for a WebRTC session (rtcp-mux: RTP, RTCP, STUN and DTLS share it). Throws MediaError("port").
UdpSocket bind_single(const std::string& address, std::uint16_t port_min, std::uint16_t port_max);
// The address a socket is bound to (empty on error).
SocketAddress local_address_of(int fd);
// True when fd is bound to one address (not 0.0.0.0 or ::). connect() on a wildcard-bound
// socket would also narrow what it receives to the one local address the route to the peer
// picks, which need not be the address the peer sends to (a multi-homed host).
bool bound_to_one_address(int fd);
// connect()s a bound UDP socket to its one peer: the kernel keeps the route for sends without
// an address and takes datagrams only from that peer (others are dropped before any read). A
// second connect moves it. False (errno kept) when the kernel refuses.
bool connect_peer(int fd, const SocketAddress& peer) noexcept;
// Undoes connect_peer (AF_UNSPEC): datagrams from anyone again. The socket keeps its address
// and port only because it was bound to an explicit port (as bind_rtp_pair and bind_single
// do): the kernel unbinds a socket bound to port 0 here.
bool disconnect_peer(int fd) noexcept;

}  // namespace siperb::net
