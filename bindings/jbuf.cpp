// Bindings for csrc/jbuf/: the adaptive jitter buffer, G.711 Appendix I PLC, the speexdsp
// comparator and the trace replay (csrc/media/replay) that runs them through the receive chain.
#include "bindings.hpp"

#include "jbuf/g711_plc.hpp"
#include "jbuf/jitter_buffer.hpp"
#include "jbuf/speex_jitter.hpp"
#include "media/replay.hpp"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace py = pybind11;

namespace siperb::py {

namespace {

using namespace siperb::jbuf;

// PCM in: what np.asarray(x, np.int16) converts (int16 arrays and buffers without a copy).
using Pcm = PcmIn<CodecError>;
using TracePacket = std::tuple<std::uint16_t, std::uint32_t, double, std::string>;

media::ReplayBuffer replay_buffer(std::string_view name) {
    if (name == "siperb") return media::ReplayBuffer::Siperb;
    if (name == "speexdsp") return media::ReplayBuffer::Speex;
    throw MediaError("replay buffer", "must be 'siperb' or 'speexdsp'");
}

}  // namespace

void bind_jbuf(pybind11::module_& m) {
    pybind11::enum_<FrameKind>(m, "FrameKind")
        .value("PACKET", FrameKind::Packet)
        .value("CONCEAL", FrameKind::Conceal)
        .value("SILENCE", FrameKind::Silence);
    pybind11::enum_<Stretch>(m, "Stretch")
        .value("NONE", Stretch::None)
        .value("ACCELERATE", Stretch::Accelerate)
        .value("DECELERATE", Stretch::Decelerate);
    pybind11::class_<Frame>(m, "Frame")
        .def("__repr__",
             [](const Frame& f) {
                 static const char* kinds[] = {"PACKET", "CONCEAL", "SILENCE"};
                 static const char* stretches[] = {"", ", accelerate ", ", decelerate "};
                 std::string s = std::string("Frame(") + kinds[static_cast<int>(f.kind)] +
                                 ", seq=" + std::to_string(f.sequence_number) + ", ts=" + std::to_string(f.timestamp);
                 if (f.stretch != Stretch::None)
                     s += stretches[static_cast<int>(f.stretch)] + std::to_string(f.stretch_samples);
                 return s + ")";
             })
        .def_readonly("kind", &Frame::kind)
        .def_readonly("stretch", &Frame::stretch)
        .def_readonly("stretch_samples", &Frame::stretch_samples)
        .def_readonly("quiet_samples", &Frame::quiet_samples)
        .def_readonly("samples", &Frame::samples)
        .def_readonly("sequence_number", &Frame::sequence_number)
        .def_readonly("timestamp", &Frame::timestamp)
        .def_readonly("ssrc", &Frame::ssrc)
        .def_readonly("marker", &Frame::marker)
        .def_property_readonly("payload", [](const Frame& f) {
            return pybind11::bytes(reinterpret_cast<const char*>(f.payload.data()), f.payload.size());
        })
        .def_readonly("next_available", &Frame::next_available)
        .def_property_readonly("next_payload", [](const Frame& f) {
            return pybind11::bytes(reinterpret_cast<const char*>(f.next_payload.data()), f.next_payload.size());
        });
    pybind11::class_<JitterBufferStats>(m, "JitterBufferStats")
        .def_readonly("current_delay_ms", &JitterBufferStats::current_delay_ms)
        .def_readonly("target_delay_ms", &JitterBufferStats::target_delay_ms)
        .def_readonly("received", &JitterBufferStats::received)
        .def_readonly("late", &JitterBufferStats::late)
        .def_readonly("lost", &JitterBufferStats::lost)
        .def_readonly("duplicated", &JitterBufferStats::duplicated)
        .def_readonly("discarded", &JitterBufferStats::discarded)
        .def_readonly("played", &JitterBufferStats::played)
        .def_readonly("concealed", &JitterBufferStats::concealed)
        .def_readonly("silence", &JitterBufferStats::silence)
        .def_readonly("accelerated", &JitterBufferStats::accelerated)
        .def_readonly("decelerated", &JitterBufferStats::decelerated)
        .def_readonly("resyncs", &JitterBufferStats::resyncs);
    pybind11::class_<JitterBuffer>(m, "JitterBuffer")
        .def(pybind11::init([](std::uint32_t clock_rate, std::uint32_t frame_ms, std::uint32_t min_delay_ms,
                               std::uint32_t max_delay_ms, std::uint32_t start_delay_ms, std::uint32_t max_expand_ms,
                               double quantile, double forget_factor, double margin_ms, int accelerate_interval,
                               std::uint32_t history_ms) {
                 return JitterBuffer(JitterBufferConfig{clock_rate, frame_ms, min_delay_ms, max_delay_ms, start_delay_ms,
                                                        max_expand_ms, quantile, forget_factor, margin_ms,
                                                        accelerate_interval, history_ms});
             }),
             pybind11::arg("clock_rate") = 8000, pybind11::arg("frame_ms") = 20, pybind11::arg("min_delay_ms") = 0,
             pybind11::arg("max_delay_ms") = 500, pybind11::arg("start_delay_ms") = 40,
             pybind11::arg("max_expand_ms") = 200, pybind11::arg("quantile") = 0.97,
             pybind11::arg("forget_factor") = 0.998, pybind11::arg("margin_ms") = 4.0,
             pybind11::arg("accelerate_interval") = 1, pybind11::arg("history_ms") = 750)
        .def(
            "put",
            [](JitterBuffer& jb, std::uint16_t seq, std::uint32_t ts, std::string_view payload, double arrival_ms,
               std::uint32_t ssrc, bool marker) { jb.put(seq, ts, byte_span(payload), arrival_ms, ssrc, marker); },
            pybind11::arg("sequence_number"), pybind11::arg("timestamp"), pybind11::arg("payload"),
            pybind11::arg("arrival_ms"), pybind11::arg("ssrc") = 0, pybind11::arg("marker") = false)
        .def("get", pybind11::overload_cast<double, double>(&JitterBuffer::get), pybind11::arg("now_ms"), pybind11::arg("pending_ms") = 0.0)
        .def("reset", &JitterBuffer::reset)
        .def("stats", &JitterBuffer::stats)
        .def_property_readonly("target_delay_ms", &JitterBuffer::target_delay_ms)
        .def("__len__", &JitterBuffer::size);
    pybind11::class_<G711Plc>(m, "G711Plc")
        .def(pybind11::init<std::uint32_t>(), pybind11::arg("sample_rate") = 8000)
        .def(
            "good_frame",
            [](G711Plc& plc, pybind11::handle pcm) {
                const Pcm in(pcm, "pcm", PcmCast::Force);
                std::vector<std::int16_t> out;
                {
                    pybind11::gil_scoped_release release;
                    out = plc.good_frame(in.samples());
                }
                return pcm_copy(out);
            },
            pybind11::arg("pcm"))
        .def(
            "conceal",
            [](G711Plc& plc, std::size_t n) {
                std::vector<std::int16_t> out;
                {
                    pybind11::gil_scoped_release release;
                    out = plc.conceal(n);
                }
                return pcm_copy(out);
            },
            pybind11::arg("samples"))
        .def_property_readonly("sample_rate", &G711Plc::sample_rate)
        .def_property_readonly("delay_samples", &G711Plc::delay_samples)
        .def_property_readonly("frame_samples", &G711Plc::frame_samples)
        .def_property_readonly("pitch", &G711Plc::pitch)
        .def_property_readonly("erased_frames", &G711Plc::erased_frames);
    pybind11::class_<SpeexJitterBuffer>(m, "SpeexJitterBuffer")
        .def(pybind11::init<std::uint32_t>(), pybind11::arg("frame_samples"))
        .def(
            "put",
            [](SpeexJitterBuffer& jb, std::uint16_t seq, std::uint32_t ts, std::string_view payload) {
                jb.put(seq, ts, byte_span(payload));
            },
            pybind11::arg("sequence_number"), pybind11::arg("timestamp"), pybind11::arg("payload"))
        .def("get", &SpeexJitterBuffer::get);
    pybind11::class_<media::ReplayResult>(m, "ReplayResult")
        .def_property_readonly("pcm", [](const media::ReplayResult& r) { return pcm_copy(r.pcm); })
        .def_readonly("sample_rate", &media::ReplayResult::sample_rate)
        .def_readonly("first_tick_ms", &media::ReplayResult::first_tick_ms)
        .def_readonly("frames", &media::ReplayResult::frames)
        .def_readonly("played", &media::ReplayResult::played)
        .def_readonly("concealed", &media::ReplayResult::concealed)
        .def_readonly("silence", &media::ReplayResult::silence)
        .def_readonly("accelerated", &media::ReplayResult::accelerated)
        .def_readonly("decelerated", &media::ReplayResult::decelerated)
        .def_readonly("received", &media::ReplayResult::received)
        .def_readonly("late", &media::ReplayResult::late)
        .def_readonly("duplicated", &media::ReplayResult::duplicated)
        .def_readonly("discarded", &media::ReplayResult::discarded)
        .def_readonly("mean_delay_ms", &media::ReplayResult::mean_delay_ms)
        .def_readonly("max_delay_ms", &media::ReplayResult::max_delay_ms)
        .def_property_readonly("concealed_percent", &media::ReplayResult::concealed_percent);
    m.def(
        "replay",
        [](const std::vector<TracePacket>& trace, std::string_view codec, std::uint32_t ptime, std::string_view buffer,
           int decode_rate, std::uint32_t min_delay_ms, std::uint32_t max_delay_ms, std::uint32_t start_delay_ms,
           bool time_stretch, double clock_phase_ms, double output_skew, double tail_ms) {
            media::ReplayConfig c;
            c.codec = media::codec_kind_from(codec);
            c.ptime_ms = ptime;
            c.buffer = replay_buffer(buffer);
            c.decode_rate = decode_rate;
            c.jitter.min_delay_ms = min_delay_ms;
            c.jitter.max_delay_ms = max_delay_ms;
            c.jitter.start_delay_ms = start_delay_ms;
            c.time_stretch = time_stretch;
            c.clock_phase_ms = clock_phase_ms;
            c.output_skew = output_skew;
            c.tail_ms = tail_ms;
            std::vector<media::ReplayPacket> packets;
            packets.reserve(trace.size());
            for (const auto& [seq, ts, arrival, payload] : trace)
                packets.push_back({seq, ts, arrival, std::vector<std::uint8_t>(payload.begin(), payload.end()), false});
            pybind11::gil_scoped_release release;
            return media::replay(std::move(packets), c);
        },
        pybind11::arg("trace"), pybind11::arg("codec") = "PCMU", pybind11::arg("ptime") = 20,
        pybind11::arg("buffer") = "siperb", pybind11::arg("decode_rate") = 8000, pybind11::arg("min_delay_ms") = 0,
        pybind11::arg("max_delay_ms") = 500, pybind11::arg("start_delay_ms") = 40, pybind11::arg("time_stretch") = true,
        pybind11::arg("clock_phase_ms") = 0.0, pybind11::arg("output_skew") = 0.0, pybind11::arg("tail_ms") = 1000.0);
}

}  // namespace siperb::py
