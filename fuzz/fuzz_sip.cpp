// libFuzzer: datagram parse of arbitrary bytes, then every typed accessor and edit. Only
// siperb::Error may escape the parser; anything else (or a sanitizer report) is a bug.
#include "common/error.hpp"
#include "sip/message.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

void touch_uri(const siperb::sip::Uri& u) {
    (void)u.user_decoded();
    (void)u.password_decoded();
    (void)u.param_list();
    (void)u.header_list();
    (void)u.param("transport");
    (void)u.scheme_lower();
    (void)siperb::sip::uri_equal(u, u);
    (void)siperb::sip::uri_equality_key(u);
}

template <class F>
void guarded(F&& f) {
    try {
        f();
    } catch (const siperb::Error&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace siperb::sip;
    std::string_view in(reinterpret_cast<const char*>(data), size);
    guarded([&] { (void)Uri::parse(in); });
    try {
        Message m = Message::parse(in);
        if (m.uri()) touch_uri(*m.uri());
        for (const auto& v : m.via()) (void)v.branch;
        touch_uri(m.from().uri);
        touch_uri(m.to().uri);
        (void)m.from().display_name();
        guarded([&] {  // Contact is parsed when read: a bad one throws here, the rest goes on
            for (const auto& c : m.contact()) {
                touch_uri(c.uri);
                (void)c.display_name();
                guarded([&] { (void)c.q(); });
                guarded([&] { (void)c.expires(); });
                guarded([&] { (void)normalized_params(c.params, "Contact"); });
            }
        });
        guarded([&] { (void)m.contact_star(); });
        for (const auto& v : m.via()) {
            (void)v.sent_protocol();
            (void)v.received_address();
        }
        (void)m.header("Call-ID");
        guarded([&] { (void)m.header_values("Via"); });
        guarded([&] { (void)m.header_values("Accept"); });
        guarded([&] { (void)m.route(); });
        guarded([&] { (void)m.record_route(); });
        for (HeaderId id : {HeaderId::Authorization, HeaderId::ProxyAuthorization, HeaderId::WwwAuthenticate,
                            HeaderId::ProxyAuthenticate})
            guarded([&] { (void)m.auth(id); });
        guarded([&] { (void)m.refer_to(); });
        guarded([&] { (void)m.referred_by(); });
        guarded([&] { (void)m.replaces(); });
        guarded([&] { (void)m.event(); });
        guarded([&] { (void)m.subscription_state(); });
        guarded([&] { (void)m.tokens(HeaderId::Allow); });
        guarded([&] { (void)m.tokens(HeaderId::Supported); });
        guarded([&] { (void)m.reason_header(); });
        (void)m.content_type();
        (void)m.user_agent();
        guarded([&] { (void)m.with_header("Max-Forwards", "69"); });
        guarded([&] { (void)m.with_added_header("Via", "SIP/2.0/UDP p;branch=z9hG4bKx", true); });
        guarded([&] { (void)m.without_header("Contact"); });
        // A parsed message must re-parse from its own bytes.
        Message again = Message::parse(m.wire());
        if (again.headers().size() != m.headers().size() || again.body() != m.body()) __builtin_trap();
    } catch (const siperb::Error&) {
    }
    return 0;
}
