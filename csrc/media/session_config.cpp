#include "media/session_config.hpp"

#include <cctype>

namespace siperb::media {

StreamParams stream_params_from(const sdp::Negotiated& n) {
    StreamParams p;
    p.codec = n.codec.name;
    p.clock_rate = n.codec.clock_rate;
    p.channels = n.codec.channels;
    p.payload_type = n.payload_type;
    p.local_payload_type = n.local_payload_type;
    p.telephone_event_pt = n.telephone_event_pt ? static_cast<int>(*n.telephone_event_pt) : -1;
    p.ptime = n.ptime.value_or(20);
    p.remote_address = n.remote_address;
    p.remote_port = n.remote_port;
    p.remote_rtcp_address = n.remote_rtcp_address;
    p.remote_rtcp_port = n.remote_rtcp_port;
    p.rtcp_mux = n.rtcp_mux;
    p.direction = n.direction;
    if (n.opus) {
        p.opus_maxplaybackrate = n.opus->maxplaybackrate.value_or(48000);
        p.opus_maxaveragebitrate = n.opus->maxaveragebitrate.value_or(0);
        p.opus_fec = n.opus->useinbandfec;
        p.opus_dtx = n.opus->usedtx;
        p.opus_stereo = n.opus->stereo;
        if (n.opus->ptime && !n.ptime) p.ptime = *n.opus->ptime;
    }
    bool opus = n.codec.name.size() == 4;
    for (std::size_t i = 0; opus && i < 4; ++i) opus = std::tolower(n.codec.name[i]) == "opus"[i];
    if (opus && p.ptime != 10 && p.ptime != 20 && p.ptime != 40 && p.ptime != 60) p.ptime = 20;
    if (n.local_crypto && n.remote_crypto) {
        p.srtp_suite = n.remote_crypto->suite;
        p.srtp_local_key = n.local_crypto->key_params;
        p.srtp_remote_key = n.remote_crypto->key_params;
    }
    return p;
}

}  // namespace siperb::media
