// The WebRTC profile of offer/answer (RFC 8829 JSEP, RFC 8839 ICE, RFC 8842 DTLS setup,
// RFC 8843 BUNDLE): UDP/TLS/RTP/SAVPF with ICE credentials, candidates, a certificate
// fingerprint and rtcp-mux, never a=crypto.
#include <algorithm>
#include <cctype>

#include "common/error.hpp"
#include "sdp/attributes.hpp"
#include "sdp/offer_answer.hpp"

namespace siperb::sdp {

namespace {

void need_local(const Capabilities& local) {
    if (local.ice_ufrag.empty() || local.ice_pwd.empty())
        throw SdpNegotiationError("a=ice-ufrag", "the WebRTC profile needs our ICE ufrag and password");
    if (local.fingerprint.empty())
        throw SdpNegotiationError("a=fingerprint", "the WebRTC profile needs our certificate fingerprint");
}

// Our ICE, DTLS and mux attributes on `m` (offer or answer).
void fill(Session& s, Media& m, const Capabilities& local) {
    m.rtcp_mux = true;
    m.crypto.clear();  // never SDES keys beside a fingerprint (RFC 8827 5.5)
    m.ice_ufrag = local.ice_ufrag;
    m.ice_pwd = local.ice_pwd;
    m.fingerprints = {attr::parse_fingerprint(local.fingerprint)};
    m.candidates.clear();
    for (const auto& c : local.candidates) {
        std::string_view v = c;
        if (v.rfind("candidate:", 0) == 0) v.remove_prefix(10);
        m.candidates.push_back(attr::parse_candidate(v));
    }
    m.end_of_candidates = true;  // we gather before we offer: no trickle
    s.ice_lite = local.ice_lite;
}

template <class T>
const T& media_or_session(const T& media_value, const T& session_value) {
    return media_value.empty() ? session_value : media_value;
}

std::optional<Setup> setup_of(const Session& s, const Media& m) { return m.setup ? m.setup : s.setup; }

const Fingerprint* pick_fingerprint(const Session& s, const Media& m) {
    const auto& fps = media_or_session(m.fingerprints, s.fingerprints);
    if (fps.empty()) return nullptr;
    auto sha256 = std::find_if(fps.begin(), fps.end(), [](const Fingerprint& f) {
        return f.hash_func.size() == 7 && std::equal(f.hash_func.begin(), f.hash_func.end(), "sha-256",
                                                      [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
    });
    return sha256 != fps.end() ? &*sha256 : &fps.front();
}

std::optional<std::string> missing_in(const Session& s, const Media& m) {
    if (!pick_fingerprint(s, m)) return "no a=fingerprint (DTLS-SRTP cannot verify the peer without it)";
    if (!(m.ice_ufrag || s.ice_ufrag) || !(m.ice_pwd || s.ice_pwd)) return "no a=ice-ufrag/a=ice-pwd";
    return std::nullopt;
}

}  // namespace

void add_webrtc_offer(Session& s, Media& m, const Capabilities& local) {
    need_local(local);
    m.proto = "UDP/TLS/RTP/SAVPF";
    if (!m.mid) m.mid = "0";
    fill(s, m, local);
    m.setup = local.setup.value_or(Setup::actpass);  // RFC 8842 5.2: the offerer lets the answerer choose
    s.groups = {Group{"BUNDLE", {*m.mid}}};
}

std::optional<std::string> add_webrtc_answer(Session& s, Media& a, const Session& offer, std::size_t i,
                                             const Capabilities& local) {
    const Media& o = offer.media[i];
    if (!local.webrtc) return "transport " + o.proto + " needs the WebRTC profile (ICE and DTLS-SRTP), which is off";
    if (auto why = missing_in(offer, o)) return "the offer has " + *why;
    if (!o.rtcp_mux) return "the offer has no a=rtcp-mux (the WebRTC profile multiplexes RTP and RTCP)";
    need_local(local);
    Setup ours;
    switch (setup_of(offer, o).value_or(Setup::active)) {  // RFC 4145 4.1: absent means active
        case Setup::actpass:  // RFC 8842 5.3: answer active, unless we keep an existing role
            ours = local.setup && *local.setup == Setup::passive ? Setup::passive : Setup::active;
            break;
        case Setup::active: ours = Setup::passive; break;
        case Setup::passive: ours = Setup::active; break;
        default: return std::string("a=setup:holdconn (no DTLS connection) is not supported");
    }
    fill(s, a, local);
    a.setup = ours;
    for (const auto& g : offer.groups)
        if (g.semantics == "BUNDLE" && o.mid && std::find(g.mids.begin(), g.mids.end(), *o.mid) != g.mids.end())
            s.groups = {Group{"BUNDLE", {*o.mid}}};
    return std::nullopt;
}

void negotiate_webrtc(Negotiated& n, const Session& offer, const Session& answer, std::size_t i,
                      bool local_is_offerer) {
    const Session& ls = local_is_offerer ? offer : answer;
    const Session& rs = local_is_offerer ? answer : offer;
    const Media& lm = ls.media[i];
    const Media& rm = rs.media[i];
    if (auto why = missing_in(rs, rm)) throw SdpNegotiationError(
        why->find("fingerprint") != std::string::npos ? "a=fingerprint" : "a=ice-ufrag",
        "the remote description has " + *why);
    n.webrtc = true;
    n.rtcp_mux = true;  // the engine's WebRTC session has one socket
    n.remote_rtcp_port = n.remote_port;
    Fingerprint fp = *pick_fingerprint(rs, rm);
    // Hash names are case-insensitive (RFC 8122 5; baresip writes "SHA-256").
    std::transform(fp.hash_func.begin(), fp.hash_func.end(), fp.hash_func.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    n.remote_fingerprint = attr::format(fp);
    n.remote_ice_ufrag = rm.ice_ufrag ? *rm.ice_ufrag : *rs.ice_ufrag;
    n.remote_ice_pwd = rm.ice_pwd ? *rm.ice_pwd : *rs.ice_pwd;
    n.remote_candidates.clear();
    for (const auto& c : rm.candidates) n.remote_candidates.push_back(attr::format(c));
    n.remote_ice_lite = rs.ice_lite || rm.ice_lite;
    const bool local_lite = ls.ice_lite || lm.ice_lite;
    // RFC 8445 6.1.1: a full agent facing a lite one controls; otherwise the offerer does.
    n.ice_controlling = local_lite == n.remote_ice_lite ? local_is_offerer : n.remote_ice_lite;
    const Media& am = answer.media[i];
    auto answered = setup_of(answer, am).value_or(Setup::active);  // RFC 4145 4.1 default
    if (answered != Setup::active && answered != Setup::passive)
        throw SdpNegotiationError("a=setup", std::string("the answer must say active or passive, not ") +
                                                 to_string(answered));
    // The answer's role belongs to the answerer (RFC 8842 5.2): ours is the other one when we offered.
    const bool answerer_active = answered == Setup::active;
    n.dtls_setup = (answerer_active != local_is_offerer) ? "active" : "passive";
}

}  // namespace siperb::sdp
