// DtlsCertificate's OpenSSL objects, shared by certificate.cpp and the session (which puts
// them into its SSL_CTX), and the RAII holders for the OpenSSL types of csrc/dtls.
#pragma once

#include "dtls/dtls_session.hpp"

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

namespace siperb::dtls {

template <auto Free>
struct OsslDeleter {
    template <class T>
    void operator()(T* p) const noexcept { Free(p); }
};
using BnPtr = std::unique_ptr<BIGNUM, OsslDeleter<BN_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, OsslDeleter<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, OsslDeleter<X509_free>>;
using SslCtxPtr = std::unique_ptr<SSL_CTX, OsslDeleter<SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, OsslDeleter<SSL_free>>;

struct DtlsCertificate::Impl {
    PkeyPtr key;
    X509Ptr x509;
    std::string algorithm;
    std::string fingerprint;
};

// "AB:CD:..." for a digest.
std::string format_fingerprint(const unsigned char* md, unsigned len);

}  // namespace siperb::dtls
