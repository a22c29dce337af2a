// Bindings for csrc/sdp/: value classes with keyword constructors and list-valued fields
// (copied in and out); siperb.sdp wraps them in dataclasses. Glue only.
#include <pybind11/operators.h>
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "sdp/offer_answer.hpp"
#include "sdp/session.hpp"

namespace py = pybind11;

namespace siperb::py {

namespace {

using namespace siperb::sdp;

template <class T>
pybind11::class_<T> value_class(pybind11::module_& m, const char* name) {
    pybind11::class_<T> c(m, name);
    c.def(pybind11::init(&from_kwargs<T>)).def(pybind11::self == pybind11::self);
    return c;
}

// Enums cross as their SDP spelling ("sendonly", "actpass").
template <class E, auto Parse>
E enum_in(const std::string& s, const char* what) {
    auto v = Parse(s);
    if (!v) throw pybind11::value_error(std::string("not a ") + what + ": '" + s + "'");
    return *v;
}
std::optional<std::string> dir_out(const std::optional<Direction>& d) {
    return d ? std::optional<std::string>(to_string(*d)) : std::nullopt;
}
std::optional<Direction> dir_in(const std::optional<std::string>& s) {
    return s ? std::optional<Direction>(enum_in<Direction, direction_from>(*s, "direction")) : std::nullopt;
}
std::optional<std::string> setup_out(const std::optional<Setup>& d) {
    return d ? std::optional<std::string>(to_string(*d)) : std::nullopt;
}
std::optional<Setup> setup_in(const std::optional<std::string>& s) {
    return s ? std::optional<Setup>(enum_in<Setup, setup_from>(*s, "setup role")) : std::nullopt;
}

#define RW(T, f) def_readwrite(#f, &T::f)
#define DIR(T, f) \
    def_property(#f, [](const T& x) { return dir_out(x.f); }, [](T& x, const std::optional<std::string>& s) { x.f = dir_in(s); })
#define SETUP(T, f) \
    def_property(#f, [](const T& x) { return setup_out(x.f); }, [](T& x, const std::optional<std::string>& s) { x.f = setup_in(s); })

}  // namespace

void bind_sdp(pybind11::module_& m) {
    value_class<Origin>(m, "SdpOrigin")
        .RW(Origin, username).RW(Origin, session_id).RW(Origin, session_version)
        .RW(Origin, nettype).RW(Origin, addrtype).RW(Origin, address);
    value_class<Connection>(m, "SdpConnection")
        .RW(Connection, nettype).RW(Connection, addrtype).RW(Connection, address)
        .RW(Connection, ttl).RW(Connection, count);
    value_class<Bandwidth>(m, "SdpBandwidth").RW(Bandwidth, type).RW(Bandwidth, value);
    value_class<Timing>(m, "SdpTiming").RW(Timing, start).RW(Timing, stop).RW(Timing, repeats);
    value_class<Attribute>(m, "SdpAttribute").RW(Attribute, name).RW(Attribute, value);
    value_class<RtpMap>(m, "SdpRtpMap")
        .RW(RtpMap, payload_type).RW(RtpMap, encoding).RW(RtpMap, clock_rate).RW(RtpMap, channels);
    value_class<Fmtp>(m, "SdpFmtp").RW(Fmtp, format).RW(Fmtp, params).def("parameters", &Fmtp::parameters);
    value_class<Rtcp>(m, "SdpRtcp").RW(Rtcp, port).RW(Rtcp, nettype).RW(Rtcp, addrtype).RW(Rtcp, address);
    value_class<Crypto>(m, "SdpCrypto")
        .RW(Crypto, tag).RW(Crypto, suite).RW(Crypto, key_params).RW(Crypto, session_params);
    value_class<Fingerprint>(m, "SdpFingerprint").RW(Fingerprint, hash_func).RW(Fingerprint, value);
    value_class<Candidate>(m, "SdpCandidate")
        .RW(Candidate, foundation).RW(Candidate, component).RW(Candidate, transport)
        .RW(Candidate, priority).RW(Candidate, address).RW(Candidate, port).RW(Candidate, type)
        .RW(Candidate, related_address).RW(Candidate, related_port).RW(Candidate, extensions);
    value_class<Group>(m, "SdpGroup").RW(Group, semantics).RW(Group, mids);
    value_class<Ssrc>(m, "SdpSsrc").RW(Ssrc, id).RW(Ssrc, attribute).RW(Ssrc, value);
    value_class<Extmap>(m, "SdpExtmap")
        .RW(Extmap, id).DIR(Extmap, direction).RW(Extmap, uri).RW(Extmap, attributes);
    value_class<Msid>(m, "SdpMsid").RW(Msid, id).RW(Msid, appdata);
    value_class<Media>(m, "SdpMedia")
        .RW(Media, kind).RW(Media, port).RW(Media, port_count).RW(Media, proto).RW(Media, formats)
        .RW(Media, information).RW(Media, connection).RW(Media, bandwidths).RW(Media, key)
        .RW(Media, rtpmaps).RW(Media, fmtps).RW(Media, ptime).RW(Media, maxptime)
        .DIR(Media, direction).RW(Media, rtcp).RW(Media, rtcp_mux).RW(Media, mid)
        .RW(Media, ice_ufrag).RW(Media, ice_pwd).RW(Media, ice_options).RW(Media, fingerprints)
        .SETUP(Media, setup).RW(Media, ice_lite).RW(Media, end_of_candidates).RW(Media, crypto).RW(Media, extmaps).RW(Media, msids)
        .RW(Media, candidates).RW(Media, ssrcs).RW(Media, attributes);
    value_class<Session>(m, "SdpSession")
        .RW(Session, version).RW(Session, origin).RW(Session, name).RW(Session, information)
        .RW(Session, uri).RW(Session, emails).RW(Session, phones).RW(Session, connection)
        .RW(Session, bandwidths).RW(Session, timings).RW(Session, zone).RW(Session, key)
        .DIR(Session, direction).RW(Session, groups).RW(Session, ice_ufrag).RW(Session, ice_pwd)
        .RW(Session, ice_options).RW(Session, fingerprints).SETUP(Session, setup)
        .RW(Session, ice_lite).RW(Session, end_of_candidates)
        .RW(Session, attributes).RW(Session, media)
        .def_static("parse", [](const std::string& text) {
            pybind11::gil_scoped_release nogil;
            return Session::parse(text);
        })
        .def("to_string", [](const Session& s) {
            std::string out;
            {
                pybind11::gil_scoped_release nogil;
                out = s.to_string();
            }
            return out;
        });
    value_class<Codec>(m, "SdpCodec")
        .RW(Codec, name).RW(Codec, clock_rate).RW(Codec, channels).RW(Codec, fmtp).RW(Codec, payload_type);
    value_class<Capabilities>(m, "SdpCapabilities")
        .RW(Capabilities, codecs).RW(Capabilities, telephone_event).RW(Capabilities, telephone_event_fmtp)
        .RW(Capabilities, telephone_event_pt).RW(Capabilities, address).RW(Capabilities, port)
        .def_property("direction", [](const Capabilities& c) { return std::string(to_string(c.direction)); },
                      [](Capabilities& c, const std::string& s) { c.direction = enum_in<Direction, direction_from>(s, "direction"); })
        .RW(Capabilities, ptime).RW(Capabilities, rtcp_mux).RW(Capabilities, crypto)
        .RW(Capabilities, username).RW(Capabilities, session_id).RW(Capabilities, session_name)
        .RW(Capabilities, webrtc).RW(Capabilities, ice_ufrag).RW(Capabilities, ice_pwd)
        .RW(Capabilities, candidates).RW(Capabilities, ice_lite).RW(Capabilities, fingerprint)
        .SETUP(Capabilities, setup);
    value_class<OpusParams>(m, "SdpOpusParams")
        .RW(OpusParams, maxplaybackrate).RW(OpusParams, maxaveragebitrate).RW(OpusParams, useinbandfec)
        .RW(OpusParams, usedtx).RW(OpusParams, stereo).RW(OpusParams, sprop_stereo)
        .RW(OpusParams, ptime).RW(OpusParams, minptime);
    value_class<Negotiated>(m, "SdpNegotiated")
        .RW(Negotiated, media_index).RW(Negotiated, codec).RW(Negotiated, payload_type)
        .RW(Negotiated, local_payload_type).RW(Negotiated, telephone_event_pt)
        .RW(Negotiated, telephone_event_fmtp).RW(Negotiated, remote_address).RW(Negotiated, remote_port)
        .RW(Negotiated, remote_rtcp_address).RW(Negotiated, remote_rtcp_port).RW(Negotiated, rtcp_mux)
        .def_property("direction", [](const Negotiated& n) { return std::string(to_string(n.direction)); },
                      [](Negotiated& n, const std::string& s) { n.direction = enum_in<Direction, direction_from>(s, "direction"); })
        .RW(Negotiated, ptime).RW(Negotiated, local_crypto).RW(Negotiated, remote_crypto).RW(Negotiated, opus)
        .RW(Negotiated, webrtc).RW(Negotiated, remote_ice_ufrag).RW(Negotiated, remote_ice_pwd)
        .RW(Negotiated, remote_candidates).RW(Negotiated, remote_ice_lite).RW(Negotiated, ice_controlling)
        .RW(Negotiated, dtls_setup).RW(Negotiated, remote_fingerprint);

    m.def("sdp_create_offer", [](const Capabilities& local, const std::optional<Session>& previous) {
        pybind11::gil_scoped_release nogil;
        return create_offer(local, previous ? &*previous : nullptr);
    }, pybind11::arg("local"), pybind11::arg("previous") = pybind11::none());
    m.def("sdp_create_answer", [](const Session& offer, const Capabilities& local, const std::optional<Session>& previous) {
        pybind11::gil_scoped_release nogil;
        return create_answer(offer, local, previous ? &*previous : nullptr);
    }, pybind11::arg("offer"), pybind11::arg("local"), pybind11::arg("previous") = pybind11::none());
    m.def("sdp_negotiate", [](const Session& offer, const Session& answer, bool local_is_offerer) {
        pybind11::gil_scoped_release nogil;
        return negotiate(offer, answer, local_is_offerer);
    }, pybind11::arg("offer"), pybind11::arg("answer"), pybind11::arg("local_is_offerer") = true);
}

#undef RW
#undef DIR
#undef SETUP

}  // namespace siperb::py
