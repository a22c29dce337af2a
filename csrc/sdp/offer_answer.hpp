// RFC 3264 offer/answer for one audio stream: build an offer from local capabilities, answer a
// remote offer, and reduce an offer/answer pair to what the media engine needs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sdp/session.hpp"

namespace siperb::sdp {

// One codec we can send and receive. `payload_type` pins the PT in our offers (else static
// table or first free dynamic PT); in answers the offerer's PT always wins.
struct Codec {
    std::string name;
    std::uint32_t clock_rate = 8000;
    unsigned channels = 1;
    std::string fmtp;
    std::optional<unsigned> payload_type;
    bool operator==(const Codec&) const = default;
};

// What the local side offers or accepts.
struct Capabilities {
    std::vector<Codec> codecs;               // in preference order
    bool telephone_event = true;             // RFC 4733 DTMF
    std::string telephone_event_fmtp = "0-16";
    unsigned telephone_event_pt = 101;       // preferred PT in offers
    std::string address = "127.0.0.1";      // our RTP address (IPv6 if it contains ':')
    std::uint16_t port = 0;                  // our RTP port
    Direction direction = Direction::sendrecv;  // sendonly/inactive to put the call on hold
    std::optional<unsigned> ptime;
    bool rtcp_mux = false;
    std::vector<Crypto> crypto;              // our SRTP keys; non-empty: offer RTP/SAVP
    std::string username = "-";
    std::optional<std::uint64_t> session_id; // random if unset
    std::string session_name = "siperb";
    // The WebRTC profile (RFC 8829/8834): UDP/TLS/RTP/SAVPF with ICE, DTLS-SRTP, rtcp-mux and
    // BUNDLE. `webrtc` makes offers in it and lets answers accept DTLS offers; crypto is then
    // never offered beside the fingerprint.
    bool webrtc = false;
    std::string ice_ufrag;                   // ours (RFC 8839 5.4)
    std::string ice_pwd;
    std::vector<std::string> candidates;     // our a=candidate values (without "candidate:")
    bool ice_lite = false;                   // we are a lite agent
    std::string fingerprint;                 // ours, "sha-256 AB:CD:..."
    std::optional<Setup> setup;              // our DTLS role to keep (re-offers, re-answers)
    bool operator==(const Capabilities&) const = default;
};

// Opus fmtp parameters of the remote side (RFC 7587 7), used to configure our encoder.
struct OpusParams {
    std::optional<unsigned> maxplaybackrate;
    std::optional<unsigned> maxaveragebitrate;
    bool useinbandfec = false;
    bool usedtx = false;
    bool stereo = false;
    bool sprop_stereo = false;
    std::optional<unsigned> ptime;
    std::optional<unsigned> minptime;
    bool operator==(const OpusParams&) const = default;
};

// The outcome of an offer/answer exchange, from the local side's point of view.
struct Negotiated {
    std::size_t media_index = 0;       // the audio m= line used
    Codec codec;                       // selected codec; fmtp = the remote side's fmtp
    unsigned payload_type = 0;         // PT to send with (the remote side's number)
    unsigned local_payload_type = 0;   // PT we receive (our number)
    std::optional<unsigned> telephone_event_pt;  // remote side's PT for RFC 4733 events
    std::string telephone_event_fmtp;
    std::string remote_address;
    std::uint16_t remote_port = 0;
    std::string remote_rtcp_address;
    std::uint16_t remote_rtcp_port = 0;
    bool rtcp_mux = false;
    Direction direction = Direction::sendrecv;  // what we may do: send and/or receive
    std::optional<unsigned> ptime;     // the remote side's preferred packet time
    std::optional<Crypto> local_crypto;
    std::optional<Crypto> remote_crypto;
    std::optional<OpusParams> opus;
    // WebRTC profile only (`webrtc` true): the remote's ICE credentials and candidates, our
    // ICE role and our DTLS role, and the remote certificate's fingerprint.
    bool webrtc = false;
    std::string remote_ice_ufrag;
    std::string remote_ice_pwd;
    std::vector<std::string> remote_candidates;  // a=candidate values, as written by the remote
    bool remote_ice_lite = false;
    bool ice_controlling = false;
    std::string dtls_setup;                      // ours: "active" (client) or "passive" (server)
    std::string remote_fingerprint;              // "sha-256 AB:CD:..."
    bool operator==(const Negotiated&) const = default;
};

// Our offer. With `previous` (our last offer) it is a re-offer: same o= id, version + 1 if
// anything changed. Throws SdpNegotiationError if there is nothing to offer.
Session create_offer(const Capabilities& local, const Session* previous = nullptr);
// Our answer to `offer`: same m= lines in the same order, unusable ones with port 0.
// Throws SdpNegotiationError (SIP 488) if no audio stream can be accepted.
Session create_answer(const Session& offer, const Capabilities& local,
                      const Session* previous = nullptr);
// Reduces an offer/answer pair to the parameters of the audio stream. Throws
// SdpNegotiationError if the answer accepts no audio stream or is inconsistent with the offer.
Negotiated negotiate(const Session& offer, const Session& answer, bool local_is_offerer = true);
// WebRTC profile parts (webrtc.cpp): fill an offer's / answer's m= section and session
// attributes from `local`; check a DTLS offer or answer and fill `n` (throwing
// SdpNegotiationError naming the attribute).
void add_webrtc_offer(Session& s, Media& m, const Capabilities& local);
std::optional<std::string> add_webrtc_answer(Session& s, Media& a, const Session& offer, std::size_t i,
                                             const Capabilities& local);
void negotiate_webrtc(Negotiated& n, const Session& offer, const Session& answer, std::size_t i,
                      bool local_is_offerer);
// Parses an opus fmtp parameter string ("useinbandfec=1; stereo=0").
OpusParams parse_opus_params(const Fmtp& fmtp);

}  // namespace siperb::sdp
