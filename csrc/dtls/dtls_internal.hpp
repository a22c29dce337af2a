// The pieces of DtlsSession that are not the state machine: the datagram BIO (one write is
// one datagram, one read is one datagram, so record boundaries survive), the remote
// fingerprint (parse, compare in constant time) and the cheap checks of a datagram before
// OpenSSL sees it (record framing, a hello for the other role).
#pragma once

#include "dtls/dtls_session.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace siperb::dtls {

using Datagram = std::vector<std::uint8_t>;

// The two queues behind the BIO. The session owns it; the BIO only points to it.
struct DatagramQueues {
    static constexpr std::size_t kMaxOut = 64;  // datagrams waiting for poll_transmit
    std::deque<Datagram> in, out;
    std::uint64_t out_dropped = 0;  // writes refused because `out` was full
};

// A BIO over `q` (not owned); BIO_free it (SSL_set_bio hands it to the SSL).
BIO* make_datagram_bio(DatagramQueues* q);

struct Fingerprint {
    const EVP_MD* md = nullptr;
    std::vector<std::uint8_t> digest;
};
// "sha-256" (also sha-1, sha-224, sha-384, sha-512; any case) and "AB:CD:..." (colons
// optional, any case). Throws MediaError("fingerprint", reason).
Fingerprint parse_fingerprint(const std::string& algorithm, const std::string& hex);
// The certificate's digest under fp.md compared with fp.digest in constant time.
bool fingerprint_matches(const Fingerprint& fp, X509* cert);

enum class DatagramCheck { Ok, Malformed, WrongRole };
// Every record of the datagram is a whole DTLS 1.0/1.2 plaintext-header record (RFC 6347
// 4.1); an epoch-0 ClientHello is only for a server, a ServerHello/HelloVerifyRequest only for
// a client.
DatagramCheck check_datagram(const std::uint8_t* data, std::size_t len, DtlsRole role) noexcept;

}  // namespace siperb::dtls
