// DtlsSession: an OpenSSL DTLS 1.2 endpoint behind the datagram BIO (datagram_bio.cpp),
// driven by the caller's datagrams and clock. OpenSSL runs the handshake, reassembles
// fragmented hellos (a browser's ClientHello offering DTLS 1.3 with post-quantum key shares
// spans several datagrams) and retransmits; this file adds what WebRTC needs around it: the
// peer checked against the SDP fingerprint (also when the fingerprint comes late), use_srtp
// limited to what libsrtp2 can do, the exporter keys, and counters instead of exceptions for
// whatever the network sends.
#include "dtls/certificate_impl.hpp"
#include "dtls/dtls_internal.hpp"

#include "common/error.hpp"

#include <openssl/err.h>

#include <algorithm>
#include <array>
#include <climits>
#include <deque>

namespace siperb::dtls {
namespace {

constexpr std::size_t kMaxPending = 16;  // datagrams kept before start()
constexpr unsigned kMaxTimeoutUs = 8'000'000;
constexpr long kMaxCertList = 16 * 1024;  // bounds the peer's Certificate message
// Server first, as browsers and libwebrtc prefer it; ECDHE only (forward secrecy).
constexpr const char* kCiphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:"
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA";
constexpr const char* kGroups = "X25519:P-256:P-384";
constexpr const char* kExporterLabel = "EXTRACTOR-dtls_srtp";

const char* openssl_profile(media::SrtpSuite s) {
    switch (s) {
    case media::SrtpSuite::AeadAes128Gcm: return "SRTP_AEAD_AES_128_GCM";
    case media::SrtpSuite::AesCm128HmacSha1_80: return "SRTP_AES128_CM_SHA1_80";
    case media::SrtpSuite::AesCm128HmacSha1_32: return "SRTP_AES128_CM_SHA1_32";
    }
    return "";
}

// OpenSSL's error queue is per thread and shared with every other user of libssl in the
// process (Python's ssl module among them): empty before a call, and left empty after it.
struct ErrorQueueScope {
    ErrorQueueScope() { ERR_clear_error(); }
    ~ErrorQueueScope() { ERR_clear_error(); }
    ErrorQueueScope(const ErrorQueueScope&) = delete;
    ErrorQueueScope& operator=(const ErrorQueueScope&) = delete;
};

std::string ssl_reason(const char* fallback) {
    const unsigned long e = ERR_peek_last_error();
    const char* r = e ? ERR_reason_error_string(e) : nullptr;
    return r ? std::string(r) : std::string(fallback);
}

}  // namespace

const char* to_string(DtlsState s) noexcept {
    switch (s) {
    case DtlsState::New: return "new";
    case DtlsState::Connecting: return "connecting";
    case DtlsState::Connected: return "connected";
    case DtlsState::Failed: return "failed";
    case DtlsState::Closed: return "closed";
    }
    return "?";
}

struct DtlsSession::Impl {
    std::shared_ptr<const DtlsCertificate> cert;
    DtlsConfig cfg;
    SslCtxPtr ctx;
    SslPtr ssl;
    DatagramQueues q;
    std::deque<Datagram> pending;  // before start()
    DtlsState state = DtlsState::New;
    std::string failure;
    bool handshake_done = false;
    bool mismatch = false;  // set by the verify callback
    std::optional<Fingerprint> remote;
    std::optional<SrtpKeys> keys;
    // The handshake must be done by then: from start() for a client, from the first datagram
    // for a server (which may wait for its peer as long as the call rings).
    std::int64_t give_up_ns = INT64_MAX;
    std::int64_t deadline = INT64_MAX;
    Stats stats;

    static Impl* of(SSL* s) { return static_cast<Impl*>(SSL_get_app_data(s)); }

    // Any certificate may come (there is no CA); the one at depth 0 must match the fingerprint
    // once we know it. Unknown yet: decided when set_remote_fingerprint is called.
    static int verify_cb(int, X509_STORE_CTX* store) {
        auto* s = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
        Impl* self = s ? of(s) : nullptr;
        if (!self) return 0;
        if (X509_STORE_CTX_get_error_depth(store) != 0 || !self->remote) return 1;
        if (fingerprint_matches(*self->remote, X509_STORE_CTX_get_current_cert(store))) return 1;
        self->mismatch = true;
        X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);  // alert bad_certificate
        return 0;
    }

    static unsigned timer_cb(SSL* s, unsigned previous_us) {
        const Impl* self = of(s);
        const unsigned first = (self ? self->cfg.initial_timeout_ms : 1000) * 1000u;
        if (previous_us == 0) return std::max(first, 1000u);
        return std::min(previous_us * 2, std::max(kMaxTimeoutUs, first));
    }

    void fail(std::string why) {
        if (state == DtlsState::Failed || state == DtlsState::Closed) return;
        state = DtlsState::Failed;
        failure = std::move(why);
        deadline = INT64_MAX;
        keys.reset();
    }

    void arm_give_up(std::int64_t now) {
        if (give_up_ns == INT64_MAX) give_up_ns = now + std::int64_t(cfg.handshake_timeout_ms) * 1'000'000;
    }
    void setup();
    void drive(std::int64_t now);
    void finish_handshake();
    void export_keys();
    void update_deadline(std::int64_t now);
};

void DtlsSession::Impl::setup() {
    const ErrorQueueScope errors;
    ctx.reset(SSL_CTX_new(DTLS_method()));
    if (!ctx) throw MediaError("dtls", "SSL_CTX_new: " + ssl_reason("failed"));
    SSL_CTX* c = ctx.get();
    SSL_CTX_set_min_proto_version(c, DTLS1_2_VERSION);
    if (!SSL_CTX_use_certificate(c, cert->impl().x509.get()) || !SSL_CTX_use_PrivateKey(c, cert->impl().key.get()))
        throw MediaError("certificate", "cannot load into OpenSSL: " + ssl_reason("failed"));
    if (!SSL_CTX_set_cipher_list(c, kCiphers) || !SSL_CTX_set1_groups_list(c, kGroups))
        throw MediaError("dtls", "cipher or group list refused: " + ssl_reason("failed"));
    std::string profiles;
    for (auto s : cfg.srtp_profiles) {
        if (!media::srtp_suite_supported(s) || profiles.find(openssl_profile(s)) != std::string::npos) continue;
        if (!profiles.empty()) profiles += ':';
        profiles += openssl_profile(s);
    }
    if (profiles.empty()) throw MediaError("srtp_profiles", "none of them is supported by this libsrtp2");
    if (SSL_CTX_set_tlsext_use_srtp(c, profiles.c_str()) != 0)  // 0 is success here
        throw MediaError("srtp_profiles", "OpenSSL refused '" + profiles + "'");
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
    SSL_CTX_set_max_cert_list(c, kMaxCertList);
    SSL_CTX_set_options(c, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                  SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);

    ssl.reset(SSL_new(c));
    if (!ssl) throw MediaError("dtls", "SSL_new: " + ssl_reason("failed"));
    SSL_set_app_data(ssl.get(), this);
    BIO* bio = make_datagram_bio(&q);
    if (!bio) throw MediaError("dtls", "cannot create the datagram BIO");
    SSL_set_bio(ssl.get(), bio, bio);  // takes our one reference (and adds one itself when rbio == wbio)
    if (!SSL_set_mtu(ssl.get(), long(cfg.mtu)) || !DTLS_set_link_mtu(ssl.get(), long(cfg.mtu)))
        throw MediaError("mtu", std::to_string(cfg.mtu) + " is below the DTLS minimum");
    DTLS_set_timer_cb(ssl.get(), timer_cb);
    if (cfg.role == DtlsRole::Client)
        SSL_set_connect_state(ssl.get());
    else
        SSL_set_accept_state(ssl.get());
}

void DtlsSession::Impl::export_keys() {
    const SRTP_PROTECTION_PROFILE* p = SSL_get_selected_srtp_profile(ssl.get());
    if (!p) return fail("no SRTP profile negotiated");
    media::SrtpSuite suite;
    std::size_t key_len = 16, salt_len;
    switch (p->id) {
    case SRTP_AEAD_AES_128_GCM: suite = media::SrtpSuite::AeadAes128Gcm, salt_len = 12; break;
    case SRTP_AES128_CM_SHA1_80: suite = media::SrtpSuite::AesCm128HmacSha1_80, salt_len = 14; break;
    case SRTP_AES128_CM_SHA1_32: suite = media::SrtpSuite::AesCm128HmacSha1_32, salt_len = 14; break;
    default: return fail(std::string("unexpected SRTP profile ") + p->name);
    }
    // RFC 5764 4.2: client_write_key | server_write_key | client_write_salt | server_write_salt.
    std::array<std::uint8_t, 2 * (32 + 14)> m{};
    const std::size_t total = 2 * (key_len + salt_len);
    if (SSL_export_keying_material(ssl.get(), m.data(), total, kExporterLabel, 19, nullptr, 0, 0) != 1)
        return fail("cannot export the SRTP keys: " + ssl_reason("failed"));
    const auto part = [&](std::size_t key_at, std::size_t salt_at) {
        media::SrtpKey k{suite, {}};
        k.master.assign(m.begin() + long(key_at), m.begin() + long(key_at + key_len));
        k.master.insert(k.master.end(), m.begin() + long(salt_at), m.begin() + long(salt_at + salt_len));
        return k;
    };
    media::SrtpKey client = part(0, 2 * key_len), server = part(key_len, 2 * key_len + salt_len);
    OPENSSL_cleanse(m.data(), m.size());
    if (cfg.role == DtlsRole::Client)
        keys = SrtpKeys{std::move(client), std::move(server)};
    else
        keys = SrtpKeys{std::move(server), std::move(client)};
}

// The handshake is done and, if the fingerprint is known, the verify callback has passed the
// certificate; with a late fingerprint the check happens here or in set_remote_fingerprint.
void DtlsSession::Impl::finish_handshake() {
    if (state != DtlsState::Connecting || !handshake_done || !remote) return;
    if (!fingerprint_matches(*remote, SSL_get0_peer_certificate(ssl.get()))) {
        SSL_shutdown(ssl.get());  // close_notify: the peer must not keep sending to us
        return fail("fingerprint mismatch");
    }
    export_keys();
    if (state == DtlsState::Connecting) state = DtlsState::Connected;
}

void DtlsSession::Impl::update_deadline(std::int64_t now) {
    deadline = INT64_MAX;
    if (state == DtlsState::Failed || state == DtlsState::Closed) return;
    if (!handshake_done) deadline = give_up_ns;
    timeval tv{};
    if (DTLSv1_get_timeout(ssl.get(), &tv)) {
        const std::int64_t in = std::int64_t(tv.tv_sec) * 1'000'000'000 + std::int64_t(tv.tv_usec) * 1000;
        deadline = std::min(deadline, now + in);
    }
}

void DtlsSession::Impl::drive(std::int64_t now) {
    const ErrorQueueScope errors;
    if (!handshake_done) {
        const int r = SSL_do_handshake(ssl.get());
        if (r == 1) {
            handshake_done = true;
        } else {
            const int e = SSL_get_error(ssl.get(), r);
            if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
                fail(mismatch ? "fingerprint mismatch" : "handshake: " + ssl_reason("failed"));
        }
    }
    if (handshake_done && (state == DtlsState::Connecting || state == DtlsState::Connected)) {
        // After the handshake: retransmitted flights (OpenSSL answers them), alerts and
        // close_notify. DTLS application data has no use in DTLS-SRTP: counted and dropped.
        std::array<std::uint8_t, 2048> buf{};
        for (;;) {
            ERR_clear_error();
            const int r = SSL_read(ssl.get(), buf.data(), int(buf.size()));
            if (r > 0) {
                ++stats.dropped;
                continue;
            }
            const int e = SSL_get_error(ssl.get(), r);
            if (e == SSL_ERROR_ZERO_RETURN) {
                state = DtlsState::Closed;
                keys.reset();
            } else if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
                fail("handshake: " + ssl_reason("failed"));
            }
            break;
        }
        finish_handshake();
    }
    q.in.clear();  // nothing stays queued that OpenSSL did not want
    update_deadline(now);
}

DtlsSession::DtlsSession(std::shared_ptr<const DtlsCertificate> cert, DtlsConfig cfg)
    : impl_(std::make_unique<Impl>()) {
    if (!cert) throw MediaError("certificate", "no certificate");
    impl_->cert = std::move(cert);
    impl_->cfg = std::move(cfg);
    impl_->setup();
}

DtlsSession::~DtlsSession() = default;

DtlsRole DtlsSession::role() const noexcept { return impl_->cfg.role; }
DtlsState DtlsSession::state() const noexcept { return impl_->state; }
const std::string& DtlsSession::failure() const noexcept { return impl_->failure; }

void DtlsSession::set_remote_fingerprint(const std::string& algorithm, const std::string& hex) {
    impl_->remote = parse_fingerprint(algorithm, hex);
    auto& s = *impl_;
    const ErrorQueueScope errors;
    if (s.state == DtlsState::Connected && !fingerprint_matches(*s.remote, SSL_get0_peer_certificate(s.ssl.get()))) {
        SSL_shutdown(s.ssl.get());
        s.fail("fingerprint mismatch");
    }
    s.finish_handshake();
}

void DtlsSession::start(std::int64_t now_ns) {
    auto& s = *impl_;
    if (s.state != DtlsState::New) return;
    s.state = DtlsState::Connecting;
    if (s.cfg.role == DtlsRole::Client || !s.pending.empty()) s.arm_give_up(now_ns);
    if (s.cfg.role == DtlsRole::Client || s.pending.empty()) s.drive(now_ns);
    while (!s.pending.empty() && s.state == DtlsState::Connecting) {
        s.q.in.push_back(std::move(s.pending.front()));
        s.pending.pop_front();
        s.drive(now_ns);
    }
    s.pending.clear();
}

void DtlsSession::on_datagram(const std::uint8_t* data, std::size_t len, std::int64_t now_ns) {
    auto& s = *impl_;
    ++s.stats.datagrams_in;
    if (s.state == DtlsState::Failed || s.state == DtlsState::Closed ||
        check_datagram(data, len, s.cfg.role) != DatagramCheck::Ok) {
        ++s.stats.dropped;
        return;
    }
    if (s.state == DtlsState::New) {
        if (s.pending.size() >= kMaxPending) {
            ++s.stats.dropped;
            return;
        }
        s.pending.emplace_back(data, data + len);
        return;
    }
    s.arm_give_up(now_ns);
    s.q.in.emplace_back(data, data + len);
    s.drive(now_ns);
}

std::int64_t DtlsSession::next_deadline() const noexcept { return impl_->deadline; }

void DtlsSession::on_timeout(std::int64_t now_ns) {
    auto& s = *impl_;
    if (s.state != DtlsState::Connecting && s.state != DtlsState::Connected) return;
    if (now_ns < s.deadline) return;
    if (!s.handshake_done && now_ns >= s.give_up_ns) return s.fail("timeout");
    const ErrorQueueScope errors;
    // OpenSSL checks expiry against its own clock; when it does not agree yet the deadline is
    // re-armed below with what it says is left.
    const int r = DTLSv1_handle_timeout(s.ssl.get());
    if (r > 0) ++s.stats.retransmits;
    if (r < 0) return s.fail("timeout");
    s.update_deadline(now_ns);
}

bool DtlsSession::poll_transmit(std::vector<std::uint8_t>& out) {
    auto& q = impl_->q;
    if (q.out.empty()) return false;
    out = std::move(q.out.front());
    q.out.pop_front();
    ++impl_->stats.datagrams_out;
    return true;
}

void DtlsSession::close() {
    auto& s = *impl_;
    if (s.state == DtlsState::Closed) return;
    if (s.state != DtlsState::New && s.state != DtlsState::Failed) {
        const ErrorQueueScope errors;
        SSL_shutdown(s.ssl.get());
    }
    s.state = DtlsState::Closed;
    s.keys.reset();
    s.deadline = INT64_MAX;
}

std::optional<DtlsSession::SrtpKeys> DtlsSession::srtp_keys() const {
    if (impl_->state != DtlsState::Connected) return std::nullopt;
    return impl_->keys;
}

DtlsSession::Stats DtlsSession::stats() const noexcept {
    Stats st = impl_->stats;
    st.dropped += impl_->q.out_dropped;
    return st;
}

}  // namespace siperb::dtls
