// The RFC 7983 demultiplexer and a WebRTC session's datagram input: arbitrary datagrams (from
// the remote's candidate address or a stranger) into a started WebRTC RtpStream with no socket
// (fd -1), where STUN goes to the ICE agent, DTLS to the DTLS session (or the early queue before
// start), SRTP to the key check, the rest is dropped and counted; with ICE/DTLS timeouts and
// packet-time ticks in between. Nothing may crash, leak or grow without bound.
#include "media/demux.hpp"
#include "media/event_queue.hpp"
#include "media/rtp_stream.hpp"

#include <cstdint>
#include <memory>
#include <vector>

using namespace siperb::media;

namespace {

SessionConfig webrtc_config() {
    SessionConfig c;
    c.webrtc = true;
    return c;
}

StreamParams webrtc_params(bool client) {
    StreamParams p;
    p.ice_ufrag = "fuzz";
    p.ice_pwd = "fuzzfuzzfuzzfuzzfuzzfuzz";
    p.ice_candidates = {"1 1 udp 2130706431 127.0.0.1 9 typ host"};
    p.ice_controlling = client;
    p.dtls_setup = client ? "active" : "passive";
    p.dtls_fingerprint = "sha-256 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89";
    return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    static volatile unsigned kinds = 0;
    kinds = kinds + static_cast<unsigned>(classify_packet(data, size));
    const SessionConfig cfg = webrtc_config();
    EventQueue events{64};
    RtpStream stream(1, cfg, &events, -1, -1);
    std::int64_t now = 1'000'000'000;
    const bool start_first = data[0] & 1;
    auto start = [&] {
        auto setup = RtpStream::prepare(cfg, webrtc_params((data[0] & 2) != 0), nullptr);
        stream.apply(*setup, now);
    };
    if (start_first) start();
    const auto remote = siperb::net::SocketAddress::parse("127.0.0.1", 9);
    const auto stranger = siperb::net::SocketAddress::parse("127.0.0.2", 4000);
    // Datagrams separated by 0xFF 0xFE; a timer run and a tick after each.
    std::size_t begin = 1;
    int n = 0;
    for (std::size_t i = 1; i <= size; ++i) {
        if (i < size && !(i + 1 < size && data[i] == 0xFF && data[i + 1] == 0xFE)) continue;
        std::vector<std::uint8_t> buf(data + begin, data + i);
        buf.resize(buf.size() + SrtpContext::kSrtpTrailer);
        const int len = static_cast<int>(i - begin);
        stream.on_datagram(buf.data(), len, (n & 1) ? stranger : remote, false, now);
        now += 20'000'000;
        if (stream.transport_deadline() <= now) stream.on_transport_timeout(now);
        stream.on_tick(now);
        if (!start_first && ++n == 3) start();  // early datagrams, then the answer
        begin = i + 2;
        ++i;
    }
    stream.close_transport(now);
    events.drain();
    return 0;
}
