// Arbitrary datagrams into a media session's receive path (RtpStream, no sockets, no thread):
// plain RTP, SRTP-protected with the session's key (so the payload behind a valid tag is
// arbitrary) and raw bytes against an SRTP session, with packet-time ticks in between so the
// jitter buffer, decoders, DTMF detector and RTCP parser all see the data.
#include "media/event_queue.hpp"
#include "media/rtp_stream.hpp"
#include "media/srtp.hpp"

#include <cstdint>
#include <cstring>
#include <vector>

using namespace siperb::media;

namespace {

const std::string kKey = "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";

struct Harness {
    EventQueue events{64};
    RtpStream stream;
    std::unique_ptr<SrtpContext> protector;
    std::int64_t now = 1'000'000'000;

    Harness(const char* codec, unsigned pt, bool srtp) : stream(1, SessionConfig{}, &events, -1, -1) {
        StreamParams p;
        p.codec = codec;
        p.payload_type = p.local_payload_type = pt;
        p.telephone_event_pt = 101;
        p.remote_address = "127.0.0.1";
        p.remote_port = 9;
        if (srtp) {
            p.srtp_suite = "AES_CM_128_HMAC_SHA1_80";
            p.srtp_local_key = p.srtp_remote_key = kKey;
            protector = std::make_unique<SrtpContext>(parse_sdes_key(p.srtp_suite, kKey), true);
        }
        auto setup = RtpStream::prepare(SessionConfig{}, p, nullptr);
        stream.apply(*setup, now);
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const std::uint8_t mode = data[0] % 6;
    static Harness plain_pcmu("PCMU", 0, false), plain_opus("opus", 111, false), srtp("PCMA", 8, true);
    Harness& h = mode < 2 ? plain_pcmu : mode < 4 ? plain_opus : srtp;
    const siperb::net::SocketAddress from = siperb::net::SocketAddress::parse("127.0.0.1", 9);
    // Datagrams separated by 0xFF 0xFE; a tick after each.
    std::size_t start = 1;
    for (std::size_t i = 1; i <= size; ++i) {
        if (i < size && !(i + 1 < size && data[i] == 0xFF && data[i + 1] == 0xFE)) continue;
        std::vector<std::uint8_t> buf(data + start, data + i);
        buf.resize(buf.size() + SrtpContext::kSrtpTrailer);
        int len = static_cast<int>(i - start);
        if (mode == 4 && h.protector && len >= 12) {
            buf[0] = static_cast<std::uint8_t>((buf[0] & 0x3F) | 0x80);
            h.protector->protect_rtp(buf.data(), len);
        }
        h.stream.on_datagram(buf.data(), len, from, (data[0] & 0x40) != 0, h.now);
        h.now += 20'000'000;
        h.stream.on_tick(h.now);
        start = i + 2;
        ++i;
    }
    h.events.drain();
    return 0;
}
