#include "net/udp_socket.hpp"

#include "common/error.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/ip.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

namespace siperb::net {

SocketAddress SocketAddress::parse(const std::string& host_in, std::uint16_t port, const char* field) {
    std::string host = host_in;
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    SocketAddress a;
    if (host.find(':') != std::string::npos) {
        auto* s6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
        if (inet_pton(AF_INET6, host.c_str(), &s6->sin6_addr) != 1)
            throw MediaError(field, "'" + host_in + "' is not a numeric IPv6 address");
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        a.length = sizeof(sockaddr_in6);
    } else {
        auto* s4 = reinterpret_cast<sockaddr_in*>(&a.storage);
        if (inet_pton(AF_INET, host.c_str(), &s4->sin_addr) != 1)
            throw MediaError(field, "'" + host_in + "' is not a numeric IPv4 address");
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        a.length = sizeof(sockaddr_in);
    }
    return a;
}

std::uint16_t SocketAddress::port() const noexcept {
    if (family() == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
    if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
    return 0;
}

void SocketAddress::host_into(char* buf, std::size_t n) const noexcept {
    if (n == 0) return;
    buf[0] = 0;
    char tmp[INET6_ADDRSTRLEN] = {};
    if (family() == AF_INET6)
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr, tmp, sizeof tmp);
    else if (family() == AF_INET)
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr, tmp, sizeof tmp);
    std::strncpy(buf, tmp, n - 1);
    buf[n - 1] = 0;
}

std::string SocketAddress::host() const {
    char buf[INET6_ADDRSTRLEN] = {};
    host_into(buf, sizeof buf);
    return buf;
}

bool SocketAddress::same_host(const SocketAddress& o) const noexcept {
    if (family() != o.family()) return false;
    if (family() == AF_INET) {
        auto* a = reinterpret_cast<const sockaddr_in*>(&storage);
        auto* b = reinterpret_cast<const sockaddr_in*>(&o.storage);
        return a->sin_addr.s_addr == b->sin_addr.s_addr;
    }
    if (family() == AF_INET6) {
        auto* a = reinterpret_cast<const sockaddr_in6*>(&storage);
        auto* b = reinterpret_cast<const sockaddr_in6*>(&o.storage);
        return std::memcmp(&a->sin6_addr, &b->sin6_addr, sizeof a->sin6_addr) == 0;
    }
    return length == o.length;
}

bool SocketAddress::operator==(const SocketAddress& o) const noexcept {
    if (!same_host(o)) return false;
    if (family() == AF_INET || family() == AF_INET6) return port() == o.port();
    return length == o.length;
}

UdpSocket::~UdpSocket() { close(); }

UdpSocket& UdpSocket::operator=(UdpSocket&& o) noexcept {
    if (this != &o) {
        close();
        fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
}

void UdpSocket::close() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

bool UdpSocket::bind(const SocketAddress& local) {
    close();
    fd_ = ::socket(local.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw MediaError("socket", std::strerror(errno));
    const int on = 1;
    // The kernel's arrival time of each datagram: the engine reads RTP at packet-time ticks, so
    // jitter and the jitter buffer's delay estimate must not see the time of the read.
    ::setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
    // ICMP errors (port unreachable) reach us through the error queue and as ECONNREFUSED.
    if (local.family() == AF_INET6) {
        ::setsockopt(fd_, IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof on);
        ::setsockopt(fd_, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
    } else {
        ::setsockopt(fd_, IPPROTO_IP, IP_RECVERR, &on, sizeof on);
        const int tos = 0xB8;  // DSCP EF (RFC 4594: telephony)
        ::setsockopt(fd_, IPPROTO_IP, IP_TOS, &tos, sizeof tos);
    }
    if (::bind(fd_, local.sa(), local.length) != 0) {
        const int e = errno;
        close();
        if (e == EADDRINUSE || e == EACCES) return false;
        throw MediaError("address", std::string("cannot bind: ") + std::strerror(e));
    }
    return true;
}

std::uint16_t UdpSocket::local_port() const {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (fd_ < 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
    SocketAddress a;
    a.storage = ss;
    a.length = len;
    return a.port();
}

std::pair<UdpSocket, UdpSocket> bind_rtp_pair(const std::string& address, std::uint16_t port_min,
                                              std::uint16_t port_max) {
    if (port_min == 0 && port_max == 0) {
        port_min = 16384;
        port_max = 32767;
    }
    if (port_max < port_min || port_max - port_min < 1) throw MediaError("port", "range needs at least two ports");
    const std::uint32_t first_even = (port_min + 1u) & ~1u;
    const std::uint32_t pairs = (port_max - first_even + 1u) / 2u;
    if (pairs == 0) throw MediaError("port", "range holds no even/odd port pair");
    static thread_local std::mt19937 rng{std::random_device{}()};
    const std::uint32_t start = std::uniform_int_distribution<std::uint32_t>(0, pairs - 1)(rng);
    for (std::uint32_t i = 0; i < pairs; ++i) {
        const auto port = static_cast<std::uint16_t>(first_even + 2 * ((start + i) % pairs));
        UdpSocket rtp, rtcp;
        if (!rtp.bind(SocketAddress::parse(address, port, "local_address"))) continue;
        if (!rtcp.bind(SocketAddress::parse(address, static_cast<std::uint16_t>(port + 1), "local_address"))) continue;
        return {std::move(rtp), std::move(rtcp)};
    }
    throw MediaError("port", "no free RTP/RTCP port pair in " + std::to_string(port_min) + "-" + std::to_string(port_max));
}

UdpSocket bind_single(const std::string& address, std::uint16_t port_min, std::uint16_t port_max) {
    if (port_min == 0 && port_max == 0) {
        port_min = 16384;
        port_max = 32767;
    }
    if (port_max < port_min) throw MediaError("port", "port_max is below port_min");
    const std::uint32_t n = port_max - port_min + 1u;
    static thread_local std::mt19937 rng{std::random_device{}()};
    const std::uint32_t start = std::uniform_int_distribution<std::uint32_t>(0, n - 1)(rng);
    for (std::uint32_t i = 0; i < n; ++i) {
        UdpSocket s;
        if (s.bind(SocketAddress::parse(address, static_cast<std::uint16_t>(port_min + (start + i) % n), "local_address")))
            return s;
    }
    throw MediaError("port", "no free port in " + std::to_string(port_min) + "-" + std::to_string(port_max));
}

SocketAddress local_address_of(int fd) {
    SocketAddress a;
    socklen_t len = sizeof a.storage;
    if (fd < 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&a.storage), &len) != 0) return {};
    a.length = len;
    return a;
}

bool bound_to_one_address(int fd) {
    const SocketAddress a = local_address_of(fd);
    if (a.family() == AF_INET) return reinterpret_cast<const sockaddr_in*>(&a.storage)->sin_addr.s_addr != htonl(INADDR_ANY);
    if (a.family() == AF_INET6) return !IN6_IS_ADDR_UNSPECIFIED(&reinterpret_cast<const sockaddr_in6*>(&a.storage)->sin6_addr);
    return false;
}

bool connect_peer(int fd, const SocketAddress& peer) noexcept {
    return fd >= 0 && !peer.empty() && ::connect(fd, peer.sa(), peer.length) == 0;
}

bool disconnect_peer(int fd) noexcept {
    sockaddr_storage none{};
    none.ss_family = AF_UNSPEC;
    return fd >= 0 && ::connect(fd, reinterpret_cast<const sockaddr*>(&none), sizeof(sa_family_t)) == 0;
}

}  // namespace siperb::net
