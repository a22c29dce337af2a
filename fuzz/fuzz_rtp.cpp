// libFuzzer target for csrc/rtp and csrc/jbuf: RTP parse/build round trip, RFC 8285 elements,
// RTCP compound parse/build, telephone-event decode and detection, and the jitter buffer and
// G.711 PLC driven by a command stream. Only siperb::Error may escape the library.
#include "common/error.hpp"
#include "jbuf/g711_plc.hpp"
#include "jbuf/jitter_buffer.hpp"
#include "rtp/rtcp.hpp"
#include "rtp/rtp_packet.hpp"
#include "rtp/telephone_event.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

using namespace siperb;

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

void fuzz_rtp(rtp::Bytes data) {
    try {
        const auto view = rtp::RtpView::parse(data);
        const auto pkt = rtp::RtpPacket::from_view(view);
        const auto wire = pkt.build();
        const auto again = rtp::RtpPacket::parse(wire);
        check(again.payload == pkt.payload && again.csrc == pkt.csrc && again.timestamp == pkt.timestamp &&
              again.sequence_number == pkt.sequence_number && again.padding_size == pkt.padding_size);
        if (pkt.extension) {
            try {
                const auto els = rtp::parse_extension_elements(pkt.extension->profile, view.extension_data);
                const auto ext = rtp::build_extension_elements(els);
                check(rtp::parse_extension_elements(ext.profile, ext.data).size() == els.size());
            } catch (const Error&) {
            }
        }
    } catch (const Error&) {
    }
}

void fuzz_rtcp(rtp::Bytes data) {
    for (bool strict : {true, false}) {
        try {
            const auto pkts = rtp::parse_rtcp_compound(data, strict);
            try {
                const auto wire = rtp::build_rtcp_compound(pkts);
                check(rtp::parse_rtcp_compound(wire, false).size() == pkts.size());
            } catch (const Error&) {
            }
        } catch (const Error&) {
        }
    }
}

void fuzz_dtmf(rtp::Bytes data) {
    rtp::DtmfDetector det;
    for (std::size_t i = 0; i + 6 <= data.size(); i += 6) {
        try {
            const std::uint32_t ts = data[i] & 0x3;  // few distinct timestamps: collisions matter
            (void)det.push(ts * 800, data.subspan(i + 2, 4));
            (void)rtp::TelephoneEvent::parse(data.subspan(i + 2, 4)).build();
        } catch (const Error&) {
        }
    }
    (void)det.flush();
}

void fuzz_jitter_buffer(rtp::Bytes data) {
    jbuf::JitterBuffer jb;
    jbuf::G711Plc plc;
    double now = 0;
    std::size_t i = 0;
    while (i + 8 <= data.size()) {
        const std::uint8_t op = data[i];
        try {
            if (op & 1) {
                const auto seq = rtp::read16(data.data() + i + 1);
                const std::uint32_t ts = rtp::read32(data.data() + i + 3);
                const double arrival = now + static_cast<double>(static_cast<std::int8_t>(data[i + 7]));
                jb.put(seq, ts, data.subspan(i, 8), arrival, (op >> 6) & 1, (op >> 1) & 1);
            } else {
                now += 20.0 * ((op >> 1) & 3);
                const auto f = jb.get(now, (op >> 3) & 7);
                if (f.kind == jbuf::FrameKind::Packet) {
                    std::int16_t pcm[8];
                    for (std::size_t k = 0; k < 8; ++k) pcm[k] = static_cast<std::int16_t>(data[i + k] * 97 - 12000);
                    (void)plc.good_frame(pcm);
                } else if (f.kind == jbuf::FrameKind::Conceal) {
                    (void)plc.conceal(80 * (1 + (op >> 6)));
                }
            }
        } catch (const Error&) {
        }
        i += 8;
    }
    (void)jb.stats();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const rtp::Bytes all(data, size);
    const rtp::Bytes rest = all.subspan(1);
    switch (data[0] % 4) {
    case 0: fuzz_rtp(rest); break;
    case 1: fuzz_rtcp(rest); break;
    case 2: fuzz_dtmf(rest); break;
    default: fuzz_jitter_buffer(rest); break;
    }
    return 0;
}
