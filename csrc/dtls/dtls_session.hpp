// DTLS-SRTP (RFC 5764, RFC 8827) over OpenSSL 3 memory BIOs, sans-IO: datagrams in,
// datagrams out, next deadline. One certificate per process (ECDSA P-256), its sha-256
// fingerprint for a=fingerprint; the peer's certificate is verified against the fingerprint
// from its SDP, not against a CA. When the handshake completes, the SRTP keys come from the
// EXTRACTOR-dtls_srtp exporter for the negotiated use_srtp profile.
//
// INTERFACE CONTRACT (written before the implementation so that the engine integration can be
// built in parallel): the names and signatures below are what csrc/media uses. The
// implementation may add members; changing these needs the engine side changed in the same
// commit.
#pragma once

#include "media/srtp.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace siperb::dtls {

// The process's certificate and key (created once, on first use; thread-safe).
class DtlsCertificate {
public:
    static std::shared_ptr<const DtlsCertificate> process();
    static std::shared_ptr<const DtlsCertificate> generate();  // a fresh one (tests)
    ~DtlsCertificate();
    // "sha-256" and "AB:CD:..." (upper-case hex), as in a=fingerprint (RFC 8122).
    const std::string& fingerprint_algorithm() const noexcept;
    const std::string& fingerprint() const noexcept;
    struct Impl;
    const Impl& impl() const noexcept { return *impl_; }

private:
    DtlsCertificate();
    std::unique_ptr<Impl> impl_;
};

// a=setup (RFC 8842): active is the DTLS client, passive the server.
enum class DtlsRole { Client, Server };
enum class DtlsState { New, Connecting, Connected, Failed, Closed };
const char* to_string(DtlsState s) noexcept;

struct DtlsConfig {
    DtlsRole role = DtlsRole::Server;
    unsigned mtu = 1200;  // handshake datagrams stay under this
    // Profiles offered/accepted, in preference order.
    std::vector<media::SrtpSuite> srtp_profiles = {media::SrtpSuite::AeadAes128Gcm,
                                                   media::SrtpSuite::AesCm128HmacSha1_80};
    // Added by the implementation: the first retransmission timeout (doubling up to 8 s per
    // RFC 6347 4.2.4.1; shorter than its 1 s because loss on a fresh ICE path is common) and
    // the time after start() by which the handshake must be done (then Failed, "timeout").
    unsigned initial_timeout_ms = 400;
    unsigned handshake_timeout_ms = 30000;
};

class DtlsSession {
public:
    DtlsSession(std::shared_ptr<const DtlsCertificate> cert, DtlsConfig cfg);
    ~DtlsSession();
    DtlsSession(const DtlsSession&) = delete;
    DtlsSession& operator=(const DtlsSession&) = delete;

    DtlsRole role() const noexcept;
    DtlsState state() const noexcept;
    // Why it failed ("fingerprint mismatch", "handshake: <OpenSSL reason>", "timeout").
    const std::string& failure() const noexcept;

    // The remote's a=fingerprint. May come after the handshake has started (a ClientHello
    // before the SDP answer): the handshake goes on and the peer is verified once it is known;
    // the session reaches Connected only with a verified fingerprint. Throws
    // MediaError("fingerprint", reason) for an unsupported algorithm or malformed hex.
    void set_remote_fingerprint(const std::string& algorithm, const std::string& hex);

    // Client: sends the ClientHello. Server: waits for one (datagrams may already have come).
    void start(std::int64_t now_ns);
    // A DTLS record datagram (first byte 20..63). Garbage is counted and dropped, never thrown.
    void on_datagram(const std::uint8_t* data, std::size_t len, std::int64_t now_ns);
    std::int64_t next_deadline() const noexcept;  // INT64_MAX: nothing pending
    void on_timeout(std::int64_t now_ns);
    bool poll_transmit(std::vector<std::uint8_t>& out);
    // Sends close_notify (queued for poll_transmit).
    void close();

    // Once Connected: the negotiated suite and the keys for our sending (local) and receiving
    // (remote) SRTP contexts, as RFC 5764 4.2 assigns client and server write keys.
    struct SrtpKeys {
        media::SrtpKey local, remote;
    };
    std::optional<SrtpKeys> srtp_keys() const;

    struct Stats {
        std::uint64_t datagrams_in = 0, datagrams_out = 0, dropped = 0, retransmits = 0;
    };
    Stats stats() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace siperb::dtls
