// Bindings for csrc/codec/: G.711, Opus and the resampler. Glue only.
//
// PCM comes in through the buffer protocol (any C-contiguous int16 buffer, no copy) and goes
// out as a new ndarray; codes and packets come in as any bytes-like object and go out as bytes.
// The G.711 functions are plain METH_O CPython functions: a 20 ms frame costs ~100 ns to
// convert, so pybind11's dispatcher and array casters would dominate the call.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bindings.hpp"
#include "codec/g711.hpp"
#include "codec/opus.hpp"
#include "codec/resampler.hpp"
#include "common/error.hpp"

// The METH_O functions hand C++ exceptions to pybind11's registered translators (module.cpp).
#if PYBIND11_VERSION_HEX < 0x020D0000
#error "bindings/codec.cpp needs pybind11 >= 2.13 (pybind11::detail::try_translate_exceptions)"
#endif

namespace pb = pybind11;

namespace siperb::py {
namespace {

// PCM comes in as any C-contiguous int16 buffer or raw bytes (no numpy conversion); a wrong
// buffer raises CodecError naming the argument.
using Pcm = PcmIn<CodecError>;
using Octets = BytesIn<CodecError>;

// --- G.711: METH_O functions ---

template <void (*Encode)(const std::int16_t*, std::uint8_t*, std::size_t)>
PyObject* g711_encode(PyObject* /*self*/, PyObject* arg) noexcept {
    try {
        const Pcm in(arg, "pcm");
        const auto pcm = in.samples();
        PyObject* out = PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(pcm.size()));
        if (!out) return nullptr;
        auto* dst = reinterpret_cast<std::uint8_t*>(PyBytes_AS_STRING(out));
        if (pcm.size() >= kReleaseGilSamples) {
            pb::gil_scoped_release nogil;
            Encode(pcm.data(), dst, pcm.size());
        } else {
            Encode(pcm.data(), dst, pcm.size());
        }
        return out;
    } catch (...) {
        pb::detail::try_translate_exceptions();
        return nullptr;
    }
}

template <void (*Decode)(const std::uint8_t*, std::int16_t*, std::size_t)>
PyObject* g711_decode(PyObject* /*self*/, PyObject* arg) noexcept {
    try {
        const Octets in(arg, "codes");
        const auto codes = in.bytes();
        auto out = new_pcm(codes.size(), 1);
        std::int16_t* dst = pcm_span(out).data();
        if (codes.size() >= kReleaseGilSamples) {
            pb::gil_scoped_release nogil;
            Decode(codes.data(), dst, codes.size());
        } else {
            Decode(codes.data(), dst, codes.size());
        }
        return out.release().ptr();
    } catch (...) {
        pb::detail::try_translate_exceptions();
        return nullptr;
    }
}

PyMethodDef g711_methods[] = {
    {"g711_ulaw_encode", g711_encode<g711::ulaw_encode>, METH_O,
     "ulaw_encode(pcm) -> bytes: G.711 u-law codes of int16 samples (G.191 bit-exact; differs from "
     "audioop.lin2ulaw on 508 negative inputs, see siperb.codecs.g711)."},
    {"g711_ulaw_decode", g711_decode<g711::ulaw_decode>, METH_O,
     "ulaw_decode(codes) -> ndarray[int16]: G.711 u-law codes to linear samples."},
    {"g711_alaw_encode", g711_encode<g711::alaw_encode>, METH_O,
     "alaw_encode(pcm) -> bytes: G.711 A-law codes of int16 samples (G.191 bit-exact)."},
    {"g711_alaw_decode", g711_decode<g711::alaw_decode>, METH_O,
     "alaw_decode(codes) -> ndarray[int16]: G.711 A-law codes to linear samples."},
};

void bind_g711(pybind11::module_& m) {
    for (PyMethodDef& def : g711_methods) {
        pb::object fn = pb::reinterpret_steal<pb::object>(PyCFunction_NewEx(&def, nullptr, m.attr("__name__").ptr()));
        if (!fn) throw pb::error_already_set();
        m.attr(def.ml_name) = fn;
    }
}

// --- Opus ---

codec::OpusApplication parse_application(std::string_view name) {
    if (name == "voip") return codec::OpusApplication::Voip;
    if (name == "audio") return codec::OpusApplication::Audio;
    if (name == "restricted-lowdelay") return codec::OpusApplication::RestrictedLowDelay;
    throw CodecError("application", "'" + std::string(name) + "' is not voip, audio or restricted-lowdelay");
}

pb::bytes encode_frame(codec::OpusEncoder& enc, pb::handle pcm_obj) {
    const Pcm in(pcm_obj.ptr(), "pcm");
    std::array<std::uint8_t, codec::kOpusMaxPacketBytes> packet;
    std::size_t n = 0;
    {
        pb::gil_scoped_release nogil;
        n = enc.encode(in.samples(), packet);
    }
    return {reinterpret_cast<const char*>(packet.data()), n};
}

pb::list encode_many(codec::OpusEncoder& enc, pb::handle pcm_obj, int frame_samples) {
    const Pcm in(pcm_obj.ptr(), "pcm");
    std::vector<std::uint8_t> packets;
    std::vector<std::size_t> ends;
    {
        pb::gil_scoped_release nogil;
        ends = enc.encode_all(in.samples(), frame_samples, packets);
    }
    pb::list out(ends.size());
    std::size_t begin = 0;
    for (std::size_t i = 0; i < ends.size(); ++i) {
        out[i] = pb::bytes(reinterpret_cast<const char*>(packets.data() + begin), ends[i] - begin);
        begin = ends[i];
    }
    return out;
}

pb::array_t<std::int16_t> decode_packet(codec::OpusDecoder& dec, pb::handle packet_obj) {
    const Octets in(packet_obj.ptr(), "packet");
    const auto packet = in.bytes();
    auto out = new_pcm(static_cast<std::size_t>(dec.packet_samples(packet)), dec.channels());
    auto dst = pcm_span(out);
    pb::gil_scoped_release nogil;
    dec.decode(packet, dst);
    return out;
}

pb::array_t<std::int16_t> decode_lost(codec::OpusDecoder& dec, int frame_samples) {
    dec.check_frame_samples(frame_samples);
    auto out = new_pcm(static_cast<std::size_t>(frame_samples), dec.channels());
    auto dst = pcm_span(out);
    pb::gil_scoped_release nogil;
    dec.decode_lost(frame_samples, dst);
    return out;
}

pb::array_t<std::int16_t> decode_fec(codec::OpusDecoder& dec, pb::handle packet_obj, int frame_samples) {
    const Octets in(packet_obj.ptr(), "next_packet");
    const auto packet = in.bytes();
    dec.check_frame_samples(frame_samples);
    auto out = new_pcm(static_cast<std::size_t>(frame_samples), dec.channels());
    auto dst = pcm_span(out);
    pb::gil_scoped_release nogil;
    dec.decode_fec(packet, frame_samples, dst);
    return out;
}

// None (or an empty packet) is a lost packet, concealed with the previous packet's duration.
pb::array_t<std::int16_t> decode_many(codec::OpusDecoder& dec, const pb::sequence& packets_obj) {
    std::vector<std::unique_ptr<Octets>> views;
    std::vector<std::span<const std::uint8_t>> packets;
    for (pb::handle item : packets_obj) {
        if (item.is_none()) {
            packets.emplace_back();
        } else {
            views.push_back(std::make_unique<Octets>(item, "packets"));
            packets.push_back(views.back()->bytes());
        }
    }
    const std::vector<int> samples = dec.sequence_samples(packets);
    std::size_t total = 0;
    for (int n : samples) total += static_cast<std::size_t>(n);
    auto out = new_pcm(total, dec.channels());
    auto dst = pcm_span(out);
    pb::gil_scoped_release nogil;
    dec.decode_all(packets, samples, dst);
    return out;
}

void bind_opus(pybind11::module_& m) {
    pb::class_<codec::OpusEncoder>(m, "OpusEncoder", "libopus encoder (RFC 6716); one per stream.")
        .def(pb::init([](int sample_rate, int channels, std::string_view application, std::optional<int> bitrate,
                         std::optional<int> complexity, bool fec, bool dtx, int packet_loss_percent) {
                 auto enc = std::make_unique<codec::OpusEncoder>(sample_rate, channels, parse_application(application));
                 if (bitrate) enc->set_bitrate(*bitrate);
                 if (complexity) enc->set_complexity(*complexity);
                 enc->set_fec(fec);
                 enc->set_dtx(dtx);
                 enc->set_packet_loss_percent(packet_loss_percent);
                 return enc;
             }),
             pb::arg("sample_rate"), pb::arg("channels") = 1, pb::arg("application") = "voip",
             pb::arg("bitrate") = pb::none(), pb::arg("complexity") = pb::none(), pb::arg("fec") = false,
             pb::arg("dtx") = false, pb::arg("packet_loss_percent") = 0)
        .def_property_readonly("sample_rate", &codec::OpusEncoder::sample_rate)
        .def_property_readonly("channels", &codec::OpusEncoder::channels)
        .def_property_readonly("lookahead", &codec::OpusEncoder::lookahead)
        .def_property("bitrate", &codec::OpusEncoder::bitrate, &codec::OpusEncoder::set_bitrate)
        .def_property("complexity", &codec::OpusEncoder::complexity, &codec::OpusEncoder::set_complexity)
        .def_property("fec", &codec::OpusEncoder::fec, &codec::OpusEncoder::set_fec)
        .def_property("dtx", &codec::OpusEncoder::dtx, &codec::OpusEncoder::set_dtx)
        .def_property("packet_loss_percent", &codec::OpusEncoder::packet_loss_percent,
                      &codec::OpusEncoder::set_packet_loss_percent)
        .def_property("max_bandwidth", &codec::OpusEncoder::max_bandwidth, &codec::OpusEncoder::set_max_bandwidth)
        .def("encode", &encode_frame, pb::arg("pcm"))
        .def("encode_many", &encode_many, pb::arg("pcm"), pb::arg("frame_samples"));

    pb::class_<codec::OpusDecoder>(m, "OpusDecoder", "libopus decoder with PLC and in-band FEC recovery.")
        .def(pb::init<int, int>(), pb::arg("sample_rate"), pb::arg("channels") = 1)
        .def_property_readonly("sample_rate", &codec::OpusDecoder::sample_rate)
        .def_property_readonly("channels", &codec::OpusDecoder::channels)
        .def("packet_samples",
             [](const codec::OpusDecoder& dec, pb::handle packet_obj) {
                 return dec.packet_samples(Octets(packet_obj, "packet").bytes());
             },
             pb::arg("packet"))
        .def("decode", &decode_packet, pb::arg("packet"))
        .def("decode_lost", &decode_lost, pb::arg("frame_samples"))
        .def("decode_fec", &decode_fec, pb::arg("next_packet"), pb::arg("frame_samples"))
        .def("decode_many", &decode_many, pb::arg("packets"));
}

// --- Resampler ---

pb::array_t<std::int16_t> resampler_process(codec::Resampler& r, pb::handle pcm_obj) {
    const Pcm in(pcm_obj.ptr(), "pcm");
    const auto pcm = in.samples();
    const auto ch = static_cast<std::size_t>(r.channels());
    std::vector<std::int16_t> tmp;
    auto out = new_pcm(r.max_output_frames(pcm.size() / ch), r.channels());
    auto dst = pcm_span(out);
    std::size_t n = 0;
    {
        pb::gil_scoped_release nogil;
        n = r.process(pcm, dst);
    }
    // Exactly n frames (a view of the first n rows keeps the buffer; at most 2 spare frames).
    return pcm_prefix(std::move(out), n);
}

pb::array_t<std::int16_t> resample_once(pb::handle pcm_obj, int in_rate, int out_rate, int channels, int quality) {
    const Pcm in(pcm_obj.ptr(), "pcm");
    const auto pcm = in.samples();
    codec::Resampler::check_parameters(in_rate, out_rate, channels, quality);
    const auto ch = static_cast<std::size_t>(channels);
    auto out = new_pcm(codec::resampled_frames(pcm.size() / ch, in_rate, out_rate), channels);
    auto dst = pcm_span(out);
    pb::gil_scoped_release nogil;
    codec::resample(pcm, in_rate, out_rate, channels, quality, dst);
    return out;
}

void bind_resampler(pybind11::module_& m) {
    pb::class_<codec::Resampler>(m, "Resampler", "Streaming speexdsp resampler; keeps filter state between calls.")
        .def(pb::init<int, int, int, int>(), pb::arg("in_rate"), pb::arg("out_rate"), pb::arg("channels") = 1,
             pb::arg("quality") = codec::kResamplerDefaultQuality)
        .def_property_readonly("in_rate", &codec::Resampler::in_rate)
        .def_property_readonly("out_rate", &codec::Resampler::out_rate)
        .def_property_readonly("channels", &codec::Resampler::channels)
        .def_property_readonly("quality", &codec::Resampler::quality)
        .def_property_readonly("input_latency", &codec::Resampler::input_latency)
        .def_property_readonly("output_latency", &codec::Resampler::output_latency)
        .def("process", &resampler_process, pb::arg("pcm"))
        .def("reset", &codec::Resampler::reset)
        .def("skip_zeros", &codec::Resampler::skip_zeros);
    m.def("resample", &resample_once, pb::arg("pcm"), pb::arg("in_rate"), pb::arg("out_rate"),
          pb::arg("channels") = 1, pb::arg("quality") = codec::kResamplerDefaultQuality);
    m.attr("RESAMPLER_DEFAULT_QUALITY") = codec::kResamplerDefaultQuality;
}

}  // namespace

void bind_codec(pybind11::module_& m) {
    bind_g711(m);
    bind_opus(m);
    bind_resampler(m);
}

}  // namespace siperb::py
