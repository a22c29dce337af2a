// Bindings for csrc/rtp/: RTP packets, receive statistics, RTCP, RFC 4733 telephone-event.
#include "bindings.hpp"

#include "rtp/ntp.hpp"
#include "rtp/receiver_stats.hpp"
#include "rtp/rtcp.hpp"
#include "rtp/rtp_packet.hpp"
#include "rtp/seq.hpp"
#include "rtp/telephone_event.hpp"

#include <pybind11/stl.h>

#include <string_view>

namespace py = pybind11;

namespace siperb::py {

namespace {

using namespace siperb::rtp;

pybind11::bytes to_bytes(const std::vector<std::uint8_t>& v) {
    return {reinterpret_cast<const char*>(v.data()), v.size()};
}
std::vector<std::uint8_t> to_vec(std::string_view s) { return {s.begin(), s.end()}; }

// A bytes-valued property for a std::vector<uint8_t> member.
template <typename C, typename M>
void bytes_property(pybind11::class_<C>& cls, const char* name, M C::*member) {
    cls.def_property(
        name, [member](const C& c) { return to_bytes(c.*member); },
        [member](C& c, std::string_view s) { c.*member = to_vec(s); });
}

void bind_packet(pybind11::module_& m) {
    pybind11::class_<RtpExtension> ext(m, "RtpExtension");
    ext.def(pybind11::init([](std::uint16_t profile, std::string_view data) { return RtpExtension{profile, to_vec(data)}; }),
            pybind11::arg("profile"), pybind11::arg("data") = std::string_view{})
        .def_readwrite("profile", &RtpExtension::profile)
        .def("__eq__", [](const RtpExtension& a, const RtpExtension& b) { return a.profile == b.profile && a.data == b.data; });
    bytes_property(ext, "data", &RtpExtension::data);

    pybind11::class_<RtpPacket> pk(m, "RtpPacket");
    pk.def(pybind11::init([](std::uint8_t pt, std::uint16_t seq, std::uint32_t ts, std::uint32_t ssrc, bool marker,
                             std::string_view payload, std::vector<std::uint32_t> csrc,
                             std::optional<RtpExtension> extension, std::uint8_t padding_size) {
               RtpPacket p;
               p.payload_type = pt;
               p.sequence_number = seq;
               p.timestamp = ts;
               p.ssrc = ssrc;
               p.marker = marker;
               p.payload = to_vec(payload);
               p.csrc = std::move(csrc);
               p.extension = std::move(extension);
               p.padding_size = padding_size;
               return p;
           }),
           pybind11::arg("payload_type") = 0, pybind11::arg("sequence_number") = 0, pybind11::arg("timestamp") = 0,
           pybind11::arg("ssrc") = 0, pybind11::arg("marker") = false, pybind11::arg("payload") = std::string_view{},
           pybind11::arg("csrc") = std::vector<std::uint32_t>{}, pybind11::arg("extension") = std::nullopt,
           pybind11::arg("padding_size") = 0)
        .def_static("parse", [](std::string_view data) { return RtpPacket::parse(byte_span(data)); }, pybind11::arg("data"))
        .def("build", [](const RtpPacket& p) { return to_bytes(p.build()); })
        .def("__bytes__", [](const RtpPacket& p) { return to_bytes(p.build()); })
        .def("__repr__",
             [](const RtpPacket& p) {
                 return "RtpPacket(pt=" + std::to_string(p.payload_type) + ", seq=" + std::to_string(p.sequence_number) +
                        ", ts=" + std::to_string(p.timestamp) + ", ssrc=" + std::to_string(p.ssrc) +
                        (p.marker ? ", marker" : "") + ", payload=" + std::to_string(p.payload.size()) + " bytes)";
             })
        .def_readwrite("payload_type", &RtpPacket::payload_type)
        .def_readwrite("sequence_number", &RtpPacket::sequence_number)
        .def_readwrite("timestamp", &RtpPacket::timestamp)
        .def_readwrite("ssrc", &RtpPacket::ssrc)
        .def_readwrite("marker", &RtpPacket::marker)
        .def_readwrite("csrc", &RtpPacket::csrc)
        .def_readwrite("extension", &RtpPacket::extension)
        .def_readwrite("padding_size", &RtpPacket::padding_size);
    bytes_property(pk, "payload", &RtpPacket::payload);

    m.def("rtp_peek", [](std::string_view data) {
        const RtpView v = RtpView::parse(byte_span(data));
        const auto offset = static_cast<std::size_t>(v.payload.data() - reinterpret_cast<const std::uint8_t*>(data.data()));
        return pybind11::make_tuple(v.payload_type, v.sequence_number, v.timestamp, v.ssrc, v.marker, offset,
                                    v.payload.size());
    });
    m.def("rtp_parse_extension_elements", [](std::uint16_t profile, std::string_view data) {
        std::vector<std::pair<int, pybind11::bytes>> out;
        for (const auto& e : parse_extension_elements(profile, byte_span(data))) out.emplace_back(e.id, to_bytes(e.data));
        return out;
    });
    m.def("rtp_build_extension_elements",
          [](const std::vector<std::pair<std::uint8_t, std::string_view>>& elements, bool two_byte) {
              std::vector<RtpExtensionElement> els;
              for (const auto& [id, data] : elements) els.push_back({id, to_vec(data)});
              return build_extension_elements(els, two_byte);
          },
          pybind11::arg("elements"), pybind11::arg("two_byte") = false);
    m.def("seq_diff", &seq_diff);
    m.def("ts_diff", &ts_diff);
    pybind11::class_<SeqUnwrapper>(m, "SeqUnwrapper").def(pybind11::init<>()).def("unwrap", &SeqUnwrapper::unwrap);
    pybind11::class_<TimestampUnwrapper>(m, "TimestampUnwrapper")
        .def(pybind11::init<>())
        .def("unwrap", &TimestampUnwrapper::unwrap);
}

void bind_stats(pybind11::module_& m) {
    pybind11::class_<ReceptionReport>(m, "ReceptionReport")
        .def_readonly("fraction_lost", &ReceptionReport::fraction_lost)
        .def_readonly("cumulative_lost", &ReceptionReport::cumulative_lost)
        .def_readonly("extended_highest_seq", &ReceptionReport::extended_highest_seq)
        .def_readonly("jitter", &ReceptionReport::jitter);
    pybind11::class_<RtpReceiverStats>(m, "RtpReceiverStats")
        .def(pybind11::init<std::uint32_t>(), pybind11::arg("clock_rate"))
        .def("update", &RtpReceiverStats::update, pybind11::arg("sequence_number"), pybind11::arg("timestamp"),
             pybind11::arg("arrival_ms"))
        .def("report", &RtpReceiverStats::report)
        .def_property_readonly("valid", &RtpReceiverStats::valid)
        .def_property_readonly("extended_highest_seq", &RtpReceiverStats::extended_highest_seq)
        .def_property_readonly("cycles", &RtpReceiverStats::cycles)
        .def_property_readonly("base_seq", &RtpReceiverStats::base_seq)
        .def_property_readonly("received", &RtpReceiverStats::received)
        .def_property_readonly("expected", &RtpReceiverStats::expected)
        .def_property_readonly("lost", &RtpReceiverStats::lost)
        .def_property_readonly("jitter", &RtpReceiverStats::jitter)
        .def_property_readonly("jitter_ms", &RtpReceiverStats::jitter_ms)
        .def_property_readonly("clock_rate", &RtpReceiverStats::clock_rate);
}

void bind_rtcp(pybind11::module_& m) {
    pybind11::class_<RtcpReportBlock>(m, "RtcpReportBlock")
        .def(pybind11::init([](std::uint32_t ssrc, std::uint8_t fraction_lost, std::int32_t cumulative_lost,
                               std::uint32_t highest, std::uint32_t jitter, std::uint32_t lsr, std::uint32_t dlsr) {
                 return RtcpReportBlock{ssrc, fraction_lost, cumulative_lost, highest, jitter, lsr, dlsr};
             }),
             pybind11::arg("ssrc") = 0, pybind11::arg("fraction_lost") = 0, pybind11::arg("cumulative_lost") = 0,
             pybind11::arg("extended_highest_seq") = 0, pybind11::arg("jitter") = 0, pybind11::arg("lsr") = 0,
             pybind11::arg("dlsr") = 0)
        .def_readwrite("ssrc", &RtcpReportBlock::ssrc)
        .def_readwrite("fraction_lost", &RtcpReportBlock::fraction_lost)
        .def_readwrite("cumulative_lost", &RtcpReportBlock::cumulative_lost)
        .def_readwrite("extended_highest_seq", &RtcpReportBlock::extended_highest_seq)
        .def_readwrite("jitter", &RtcpReportBlock::jitter)
        .def_readwrite("lsr", &RtcpReportBlock::lsr)
        .def_readwrite("dlsr", &RtcpReportBlock::dlsr);

    pybind11::class_<RtcpSenderReport> sr(m, "RtcpSenderReport");
    sr.def(pybind11::init([](std::uint32_t ssrc, std::uint64_t ntp, std::uint32_t rtp_ts, std::uint32_t packets,
                             std::uint32_t octets, std::vector<RtcpReportBlock> reports) {
               RtcpSenderReport r;
               r.ssrc = ssrc;
               r.ntp_timestamp = ntp;
               r.rtp_timestamp = rtp_ts;
               r.packet_count = packets;
               r.octet_count = octets;
               r.reports = std::move(reports);
               return r;
           }),
           pybind11::arg("ssrc") = 0, pybind11::arg("ntp_timestamp") = 0, pybind11::arg("rtp_timestamp") = 0,
           pybind11::arg("packet_count") = 0, pybind11::arg("octet_count") = 0,
           pybind11::arg("reports") = std::vector<RtcpReportBlock>{})
        .def_readwrite("ssrc", &RtcpSenderReport::ssrc)
        .def_readwrite("ntp_timestamp", &RtcpSenderReport::ntp_timestamp)
        .def_readwrite("rtp_timestamp", &RtcpSenderReport::rtp_timestamp)
        .def_readwrite("packet_count", &RtcpSenderReport::packet_count)
        .def_readwrite("octet_count", &RtcpSenderReport::octet_count)
        .def_readwrite("reports", &RtcpSenderReport::reports);
    bytes_property(sr, "extension", &RtcpSenderReport::extension);

    pybind11::class_<RtcpReceiverReport> rr(m, "RtcpReceiverReport");
    rr.def(pybind11::init([](std::uint32_t ssrc, std::vector<RtcpReportBlock> reports) {
               RtcpReceiverReport r;
               r.ssrc = ssrc;
               r.reports = std::move(reports);
               return r;
           }),
           pybind11::arg("ssrc") = 0, pybind11::arg("reports") = std::vector<RtcpReportBlock>{})
        .def_readwrite("ssrc", &RtcpReceiverReport::ssrc)
        .def_readwrite("reports", &RtcpReceiverReport::reports);
    bytes_property(rr, "extension", &RtcpReceiverReport::extension);

    pybind11::class_<RtcpSdesItem>(m, "RtcpSdesItem")
        .def(pybind11::init([](std::uint8_t type, std::string value) { return RtcpSdesItem{type, std::move(value)}; }),
             pybind11::arg("type"), pybind11::arg("value"))
        .def_readwrite("type", &RtcpSdesItem::type)
        .def_property(
            "value", [](const RtcpSdesItem& i) { return pybind11::bytes(i.value); },
            [](RtcpSdesItem& i, std::string v) { i.value = std::move(v); });
    pybind11::class_<RtcpSdesChunk>(m, "RtcpSdesChunk")
        .def(pybind11::init([](std::uint32_t ssrc, std::vector<RtcpSdesItem> items) {
                 return RtcpSdesChunk{ssrc, std::move(items)};
             }),
             pybind11::arg("ssrc"), pybind11::arg("items") = std::vector<RtcpSdesItem>{})
        .def_readwrite("ssrc", &RtcpSdesChunk::ssrc)
        .def_readwrite("items", &RtcpSdesChunk::items);
    pybind11::class_<RtcpSdes>(m, "RtcpSdes")
        .def(pybind11::init([](std::vector<RtcpSdesChunk> chunks) { return RtcpSdes{std::move(chunks)}; }),
             pybind11::arg("chunks") = std::vector<RtcpSdesChunk>{})
        .def_readwrite("chunks", &RtcpSdes::chunks);
    pybind11::class_<RtcpBye>(m, "RtcpBye")
        .def(pybind11::init([](std::vector<std::uint32_t> sources, std::optional<std::string> reason) {
                 return RtcpBye{std::move(sources), std::move(reason)};
             }),
             pybind11::arg("sources") = std::vector<std::uint32_t>{}, pybind11::arg("reason") = std::nullopt)
        .def_readwrite("sources", &RtcpBye::sources)
        .def_property(
            "reason",
            [](const RtcpBye& b) -> std::optional<pybind11::bytes> {
                if (!b.reason) return std::nullopt;
                return pybind11::bytes(*b.reason);
            },
            [](RtcpBye& b, std::optional<std::string> r) { b.reason = std::move(r); });
    pybind11::class_<RtcpApp> app(m, "RtcpApp");
    app.def(pybind11::init([](std::uint8_t subtype, std::uint32_t ssrc, std::string name, std::string_view data) {
                return RtcpApp{subtype, ssrc, std::move(name), to_vec(data)};
            }),
            pybind11::arg("subtype") = 0, pybind11::arg("ssrc") = 0, pybind11::arg("name") = "",
            pybind11::arg("data") = std::string_view{})
        .def_readwrite("subtype", &RtcpApp::subtype)
        .def_readwrite("ssrc", &RtcpApp::ssrc)
        .def_readwrite("name", &RtcpApp::name);
    bytes_property(app, "data", &RtcpApp::data);
    pybind11::class_<RtcpUnknown> unk(m, "RtcpUnknown");
    unk.def(pybind11::init([](std::uint8_t pt, std::uint8_t count, std::string_view body) {
                return RtcpUnknown{pt, count, to_vec(body)};
            }),
            pybind11::arg("packet_type"), pybind11::arg("count") = 0, pybind11::arg("body") = std::string_view{})
        .def_readwrite("packet_type", &RtcpUnknown::packet_type)
        .def_readwrite("count", &RtcpUnknown::count);
    bytes_property(unk, "body", &RtcpUnknown::body);

    m.def("rtcp_parse_compound", [](std::string_view data, bool strict) { return parse_rtcp_compound(byte_span(data), strict); },
          pybind11::arg("data"), pybind11::arg("strict") = true);
    m.def("rtcp_build_compound", [](const std::vector<RtcpPacket>& packets) { return to_bytes(build_rtcp_compound(packets)); });
    m.def("rtcp_round_trip_time", &rtcp_round_trip_time, pybind11::arg("block"), pybind11::arg("arrival_ntp"));
    m.def("ntp_from_unix", &ntp_from_unix);
    m.def("ntp_to_unix", &ntp_to_unix);
    m.def("ntp_middle32", &ntp_middle32);
}

void bind_dtmf(pybind11::module_& m) {
    pybind11::class_<TelephoneEvent>(m, "TelephoneEvent")
        .def(pybind11::init([](std::uint8_t event, bool end, std::uint8_t volume, std::uint16_t duration) {
                 return TelephoneEvent{event, end, volume, duration};
             }),
             pybind11::arg("event"), pybind11::arg("end") = false, pybind11::arg("volume") = 10,
             pybind11::arg("duration") = 0)
        .def_static("parse", [](std::string_view data) { return TelephoneEvent::parse(byte_span(data)); })
        .def("build", [](const TelephoneEvent& e) { return to_bytes(e.build()); })
        .def("__bytes__", [](const TelephoneEvent& e) { return to_bytes(e.build()); })
        .def("__repr__",
             [](const TelephoneEvent& e) {
                 return "TelephoneEvent(event=" + std::to_string(e.event) + (e.end ? ", end" : "") +
                        ", volume=" + std::to_string(e.volume) + ", duration=" + std::to_string(e.duration) + ")";
             })
        .def("__eq__", [](const TelephoneEvent& a, const TelephoneEvent& b) {
            return a.event == b.event && a.end == b.end && a.volume == b.volume && a.duration == b.duration;
        })
        .def_readwrite("event", &TelephoneEvent::event)
        .def_readwrite("end", &TelephoneEvent::end)
        .def_readwrite("volume", &TelephoneEvent::volume)
        .def_readwrite("duration", &TelephoneEvent::duration);
    m.def("event_from_digit", &event_from_digit);
    m.def("digit_from_event", [](std::uint8_t e) {
        const char d = digit_from_event(e);
        return d ? std::string(1, d) : std::string();
    });
    pybind11::class_<DtmfPacket>(m, "DtmfPacket")
        .def_readonly("marker", &DtmfPacket::marker)
        .def_readonly("timestamp", &DtmfPacket::timestamp)
        .def_readonly("event", &DtmfPacket::event)
        .def_property_readonly("payload", [](const DtmfPacket& p) { return to_bytes(p.event.build()); });
    pybind11::class_<DtmfSender>(m, "DtmfSender")
        .def(pybind11::init<std::uint32_t, std::uint32_t, std::uint8_t, unsigned>(), pybind11::arg("clock_rate") = 8000,
             pybind11::arg("packet_ms") = 20, pybind11::arg("volume") = 10, pybind11::arg("end_repeats") = 3)
        .def("packets", &DtmfSender::packets, pybind11::arg("digit"), pybind11::arg("duration_ms"),
             pybind11::arg("timestamp"));
    pybind11::class_<DtmfDigit>(m, "DtmfDigit")
        .def("__repr__",
             [](const DtmfDigit& d) {
                 return "DtmfDigit(" + (d.digit ? std::string(1, d.digit) : std::to_string(d.event)) +
                        ", timestamp=" + std::to_string(d.timestamp) + ", duration=" + std::to_string(d.duration) +
                        (d.ended ? "" : ", end not seen") + ")";
             })
        .def_property_readonly("digit", [](const DtmfDigit& d) { return d.digit ? std::string(1, d.digit) : std::string(); })
        .def_readonly("event", &DtmfDigit::event)
        .def_readonly("timestamp", &DtmfDigit::timestamp)
        .def_readonly("duration", &DtmfDigit::duration)
        .def_readonly("volume", &DtmfDigit::volume)
        .def_readonly("ended", &DtmfDigit::ended);
    pybind11::class_<DtmfDetector>(m, "DtmfDetector")
        .def(pybind11::init<std::uint32_t>(), pybind11::arg("clock_rate") = 8000)
        .def("push", [](DtmfDetector& d, std::uint32_t ts, std::string_view payload) { return d.push(ts, byte_span(payload)); },
             pybind11::arg("timestamp"), pybind11::arg("payload"))
        .def("flush", &DtmfDetector::flush)
        .def_property_readonly("clock_rate", &DtmfDetector::clock_rate);
}

}  // namespace

void bind_rtp(pybind11::module_& m) {
    bind_packet(m);
    bind_stats(m);
    bind_rtcp(m);
    bind_dtmf(m);
}

}  // namespace siperb::py
