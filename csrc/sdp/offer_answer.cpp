// create_offer / create_answer (RFC 3264 sections 5, 6 and 8).
#include "sdp/offer_answer.hpp"

#include <algorithm>
#include <random>
#include <set>

#include "common/error.hpp"
#include "sdp/payload.hpp"

namespace siperb::sdp {

namespace {

Connection connection_for(const std::string& address) {
    return Connection{"IN", address.find(':') != std::string::npos ? "IP6" : "IP4", address, {}, {}};
}

Session base_session(const Capabilities& local) {
    if (local.port == 0) throw SdpNegotiationError("port", "no local RTP port (port 0 would disable the stream)");
    Session s;
    s.origin.username = local.username;
    if (local.session_id) {
        s.origin.session_id = *local.session_id;
    } else {
        std::random_device rd;
        s.origin.session_id = ((std::uint64_t{rd()} << 32) | rd()) >> 2;  // fits a signed 64-bit
    }
    s.origin.session_version = s.origin.session_id;
    s.origin.address = local.address;
    s.origin.addrtype = connection_for(local.address).addrtype;
    s.name = local.session_name;
    s.connection = connection_for(local.address);
    return s;
}

// RFC 3264 8: a new description of an existing session keeps o= and bumps the version
// only if something changed.
void follow(Session& s, const Session* previous) {
    if (!previous) return;
    s.origin = previous->origin;
    if (!(s == *previous)) ++s.origin.session_version;
}

void add_codec(Media& m, unsigned pt, const std::string& name, std::uint32_t clock, unsigned channels,
               const std::string& fmtp) {
    const std::string f = std::to_string(pt);
    m.formats.push_back(f);
    m.rtpmaps.push_back(RtpMap{pt, name, clock, channels != 1 ? std::optional<unsigned>(channels) : std::nullopt});
    if (!fmtp.empty()) m.fmtps.push_back(Fmtp{f, fmtp});
}

Media rejected(const Media& offered) {
    Media m;
    m.kind = offered.kind;
    m.port = 0;
    m.proto = offered.proto;
    m.formats = offered.formats;
    m.mid = offered.mid;
    return m;
}

bool srtp(const std::string& proto) { return proto == "RTP/SAVP" || proto == "RTP/SAVPF"; }

// Answers one offered audio m= line, or explains in `why` why it cannot.
std::optional<Media> answer_audio(const Session& offer, std::size_t i, const Capabilities& local,
                                  std::string& why) {
    const Media& o = offer.media[i];
    if (o.port == 0) {
        why = "stream is disabled (port 0)";
        return std::nullopt;
    }
    if (o.proto != "RTP/AVP" && o.proto != "RTP/AVPF" && !srtp(o.proto) && !o.is_dtls()) {
        why = "transport " + o.proto + " is not supported";
        return std::nullopt;
    }
    Media a;
    a.kind = o.kind;
    a.port = local.port;
    a.proto = o.proto;
    a.mid = o.mid;
    if (srtp(o.proto)) {
        for (const auto& offered : o.crypto) {
            auto mine = std::find_if(local.crypto.begin(), local.crypto.end(),
                                     [&](const Crypto& c) { return c.suite == offered.suite; });
            if (mine == local.crypto.end()) continue;
            a.crypto.push_back(Crypto{offered.tag, mine->suite, mine->key_params, mine->session_params});
            break;
        }
        if (a.crypto.empty()) {
            why = "no common SRTP crypto suite";
            return std::nullopt;
        }
    }
    std::set<std::uint32_t> clocks;
    for (const auto& f : o.formats) {
        auto e = payload::encoding_of(o, f);
        if (!e || payload::is_telephone_event(e->name)) continue;
        if (std::find(a.formats.begin(), a.formats.end(), f) != a.formats.end()) continue;
        auto c = std::find_if(local.codecs.begin(), local.codecs.end(),
                              [&](const Codec& c) { return payload::same(*e, c); });
        if (c == local.codecs.end()) continue;
        add_codec(a, e->pt, e->name, e->clock_rate, e->channels, c->fmtp);
        clocks.insert(e->clock_rate);
    }
    if (a.formats.empty()) {
        why = "no common codec (offered: " + payload::describe(o) +
              "; supported: " + payload::describe(local.codecs) + ")";
        return std::nullopt;
    }
    if (local.telephone_event) {
        // RFC 4733 wants the codec's clock; peers offering opus with only telephone-event/8000
        // are common, so the first one is taken if none matches.
        std::vector<payload::Encoding> events;
        for (const auto& f : o.formats)
            if (auto e = payload::encoding_of(o, f); e && payload::is_telephone_event(e->name)) events.push_back(*e);
        bool any_match = std::any_of(events.begin(), events.end(),
                                     [&](const payload::Encoding& e) { return clocks.count(e.clock_rate) > 0; });
        for (const auto& e : events) {
            if (std::find(a.formats.begin(), a.formats.end(), std::to_string(e.pt)) != a.formats.end()) continue;
            if (any_match ? !clocks.count(e.clock_rate) : &e != &events.front()) continue;
            const Fmtp* fmtp = o.fmtp_for(std::to_string(e.pt));
            add_codec(a, e.pt, e.name, e.clock_rate, e.channels, fmtp ? fmtp->params : std::string());
        }
    }
    a.ptime = local.ptime ? local.ptime : o.ptime;
    Direction offered = offer.media_direction(i);
    const Connection* c = offer.media_connection(i);
    bool offerer_receives = receives(offered);
    if (c && !o.is_dtls() && (c->address == "0.0.0.0" || c->address == "::"))
        offerer_receives = false;  // RFC 2543 hold (WebRTC offers use 0.0.0.0 with ICE: not hold)
    a.direction = direction_of(offerer_receives && sends(local.direction),
                               sends(offered) && receives(local.direction));
    a.rtcp_mux = o.rtcp_mux && local.rtcp_mux;
    return a;
}

std::optional<Media> answer_stream(Session& s, const Session& offer, std::size_t i, const Capabilities& local,
                                   std::string& why) {
    auto a = answer_audio(offer, i, local, why);
    if (a && offer.media[i].is_dtls()) {
        if (auto bad = add_webrtc_answer(s, *a, offer, i, local)) {
            why = *bad;
            return std::nullopt;
        }
    }
    return a;
}

}  // namespace

Session create_offer(const Capabilities& local, const Session* previous) {
    if (local.codecs.empty()) throw SdpNegotiationError("codecs", "no codecs to offer");
    Session s = base_session(local);
    Media m;
    m.port = local.port;
    m.proto = local.crypto.empty() ? "RTP/AVP" : "RTP/SAVP";
    std::set<unsigned> used;
    for (const auto& c : local.codecs)
        if (c.payload_type) {
            if (*c.payload_type > 127) throw SdpNegotiationError("codecs", c.name + ": payload type above 127");
            if (!used.insert(*c.payload_type).second)
                throw SdpNegotiationError("codecs", "payload type " + std::to_string(*c.payload_type) + " used twice");
        }
    unsigned next_dynamic = 96;
    auto dynamic = [&]() -> unsigned {
        while (next_dynamic <= 127 && used.count(next_dynamic)) ++next_dynamic;
        if (next_dynamic > 127) throw SdpNegotiationError("codecs", "more codecs than dynamic payload types");
        used.insert(next_dynamic);
        return next_dynamic;
    };
    std::vector<std::uint32_t> clocks;
    for (const auto& c : local.codecs) {
        unsigned pt;
        if (c.payload_type) pt = *c.payload_type;
        else if (auto st = payload::static_pt(c); st && used.insert(*st).second) pt = *st;
        else pt = dynamic();
        add_codec(m, pt, c.name, c.clock_rate, c.channels, c.fmtp);
        if (std::find(clocks.begin(), clocks.end(), c.clock_rate) == clocks.end()) clocks.push_back(c.clock_rate);
    }
    if (local.telephone_event) {
        bool first = true;
        for (auto clock : clocks) {
            unsigned pt = first && local.telephone_event_pt <= 127 && used.insert(local.telephone_event_pt).second
                              ? local.telephone_event_pt
                              : dynamic();
            first = false;
            add_codec(m, pt, "telephone-event", clock, 1, local.telephone_event_fmtp);
        }
    }
    m.ptime = local.ptime;
    m.direction = local.direction;
    m.rtcp_mux = local.rtcp_mux;
    m.crypto = local.crypto;
    if (local.webrtc) add_webrtc_offer(s, m, local);
    s.media.push_back(std::move(m));
    follow(s, previous);
    return s;
}

Session create_answer(const Session& offer, const Capabilities& local, const Session* previous) {
    Session s = base_session(local);
    bool accepted = false, any_audio = false;
    std::string reasons;
    for (std::size_t i = 0; i < offer.media.size(); ++i) {
        const Media& o = offer.media[i];
        std::optional<Media> a;
        if (o.kind == "audio" && !accepted) {
            any_audio = true;
            std::string why;
            a = answer_stream(s, offer, i, local, why);
            if (!a) reasons += (reasons.empty() ? "" : "; ") + ("m-line " + std::to_string(i) + ": " + why);
        }
        accepted = accepted || a.has_value();
        s.media.push_back(a ? std::move(*a) : rejected(o));
    }
    if (!any_audio) throw SdpNegotiationError("m", "the offer has no audio stream");
    if (!accepted) throw SdpNegotiationError("m=audio", reasons);
    follow(s, previous);
    return s;
}

}  // namespace siperb::sdp
