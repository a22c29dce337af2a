// libFuzzer target for csrc/sdp: parse, serialise (and re-parse: must round-trip), then answer
// and negotiate against a fixed capability set. Only siperb::Error may escape the library.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/error.hpp"
#include "sdp/offer_answer.hpp"
#include "sdp/session.hpp"

namespace {

siperb::sdp::Capabilities capabilities() {
    using siperb::sdp::Codec;
    siperb::sdp::Capabilities c;
    c.codecs = {Codec{"opus", 48000, 2, "useinbandfec=1", {}}, Codec{"PCMU", 8000, 1, {}, {}},
                Codec{"PCMA", 8000, 1, {}, {}}, Codec{"G722", 8000, 1, {}, {}}};
    c.address = "127.0.0.1";
    c.port = 4000;
    c.rtcp_mux = true;
    c.crypto = {siperb::sdp::Crypto{1, "AES_CM_128_HMAC_SHA1_80", "inline:MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkw", {}}};
    c.session_id = 1;
    return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const siperb::sdp::Capabilities local = capabilities();
    std::string_view text(reinterpret_cast<const char*>(data), size);
    siperb::sdp::Session offer;
    try {
        offer = siperb::sdp::Session::parse(text);
    } catch (const siperb::Error&) {
        return 0;
    }
    const std::string out = offer.to_string();
    if (!(siperb::sdp::Session::parse(out) == offer)) std::abort();  // round trip must hold
    siperb::sdp::Session answer;
    try {
        answer = siperb::sdp::create_answer(offer, local);
    } catch (const siperb::Error&) {
        return 0;
    }
    // Our own answer must be valid SDP that round-trips and negotiates with the offer.
    if (!(siperb::sdp::Session::parse(answer.to_string()) == answer)) std::abort();
    (void)siperb::sdp::negotiate(offer, answer, false);
    try {
        siperb::sdp::Session reoffer = siperb::sdp::create_offer(local, &offer);
        (void)siperb::sdp::negotiate(reoffer, offer, true);  // may legitimately fail
    } catch (const siperb::Error&) {
    }
    return 0;
}
