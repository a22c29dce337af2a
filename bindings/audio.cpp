// Bindings for csrc/audio/: the AudioSource/AudioSink seam (audio/audio_port.hpp) and every
// source and sink, held by std::shared_ptr so the engine's bindings can take them. Glue only.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "audio/buffers.hpp"
#include "audio/device.hpp"
#include "audio/recorder.hpp"
#include "audio/ring.hpp"
#include "audio/tone.hpp"
#include "audio/wav_reader.hpp"
#include "audio/wav_source.hpp"
#include "audio/wav_writer.hpp"
#include "bindings.hpp"
#include "common/error.hpp"
#include "audio/audio_port.hpp"

namespace pb = pybind11;

namespace siperb::py {
namespace {

using audio::AudioSink;
using audio::AudioSource;
// PCM in: int16 arrays and buffers without a copy, and what numpy converts to int16 without loss.
using Pcm = PcmIn<MediaError>;
constexpr PcmCast kPcmCast = PcmCast::Safe;
using Path = std::filesystem::path;  // str or os.PathLike from Python

audio::Overflow overflow_from(const std::string& s) {
    if (s == "drop_oldest") return audio::Overflow::DropOldest;
    if (s == "reject_newest") return audio::Overflow::RejectNewest;
    throw MediaError("overflow", "'" + s + "' is not drop_oldest or reject_newest");
}
const char* overflow_name(audio::Overflow o) { return o == audio::Overflow::DropOldest ? "drop_oldest" : "reject_newest"; }

pb::dict ring_dict(const audio::RingCounters& c) {
    pb::dict d;
    d["written"] = c.written;
    d["read"] = c.read;
    d["overrun_samples"] = c.overrun_samples;
    d["overrun_events"] = c.overrun_events;
    d["underrun_samples"] = c.underrun_samples;
    d["underrun_events"] = c.underrun_events;
    return d;
}

pb::dict recorder_dict(const audio::RecorderStats& s) {
    pb::dict d;
    d["frames_written"] = s.frames_written;
    d["dropped_samples"] = s.dropped_samples;
    d["dropped_frames"] = s.dropped_frames;
    d["padded_samples"] = s.padded_samples;
    d["recording"] = s.recording;
    d["error"] = s.error;
    return d;
}

audio::DeviceSelector selector(const pb::object& o) {
    audio::DeviceSelector s;
    if (o.is_none()) {
        s.kind = audio::DeviceSelector::Kind::Default;
    } else if (pb::isinstance<pb::bool_>(o)) {
        s.kind = o.cast<bool>() ? audio::DeviceSelector::Kind::Default : audio::DeviceSelector::Kind::None;
    } else if (pb::isinstance<pb::int_>(o)) {
        s.kind = audio::DeviceSelector::Kind::Index;
        s.index = o.cast<int>();
    } else {
        s.kind = audio::DeviceSelector::Kind::Name;
        s.name = o.cast<std::string>();
    }
    return s;
}

const char* status_name(audio::DeviceStatus s) {
    switch (s) {
        case audio::DeviceStatus::Running: return "running";
        case audio::DeviceStatus::Closed: return "closed";
        case audio::DeviceStatus::Failed: return "failed";
    }
    return "failed";
}

pb::tuple wav_read(const Path& path) {
    std::unique_ptr<audio::WavFileReader> r;
    {
        pb::gil_scoped_release nogil;
        r = std::make_unique<audio::WavFileReader>(path.string());
    }
    const audio::WavInfo info = r->info();
    const auto ch = static_cast<std::size_t>(info.format.channels);
    const auto frames = static_cast<std::size_t>(info.frames());
    PcmArray out = new_pcm(frames, info.format.channels);
    const std::span<std::int16_t> dst = pcm_span(out);
    {
        pb::gil_scoped_release nogil;
        std::size_t done = 0;
        while (done < dst.size()) {  // 64 Ki frames at a time: the decode buffer stays in cache
            const std::size_t n = r->read_frames(dst.subspan(done, std::min<std::size_t>(dst.size() - done, ch << 16)));
            if (n == 0) break;
            done += n * ch;
        }
    }
    return pb::make_tuple(info.format.sample_rate, info.format.channels, out,
                          std::string(audio::encoding_name(info.format.encoding)));
}

pb::dict wav_info(const Path& path) {
    audio::WavInfo info;
    {
        pb::gil_scoped_release nogil;
        info = audio::WavFileReader(path.string()).info();
    }
    pb::dict d;
    d["sample_rate"] = info.format.sample_rate;
    d["channels"] = info.format.channels;
    d["encoding"] = std::string(audio::encoding_name(info.format.encoding));
    d["frames"] = info.frames();
    d["data_offset"] = info.data_offset;
    d["data_bytes"] = info.data_bytes;
    return d;
}

void wav_write(const Path& path, pb::handle pcm_obj, int sample_rate, const std::string& encoding) {
    const Pcm pcm(pcm_obj, "pcm", kPcmCast);
    const auto shape = pcm.shape();
    if (shape.size() != 1 && !(shape.size() == 2 && (shape[1] == 1 || shape[1] == 2)))
        throw WavError("pcm", "expected shape (n,) or (n, 1|2), got " + std::to_string(shape.size()) + " dimensions");
    const int channels = shape.size() == 1 ? 1 : static_cast<int>(shape[1]);
    const audio::WavFormat f{audio::encoding_from_name(encoding), channels, sample_rate};
    pb::gil_scoped_release nogil;
    audio::write_wav_file(path.string(), f, pcm.samples());
}

std::vector<audio::ToneSegment> segments_from(const std::vector<std::pair<std::vector<double>, int>>& segs) {
    std::vector<audio::ToneSegment> out;
    for (const auto& [freqs, ms] : segs) {
        if (freqs.size() > 2) throw MediaError("freqs", "at most two frequencies per segment");
        audio::ToneSegment s;
        for (std::size_t i = 0; i < freqs.size(); ++i) s.freqs[i] = freqs[i];
        s.duration_ms = ms;
        out.push_back(s);
    }
    return out;
}

audio::ToneRegion region_from(const std::string& r) {
    if (r == "us") return audio::ToneRegion::Us;
    if (r == "eu") return audio::ToneRegion::Eu;
    throw MediaError("region", "'" + r + "' is not us or eu");
}

void bind_ports(pb::module_& m) {
    pb::class_<AudioSource, std::shared_ptr<AudioSource>>(
        m, "AudioSource", "Mono int16 audio the engine reads every packet time (never blocks).")
        .def_property_readonly("sample_rate", &AudioSource::sample_rate)
        .def_property_readonly("ended", &AudioSource::ended)
        .def(
            "read",
            [](AudioSource& s, std::size_t n) {
                PcmArray out = new_pcm(n);
                std::size_t got = 0;
                {
                    pb::gil_scoped_release nogil;
                    got = s.read(pcm_span(out));
                }
                return pcm_prefix(std::move(out), got);
            },
            pb::arg("n"), "What the engine does: up to n samples (fewer on underrun or at the end).");
    pb::class_<AudioSink, std::shared_ptr<AudioSink>>(
        m, "AudioSink", "Mono int16 audio the engine writes every packet time (never blocks).")
        .def_property_readonly("sample_rate", &AudioSink::sample_rate)
        .def(
            "write",
            [](AudioSink& s, pb::handle pcm) {
                const Pcm in(pcm, "pcm", kPcmCast);
                pb::gil_scoped_release nogil;
                s.write(in.samples());
            },
            pb::arg("pcm"), "What the engine does: hands over received samples.");
}

void bind_ring(pb::module_& m) {
    pb::class_<audio::SampleRing>(m, "SampleRing", "Lock-free SPSC ring of int16 samples (tests and tools).")
        .def(pb::init<std::size_t>(), pb::arg("capacity"))
        .def_property_readonly("capacity", &audio::SampleRing::capacity)
        .def_property_readonly("available", &audio::SampleRing::available)
        .def("write", [](audio::SampleRing& r, pb::handle p) { return r.write(Pcm(p, "pcm", kPcmCast).samples()); },
             pb::arg("pcm"))
        .def("write_overwrite",
             [](audio::SampleRing& r, pb::handle p) { return r.write_overwrite(Pcm(p, "pcm", kPcmCast).samples()); },
             pb::arg("pcm"))
        .def(
            "read",
            [](audio::SampleRing& r, std::size_t n, bool counted) {
                PcmArray out = new_pcm(n);
                const std::size_t got = counted ? r.read_counted(pcm_span(out)) : r.read(pcm_span(out));
                return pcm_prefix(std::move(out), got);
            },
            pb::arg("n"), pb::arg("counted") = false)
        .def("discard_keep", &audio::SampleRing::discard_keep, pb::arg("keep"))
        .def_property_readonly("counters", [](const audio::SampleRing& r) { return ring_dict(r.counters()); });
}

void bind_wav(pb::module_& m) {
    m.def("wav_read", &wav_read, pb::arg("path"));
    m.def("wav_info", &wav_info, pb::arg("path"));
    m.def("wav_write", &wav_write, pb::arg("path"), pb::arg("pcm"), pb::arg("sample_rate"), pb::arg("encoding") = "pcm16");
    m.def(
        "wav_decode",
        [](const pb::bytes& data) {
            const std::string_view v = data;
            audio::WavInfo info;
            std::vector<std::int16_t> pcm;
            {
                pb::gil_scoped_release nogil;
                pcm = audio::decode_wav({reinterpret_cast<const std::uint8_t*>(v.data()), v.size()}, &info);
            }
            return pb::make_tuple(info.format.sample_rate, info.format.channels, pcm_copy(pcm));
        },
        pb::arg("data"), "Decodes WAV bytes in memory to (rate, channels, interleaved int16).");
}

void bind_sources(pb::module_& m) {
    pb::class_<audio::ToneSource, AudioSource, std::shared_ptr<audio::ToneSource>>(m, "ToneSource")
        .def(pb::init([](int rate, const std::vector<std::pair<std::vector<double>, int>>& segs, bool repeat, double level) {
                 return std::make_shared<audio::ToneSource>(rate, segments_from(segs), repeat, level);
             }),
             pb::arg("sample_rate"), pb::arg("segments"), pb::arg("repeat") = true, pb::arg("level_dbfs") = -13.0)
        .def_static(
            "preset",
            [](const std::string& name, int rate, const std::string& region, double level) {
                return std::make_shared<audio::ToneSource>(rate, audio::ToneSource::preset(name, region_from(region)), true,
                                                           level);
            },
            pb::arg("name"), pb::arg("sample_rate"), pb::arg("region") = "us", pb::arg("level_dbfs") = -13.0)
        .def_static(
            "dtmf",
            [](const std::string& digits, int rate, int on_ms, int off_ms, double level) {
                return std::make_shared<audio::ToneSource>(rate, audio::ToneSource::dtmf(digits, on_ms, off_ms), false,
                                                           level);
            },
            pb::arg("digits"), pb::arg("sample_rate"), pb::arg("on_ms") = 100, pb::arg("off_ms") = 100,
            pb::arg("level_dbfs") = -10.0)
        .def_static("dtmf_pair", [](const std::string& d) {
            if (d.size() != 1) throw MediaError("digits", "one digit expected");
            const auto p = audio::ToneSource::dtmf_pair(d[0]);
            return pb::make_tuple(p[0], p[1]);
        }, pb::arg("digit"))
        .def("restart", &audio::ToneSource::restart);

    pb::class_<audio::WavFileSource, AudioSource, std::shared_ptr<audio::WavFileSource>>(m, "WavFileSource")
        .def(pb::init([](const Path& path, int rate, bool loop, std::uint64_t preload_limit) {
                 pb::gil_scoped_release nogil;
                 return std::make_shared<audio::WavFileSource>(path.string(), rate, loop, preload_limit);
             }),
             pb::arg("path"), pb::arg("sample_rate"), pb::arg("loop") = false,
             pb::arg("preload_limit") = audio::WavFileSource::kPreloadBytes)
        .def_property_readonly("streamed", &audio::WavFileSource::streamed)
        .def_property_readonly("file_rate", [](const audio::WavFileSource& s) { return s.file_info().format.sample_rate; })
        .def_property_readonly("file_channels", [](const audio::WavFileSource& s) { return s.file_info().format.channels; })
        .def_property_readonly("file_frames", [](const audio::WavFileSource& s) { return s.file_info().frames(); })
        .def_property_readonly("counters", [](const audio::WavFileSource& s) { return ring_dict(s.counters()); })
        .def_property_readonly("error", &audio::WavFileSource::error);

    pb::class_<audio::BufferSource, AudioSource, std::shared_ptr<audio::BufferSource>>(m, "BufferSource")
        .def(pb::init([](int rate, std::size_t capacity, const std::string& overflow) {
                 return std::make_shared<audio::BufferSource>(rate, capacity, overflow_from(overflow));
             }),
             pb::arg("sample_rate"), pb::arg("capacity"), pb::arg("overflow") = "drop_oldest")
        .def("push", [](audio::BufferSource& s, pb::handle p) { return s.push(Pcm(p, "pcm", kPcmCast).samples()); },
             pb::arg("pcm"))
        .def("end", &audio::BufferSource::end)
        .def_property_readonly("queued", &audio::BufferSource::queued)
        .def_property_readonly("capacity", &audio::BufferSource::capacity)
        .def_property_readonly("overflow", [](const audio::BufferSource& s) { return overflow_name(s.overflow()); })
        .def_property_readonly("counters", [](const audio::BufferSource& s) { return ring_dict(s.counters()); });
}

void bind_sinks(pb::module_& m) {
    pb::class_<audio::BufferSink, AudioSink, std::shared_ptr<audio::BufferSink>>(m, "BufferSink")
        .def(pb::init([](int rate, std::size_t capacity, const std::string& overflow) {
                 return std::make_shared<audio::BufferSink>(rate, capacity, overflow_from(overflow));
             }),
             pb::arg("sample_rate"), pb::arg("capacity"), pb::arg("overflow") = "drop_oldest")
        .def(
            "read",
            [](audio::BufferSink& s, std::size_t n, std::optional<double> timeout) {
                PcmArray out = new_pcm(n);
                const int ms = timeout ? static_cast<int>(std::max(0.0, *timeout) * 1000.0) : -1;
                std::size_t got = 0;
                {
                    pb::gil_scoped_release nogil;
                    got = s.read(pcm_span(out), ms);
                }
                return pcm_prefix(std::move(out), got);
            },
            pb::arg("n"), pb::arg("timeout") = pb::none())
        .def(
            "read_nowait",
            [](audio::BufferSink& s, std::size_t n) -> std::optional<PcmArray> {
                PcmArray out = new_pcm(n);
                if (!s.try_read(pcm_span(out))) return std::nullopt;
                return out;
            },
            pb::arg("n"))
        .def("arm", &audio::BufferSink::arm, pb::arg("n"))
        .def("clear_event", &audio::BufferSink::clear_event)
        .def("fileno", &audio::BufferSink::fd)
        .def("close", &audio::BufferSink::close)
        .def_property_readonly("closed", &audio::BufferSink::closed)
        .def_property_readonly("queued", &audio::BufferSink::queued)
        .def_property_readonly("capacity", &audio::BufferSink::capacity)
        .def_property_readonly("counters", [](const audio::BufferSink& s) { return ring_dict(s.counters()); });

    pb::class_<audio::WavFileSink, AudioSink, std::shared_ptr<audio::WavFileSink>>(m, "WavFileSink")
        .def(pb::init([](const Path& path, int rate) {
                 pb::gil_scoped_release nogil;
                 return std::make_shared<audio::WavFileSink>(path.string(), rate);
             }),
             pb::arg("path"), pb::arg("sample_rate"))
        .def("close", &audio::WavFileSink::close, pb::call_guard<pb::gil_scoped_release>())
        .def_property_readonly("path", &audio::WavFileSink::path)
        .def_property_readonly("stats", [](const audio::WavFileSink& s) { return recorder_dict(s.stats()); });

    pb::class_<audio::Recorder, std::shared_ptr<audio::Recorder>>(m, "CallRecorder")
        .def(pb::init([](const Path& path, bool stereo, int rate) {
                 return std::make_shared<audio::Recorder>(path.string(), rate,
                                                          stereo ? audio::RecordLayout::Stereo : audio::RecordLayout::Mix);
             }),
             pb::arg("path"), pb::arg("stereo") = true, pb::arg("sample_rate") = 16000)
        .def("local_sink", [](const audio::Recorder& r) { return r.input(0); })
        .def("remote_sink", [](const audio::Recorder& r) { return r.input(1); })
        .def(
            "start",
            [](audio::Recorder& r, const std::optional<Path>& path) {
                const std::string p = path ? path->string() : std::string();
                pb::gil_scoped_release nogil;
                r.start(p);
            },
            pb::arg("path") = pb::none())
        .def("stop", &audio::Recorder::stop, pb::call_guard<pb::gil_scoped_release>())
        .def_property_readonly("path", &audio::Recorder::path)
        .def_property_readonly("stereo", [](const audio::Recorder& r) { return r.layout() == audio::RecordLayout::Stereo; })
        .def_property_readonly("sample_rate", &audio::Recorder::sample_rate)
        .def_property_readonly("stats", [](const audio::Recorder& r) { return recorder_dict(r.stats()); });
}

void bind_devices(pb::module_& m) {
    m.def("audio_list_devices", [] {
        std::vector<audio::DeviceInfo> devs;
        {
            pb::gil_scoped_release nogil;
            devs = audio::list_devices();
        }
        pb::list out;
        for (const auto& d : devs) {
            pb::dict x;
            x["index"] = d.index;
            x["name"] = d.name;
            x["host_api"] = d.host_api;
            x["max_input_channels"] = d.max_input_channels;
            x["max_output_channels"] = d.max_output_channels;
            x["default_sample_rate"] = d.default_sample_rate;
            x["default_input"] = d.default_input;
            x["default_output"] = d.default_output;
            x["input_rates"] = d.input_rates;
            x["output_rates"] = d.output_rates;
            out.append(x);
        }
        return out;
    });

    pb::class_<audio::AudioDevice, std::shared_ptr<audio::AudioDevice>>(m, "AudioDevice")
        .def(pb::init([](const pb::object& input, const pb::object& output, int rate, int device_rate, int frames,
                         double latency, double ring_seconds) {
                 audio::DeviceConfig c;
                 c.input = selector(input);
                 c.output = selector(output);
                 c.sample_rate = rate;
                 c.device_rate = device_rate;
                 c.frames_per_buffer = frames;
                 c.latency_s = latency;
                 c.ring_seconds = ring_seconds;
                 pb::gil_scoped_release nogil;
                 return std::make_shared<audio::AudioDevice>(c);
             }),
             pb::arg("input") = pb::none(), pb::arg("output") = pb::none(), pb::arg("sample_rate") = 16000,
             pb::arg("device_rate") = 0, pb::arg("frames_per_buffer") = 0, pb::arg("latency") = 0.0,
             pb::arg("ring_seconds") = 1.0)
        .def_property_readonly("source", &audio::AudioDevice::source)
        .def_property_readonly("sink", &audio::AudioDevice::sink)
        .def("close", &audio::AudioDevice::close, pb::call_guard<pb::gil_scoped_release>())
        .def_property_readonly("status", [](const audio::AudioDevice& d) { return status_name(d.status()); })
        .def_property_readonly("error", &audio::AudioDevice::error)
        .def("fileno", &audio::AudioDevice::fd)
        .def_property_readonly("device_rate", &audio::AudioDevice::device_rate)
        .def_property_readonly("sample_rate", &audio::AudioDevice::sample_rate)
        .def_property_readonly("input_name", &audio::AudioDevice::input_name)
        .def_property_readonly("output_name", &audio::AudioDevice::output_name)
        .def_property_readonly("stats", [](const audio::AudioDevice& d) {
            const audio::DeviceStats s = d.stats();
            pb::dict x;
            x["callbacks"] = s.callbacks;
            x["input_overflows"] = s.input_overflows;
            x["output_underflows"] = s.output_underflows;
            x["captured"] = s.captured;
            x["capture_dropped"] = s.capture_dropped;
            x["capture_trimmed"] = s.capture_trimmed;
            x["capture_underruns"] = s.capture_underruns;
            x["played"] = s.played;
            x["playback_dropped"] = s.playback_dropped;
            x["playback_underruns"] = s.playback_underruns;
            return x;
        });
}

}  // namespace

void bind_audio(pybind11::module_& m) {
    bind_ports(m);
    bind_ring(m);
    bind_wav(m);
    bind_sources(m);
    bind_sinks(m);
    bind_devices(m);
}

}  // namespace siperb::py
