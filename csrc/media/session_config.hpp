// What a media session is configured with: SessionConfig is fixed for its life (sockets,
// jitter buffer, timeouts), StreamParams comes from offer/answer and may change mid-call
// (a re-INVITE: codec, payload types, remote address, direction, SRTP keys).
#pragma once

#include "sdp/offer_answer.hpp"
#include "sdp/session.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace siperb::media {

struct SessionConfig {
    std::string local_address = "127.0.0.1";  // numeric IPv4 or IPv6
    std::uint16_t port_min = 0;                 // RTP on an even port, RTCP on the next;
    std::uint16_t port_max = 0;                 // both 0: 16384-32767
    bool symmetric_rtp = false;                 // send to where the remote's RTP comes from
    std::uint32_t jitter_min_ms = 0;
    std::uint32_t jitter_max_ms = 500;
    std::uint32_t jitter_start_ms = 40;
    bool time_stretch = true;                   // follow the jitter buffer's stretch hints
    std::uint32_t rtp_timeout_ms = 0;           // 0: no inactivity timeout event
    std::uint32_t stats_interval_ms = 0;        // 0: no periodic stats event
    std::uint32_t rtcp_interval_ms = 5000;      // RFC 3550 Tmin; randomised 0.5-1.5
    int opus_complexity = 5;                    // 0-10; -1..-3 also cap the band (codec_unit.hpp)
    int opus_bitrate = 0;                       // 0: libopus chooses (or maxaveragebitrate)
    // PCM rate of the Opus decoder (8/12/16/24/48k); 0: what the session's sink and recorder
    // need (the lowest Opus rate at least theirs; 8 kHz with neither), chosen again when they
    // change (codec_unit.hpp opus_decode_rate_for)
    int opus_decode_rate = 0;
    std::string cname;                          // RTCP CNAME (empty: random)
    // WebRTC profile: one socket (rtcp-mux), ICE + DTLS-SRTP on it; no RTCP socket is bound.
    bool webrtc = false;
    bool ice_lite = false;                      // we are a lite agent (RFC 8445 2.5)
    std::string stun_server;                    // numeric "host:port" / "[v6]:port"; empty: none
    std::string turn_server;
    std::string turn_username;
    std::string turn_password;                  // never logged
    std::uint32_t gather_timeout_ms = 500;      // cap on server-reflexive/relayed gathering
    std::uint32_t consent_timeout_ms = 30000;   // RFC 7675: no consent this long ends the call
};

struct StreamParams {
    std::string codec = "PCMU";
    std::uint32_t clock_rate = 8000;
    unsigned channels = 1;
    unsigned payload_type = 0;           // we send with
    unsigned local_payload_type = 0;     // we receive
    int telephone_event_pt = -1;         // we send with (-1: no RFC 4733)
    int local_telephone_event_pt = -1;   // we receive (-1: same as telephone_event_pt)
    std::uint32_t telephone_event_rate = 0;  // 0: the codec's clock rate
    unsigned ptime = 20;                 // send packet time: 10/20/30/40/60 ms
    std::string remote_address;
    std::uint16_t remote_port = 0;
    std::string remote_rtcp_address;     // empty: remote_address
    std::uint16_t remote_rtcp_port = 0;  // 0: remote_port + 1 (or remote_port with rtcp_mux)
    bool rtcp_mux = false;
    sdp::Direction direction = sdp::Direction::sendrecv;
    unsigned opus_maxplaybackrate = 48000;
    unsigned opus_maxaveragebitrate = 0;
    bool opus_fec = false;               // the remote decodes in-band FEC: send it
    bool opus_dtx = false;               // the remote accepts DTX
    bool opus_stereo = false;            // the remote prefers stereo (we send mono, allowed)
    std::string srtp_suite;              // empty: plain RTP
    std::string srtp_local_key;          // our a=crypto key params ("inline:...")
    std::string srtp_remote_key;         // the remote's
    // WebRTC (empty ice_ufrag: not WebRTC). Same ufrag and fingerprint on an update keep ICE
    // and DTLS; a new ufrag restarts ICE, a new fingerprint or setup restarts DTLS.
    std::string ice_ufrag, ice_pwd;      // the remote's
    std::vector<std::string> ice_candidates;  // the remote's a=candidate values
    bool ice_lite = false;               // the REMOTE is lite
    bool ice_controlling = false;        // our role
    std::string dtls_setup;              // OUR role: "active" (client) or "passive" (server)
    std::string dtls_fingerprint;        // the remote's, "sha-256 AB:CD:..."
};

// The stream parameters of a negotiated offer/answer (ptime defaults to 20 ms; an Opus packet
// time that is not an Opus frame size becomes 20 ms).
StreamParams stream_params_from(const sdp::Negotiated& n);

}  // namespace siperb::media
