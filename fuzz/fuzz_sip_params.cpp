// libFuzzer: the interpreting accessors of csrc/sip on an arbitrary header value, taken as a
// Contact (name-addr with ;q= and ;expires=), a generic parameter list, a Via, a challenge and
// a Reason. Only siperb::Error may escape; a q outside 0-1 or a parameter name that is not
// lower-case is a bug.
#include "common/error.hpp"
#include "sip/headers.hpp"
#include "sip/text.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace {

template <class F>
void guarded(F&& f) {
    try {
        f();
    } catch (const siperb::Error&) {
    }
}

void check_lower(std::string_view name) {
    for (char c : name)
        if (c >= 'A' && c <= 'Z') __builtin_trap();
}

void check_params(std::string_view params, std::string_view field) {
    for (const auto& p : siperb::sip::normalized_params(params, field)) {
        if (p.name.empty()) __builtin_trap();
        check_lower(p.name);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace siperb::sip;
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    guarded([&] {
        std::vector<NameAddr> contacts;
        parse_name_addr_list(in, "Contact", contacts);
        for (const NameAddr& c : contacts) {
            guarded([&] {
                if (auto q = c.q(); q && !std::isnan(*q) && (*q < 0 || *q > 1)) __builtin_trap();
            });
            guarded([&] { (void)c.expires(); });
            guarded([&] { check_params(c.params, "Contact"); });
            (void)c.uri.scheme_lower();
            (void)c.uri.has_host();
        }
    });
    guarded([&] { check_params(in, "params"); });
    guarded([&] {
        std::vector<Via> vias;
        parse_via_list(in, "Via", vias);
        for (const Via& v : vias) {
            (void)v.sent_protocol();
            (void)v.received_address();
            guarded([&] { check_params(v.params, "Via"); });
        }
    });
    guarded([&] {
        std::vector<Auth> auths;
        parse_auth_list(in, "WWW-Authenticate", auths);
        for (const Auth& a : auths)
            for (const auto& [name, value] : a.normalized_params()) check_lower(name);
    });
    guarded([&] {
        std::vector<ReasonValue> reasons;
        parse_reason_list(in, "Reason", reasons);
        for (const ReasonValue& r : reasons) (void)r.text_unquoted();
    });
    return 0;
}
