// negotiate(): an offer/answer pair reduced to the audio stream parameters (RFC 3264 6.1, 7).
#include <algorithm>

#include "common/error.hpp"
#include "sdp/offer_answer.hpp"
#include "sdp/payload.hpp"
#include "sdp/text.hpp"

namespace siperb::sdp {

namespace {

[[noreturn]] void fail(std::string reason) { throw SdpNegotiationError("m=audio", std::move(reason)); }

// The format in `m` carrying the same encoding as `e` (nullopt if none).
std::optional<payload::Encoding> find_same(const Media& m, const payload::Encoding& e) {
    for (const auto& f : m.formats) {
        auto x = payload::encoding_of(m, f);
        if (x && payload::same(*x, e)) return x;
    }
    return std::nullopt;
}

std::optional<unsigned> te_pt(const Media& m, std::uint32_t clock) {
    std::optional<unsigned> any;
    for (const auto& f : m.formats) {
        auto e = payload::encoding_of(m, f);
        if (!e || !payload::is_telephone_event(e->name)) continue;
        if (e->clock_rate == clock) return e->pt;
        if (!any) any = e->pt;
    }
    return any;
}

bool truthy(const std::string& v) { return v == "1"; }

// RTP/AVP and RTP/AVPF (and their SAVP twins) differ only in feedback: one family each.
std::string family(std::string proto) {
    if (!proto.empty() && proto.back() == 'F') proto.pop_back();
    return proto;
}

}  // namespace

OpusParams parse_opus_params(const Fmtp& fmtp) {
    OpusParams p;
    // A malformed value is ignored (the codec default applies): a sloppy remote fmtp is no
    // reason to fail a call.
    auto num = [](const std::string& v) -> std::optional<unsigned> {
        if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos)
            return std::nullopt;
        return static_cast<unsigned>(std::stoul(v));
    };
    for (const auto& [k, v] : fmtp.parameters()) {
        if (k == "maxplaybackrate") p.maxplaybackrate = num(v);
        else if (k == "maxaveragebitrate") p.maxaveragebitrate = num(v);
        else if (k == "useinbandfec") p.useinbandfec = truthy(v);
        else if (k == "usedtx") p.usedtx = truthy(v);
        else if (k == "stereo") p.stereo = truthy(v);
        else if (k == "sprop-stereo") p.sprop_stereo = truthy(v);
        else if (k == "ptime") p.ptime = num(v);
        else if (k == "minptime") p.minptime = num(v);
    }
    return p;
}

Negotiated negotiate(const Session& offer, const Session& answer, bool local_is_offerer) {
    if (offer.media.size() != answer.media.size())
        throw SdpNegotiationError("m", "the answer has " + std::to_string(answer.media.size()) +
                                           " m-lines, the offer had " + std::to_string(offer.media.size()));
    std::size_t i = 0;
    for (; i < answer.media.size(); ++i)
        if (answer.media[i].kind == "audio" && answer.media[i].port != 0 && offer.media[i].kind == "audio")
            break;
    if (i == answer.media.size()) fail("the answer accepts no audio stream");
    if (family(answer.media[i].proto) != family(offer.media[i].proto))
        fail("the answer's transport " + answer.media[i].proto + " differs from the offer's " +
             offer.media[i].proto + " (RFC 3264 6)");
    const bool webrtc = offer.media[i].is_dtls();
    const Session& local_s = local_is_offerer ? offer : answer;
    const Session& remote_s = local_is_offerer ? answer : offer;
    const Media& a = answer.media[i];
    const Media& local = local_s.media[i];
    const Media& remote = remote_s.media[i];

    Negotiated n;
    n.media_index = i;
    std::optional<payload::Encoding> chosen;
    for (const auto& f : a.formats) {
        auto e = payload::encoding_of(a, f);
        if (e && !payload::is_telephone_event(e->name) && !payload::is_comfort_noise(e->name)) {
            chosen = e;
            break;
        }
    }
    if (!chosen) fail("the answer lists no usable codec (" + payload::describe(a) + ")");
    auto in_remote = find_same(remote, *chosen);
    auto in_local = find_same(local, *chosen);
    if (!in_remote || !in_local)
        fail("the answer selected " + chosen->name + "/" + std::to_string(chosen->clock_rate) +
             ", which the offer did not list");
    n.payload_type = in_remote->pt;
    n.local_payload_type = in_local->pt;
    n.codec = Codec{in_remote->name, in_remote->clock_rate, in_remote->channels, {}, in_remote->pt};
    if (const Fmtp* f = remote.fmtp_for(std::to_string(in_remote->pt))) n.codec.fmtp = f->params;
    if (text::iequals(n.codec.name, "opus")) n.opus = parse_opus_params(Fmtp{{}, n.codec.fmtp});

    if (te_pt(local, chosen->clock_rate)) {
        n.telephone_event_pt = te_pt(remote, chosen->clock_rate);
        if (n.telephone_event_pt)
            if (const Fmtp* f = remote.fmtp_for(std::to_string(*n.telephone_event_pt))) n.telephone_event_fmtp = f->params;
    }

    const Connection* c = remote_s.media_connection(i);
    if (!c) throw SdpNegotiationError("c", "the remote audio stream has no connection address");
    n.remote_address = c->address;
    n.remote_port = remote.port;
    n.rtcp_mux = offer.media[i].rtcp_mux && a.rtcp_mux;
    n.remote_rtcp_address = remote.rtcp && !remote.rtcp->address.empty() ? remote.rtcp->address : c->address;
    if (n.rtcp_mux) n.remote_rtcp_port = remote.port;
    else if (remote.rtcp) n.remote_rtcp_port = remote.rtcp->port;
    else n.remote_rtcp_port = static_cast<std::uint16_t>(remote.port + 1);

    Direction ld = local_s.media_direction(i), rd = remote_s.media_direction(i);
    bool remote_receives = receives(rd) && (webrtc || (c->address != "0.0.0.0" && c->address != "::"));
    n.direction = direction_of(sends(ld) && remote_receives, receives(ld) && sends(rd));
    n.ptime = remote.ptime ? remote.ptime : (n.opus ? n.opus->ptime : std::nullopt);

    if (webrtc) {
        negotiate_webrtc(n, offer, answer, i, local_is_offerer);
    } else if (!a.crypto.empty()) {
        const Media& o = offer.media[i];
        auto oc = std::find_if(o.crypto.begin(), o.crypto.end(),
                               [&](const Crypto& x) { return x.tag == a.crypto[0].tag; });
        if (oc == o.crypto.end())
            throw SdpNegotiationError("a=crypto", "the answer's crypto tag " + std::to_string(a.crypto[0].tag) +
                                                      " is not in the offer");
        if (oc->suite != a.crypto[0].suite)
            throw SdpNegotiationError("a=crypto", "the answer changed the crypto suite of tag " +
                                                      std::to_string(oc->tag));
        n.local_crypto = local_is_offerer ? *oc : a.crypto[0];
        n.remote_crypto = local_is_offerer ? a.crypto[0] : *oc;
    } else if (offer.media[i].proto == "RTP/SAVP" || offer.media[i].proto == "RTP/SAVPF") {
        throw SdpNegotiationError("a=crypto", "SRTP stream accepted without a crypto attribute");
    }
    return n;
}

}  // namespace siperb::sdp
