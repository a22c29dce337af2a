// SIP, SIPS and tel URIs (RFC 3261 19.1, RFC 3966); any other scheme is kept opaque.
// Parsing is zero-copy: every part is a view into the text given to parse(); %HH escapes are
// decoded only by the *_decoded() accessors, so they are decoded exactly once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace siperb::sip {

enum class UriScheme : uint8_t { Sip, Sips, Tel, Other };

struct Uri {
    std::string_view raw;       // the whole URI as written
    std::string_view scheme;    // as written ("SIP", "sip", "tel", "http")
    UriScheme kind = UriScheme::Other;
    std::string_view user;      // sip/sips userinfo user (may hold ';'), tel number; raw
    std::string_view password;  // raw
    std::string_view host;      // raw; IPv6 references keep their brackets
    int32_t port = -1;          // -1 when absent
    std::string_view params;    // ";a=b;c" (with leading ';') or empty; raw
    std::string_view headers;   // "a=b&c=d" (after '?') or empty; raw
    std::string_view opaque;    // for Other schemes: everything after "scheme:"
    bool has_password = false;

    // Throws SipParseError(field, reason).
    static Uri parse(std::string_view text, std::string_view field = "URI");

    std::string user_decoded() const;
    std::string password_decoded() const;
    std::string host_lower() const;
    std::string scheme_lower() const;
    bool has_host() const { return kind == UriScheme::Sip || kind == UriScheme::Sips; }  // schemes are case-insensitive (RFC 3261 19.1.4)
    // Decoded URI parameters in order (name, value, has_value).
    struct Param {
        std::string name;
        std::string value;
        bool has_value;
    };
    std::vector<Param> param_list() const;
    std::vector<std::pair<std::string, std::string>> header_list() const;
    // Raw value of a URI parameter by case-insensitive (decoded) name; nullopt if absent.
    std::optional<std::string> param(std::string_view name) const;
    bool has_param(std::string_view name) const;
};

// URI comparison of RFC 3261 19.1.4 (and plain case-insensitive text comparison for tel and
// opaque URIs, after unescaping).
bool uri_equal(const Uri& a, const Uri& b);
// Text that equal URIs share (for hashing): scheme kind, decoded user, host, port.
std::string uri_equality_key(const Uri& u);

bool is_valid_ipv6(std::string_view s);  // without brackets
bool is_valid_ipv4(std::string_view s);

}  // namespace siperb::sip
