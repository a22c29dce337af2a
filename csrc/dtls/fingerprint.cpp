// The remote a=fingerprint (RFC 8122 5): hash function name and the digest in hex pairs. The
// peer's certificate is accepted only if its digest equals it; the compare is constant-time
// so a forger learns nothing from how long a refusal took.
#include "dtls/dtls_internal.hpp"

#include "common/error.hpp"

#include <openssl/crypto.h>

#include <array>
#include <cctype>

namespace siperb::dtls {
namespace {

const EVP_MD* md_for(std::string name) {
    for (auto& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
    if (name == "sha-1") return EVP_sha1();
    if (name == "sha-224") return EVP_sha224();
    if (name == "sha-256") return EVP_sha256();
    if (name == "sha-384") return EVP_sha384();
    if (name == "sha-512") return EVP_sha512();
    return nullptr;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

Fingerprint parse_fingerprint(const std::string& algorithm, const std::string& hex) {
    Fingerprint fp;
    fp.md = md_for(algorithm);
    if (!fp.md) throw MediaError("fingerprint", "unsupported hash function '" + algorithm + "'");
    const auto want = std::size_t(EVP_MD_get_size(fp.md));
    std::size_t i = 0;
    while (i < hex.size()) {
        if (fp.digest.size() > want) break;
        if (i + 1 >= hex.size()) throw MediaError("fingerprint", "odd number of hex digits");
        const int hi = hex_value(hex[i]), lo = hex_value(hex[i + 1]);
        if (hi < 0 || lo < 0) throw MediaError("fingerprint", "not a hex digit at offset " + std::to_string(i));
        fp.digest.push_back(std::uint8_t(hi << 4 | lo));
        i += 2;
        if (i < hex.size() && hex[i] == ':') {
            ++i;
            if (i == hex.size()) throw MediaError("fingerprint", "trailing ':'");
        }
    }
    if (fp.digest.size() != want)
        throw MediaError("fingerprint", algorithm + " needs " + std::to_string(want) + " bytes, got " +
                                            (fp.digest.size() > want ? "more" : std::to_string(fp.digest.size())));
    return fp;
}

bool fingerprint_matches(const Fingerprint& fp, X509* cert) {
    if (!cert || !fp.md) return false;
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned n = 0;
    if (!X509_digest(cert, fp.md, md.data(), &n) || n != fp.digest.size()) return false;
    return CRYPTO_memcmp(md.data(), fp.digest.data(), n) == 0;
}

}  // namespace siperb::dtls
