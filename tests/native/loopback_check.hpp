// What the native test programs over real loopback sockets share: a check that prints
// "ok <what>" or "FAIL <what>" (the Python runner reads those lines) and counts failures, and a
// UDP socket bound to a free port on 127.0.0.1 with its address.
#pragma once

#include "net/udp_socket.hpp"

#include <cstdio>

namespace native_test {

inline int failures = 0;

inline void check(bool ok, const char* what) {
    std::printf("%s %s\n", ok ? "ok" : "FAIL", what);
    if (!ok) ++failures;
}

struct Endpoint {
    siperb::net::UdpSocket sock;
    siperb::net::SocketAddress addr;
    Endpoint() {
        sock.bind(siperb::net::SocketAddress::parse("127.0.0.1", 0));
        addr = siperb::net::local_address_of(sock.fd());
    }
};

}  // namespace native_test
