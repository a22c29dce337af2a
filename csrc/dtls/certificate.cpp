// The process's DTLS identity: an ECDSA P-256 key and a self-signed certificate. WebRTC peers
// authenticate by the certificate's fingerprint in SDP (RFC 8122, RFC 8827), so the subject
// and the CA do not matter; the validity window starts a day in the past so that a peer with a
// slightly wrong clock does not refuse it.
#include "dtls/certificate_impl.hpp"

#include "common/error.hpp"

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <array>

namespace siperb::dtls {
namespace {

constexpr long kNotBeforeSeconds = -24L * 3600;       // a day in the past
constexpr long kNotAfterSeconds = 30L * 24 * 3600;    // thirty days ahead

[[noreturn]] void fail(const char* what) { throw MediaError("certificate", what); }

void set_random_serial(X509* x) {
    std::array<unsigned char, 8> bytes{};
    if (RAND_bytes(bytes.data(), int(bytes.size())) != 1) fail("RAND_bytes failed");
    bytes[0] &= 0x7f;  // positive, and never zero below
    bytes[0] |= 0x01;
    BnPtr bn(BN_bin2bn(bytes.data(), int(bytes.size()), nullptr));
    if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(x))) fail("cannot set the serial number");
}

}  // namespace

std::string format_fingerprint(const unsigned char* md, unsigned len) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(len * 3);
    for (unsigned i = 0; i < len; ++i) {
        if (i) out.push_back(':');
        out.push_back(kHex[md[i] >> 4]);
        out.push_back(kHex[md[i] & 15]);
    }
    return out;
}

DtlsCertificate::DtlsCertificate() : impl_(std::make_unique<Impl>()) {
    impl_->key.reset(EVP_EC_gen("P-256"));
    if (!impl_->key) fail("cannot generate an ECDSA P-256 key");
    impl_->x509.reset(X509_new());
    X509* x = impl_->x509.get();
    if (!x || !X509_set_version(x, X509_VERSION_3)) fail("X509_new failed");
    set_random_serial(x);
    if (!X509_gmtime_adj(X509_getm_notBefore(x), kNotBeforeSeconds) ||
        !X509_gmtime_adj(X509_getm_notAfter(x), kNotAfterSeconds))
        fail("cannot set the validity window");
    X509_NAME* name = X509_get_subject_name(x);
    const auto* cn = reinterpret_cast<const unsigned char*>("siperb");
    if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, cn, -1, -1, 0) || !X509_set_issuer_name(x, name) ||
        !X509_set_pubkey(x, impl_->key.get()))
        fail("cannot set the subject");
    if (X509_sign(x, impl_->key.get(), EVP_sha256()) <= 0) fail("cannot sign the certificate");
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned n = 0;
    if (!X509_digest(x, EVP_sha256(), md.data(), &n)) fail("cannot digest the certificate");
    impl_->algorithm = "sha-256";
    impl_->fingerprint = format_fingerprint(md.data(), n);
}

DtlsCertificate::~DtlsCertificate() = default;

std::shared_ptr<const DtlsCertificate> DtlsCertificate::generate() {
    // The constructor is private: make_shared cannot reach it.
    return std::shared_ptr<const DtlsCertificate>(new DtlsCertificate());
}

std::shared_ptr<const DtlsCertificate> DtlsCertificate::process() {
    static const std::shared_ptr<const DtlsCertificate> cert = generate();  // C++11 magic static: thread-safe
    return cert;
}

const std::string& DtlsCertificate::fingerprint_algorithm() const noexcept { return impl_->algorithm; }
const std::string& DtlsCertificate::fingerprint() const noexcept { return impl_->fingerprint; }

}  // namespace siperb::dtls
