// Bindings for csrc/media/: the engine, sessions, memory ports and the
// AudioSource/AudioSink seam (any native source/sink class deriving from them can be passed to
// MediaSession.set_source/set_sink). Glue only; the GIL is released around anything that waits
// for the engine thread or a file.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "dtls/dtls_session.hpp"
#include "ice/ice_agent.hpp"
#include "media/audio_pipe.hpp"
#include "media/engine.hpp"
#include "media/memory_port.hpp"
#include "media/srtp.hpp"
#include "dsp/time_stretch.hpp"

namespace siperb::py {

namespace pb = pybind11;
using namespace siperb::media;

namespace {

sdp::Direction direction_in(const std::string& s) {
    auto d = sdp::direction_from(s);
    if (!d) throw pb::value_error("not a direction: '" + s + "'");
    return *d;
}

pb::dict event_data(const MediaEvent& e) {
    pb::dict d;
    d["session"] = e.session;
    switch (e.type) {
    case MediaEventType::Dtmf:
        d["digit"] = std::string(1, e.digit ? e.digit : '?');
        d["event"] = e.value;
        d["duration"] = e.duration_ms;
        d["volume"] = e.volume;
        d["ended"] = e.ended;
        break;
    case MediaEventType::Timeout: d["timeout_ms"] = e.value; break;
    case MediaEventType::IceState: d["state"] = ice::to_string(static_cast<ice::IceState>(e.value)); break;
    case MediaEventType::DtlsState:
        d["state"] = dtls::to_string(static_cast<dtls::DtlsState>(e.value));
        d["reason"] = std::string(e.reason.data());
        break;
    case MediaEventType::IcmpError:
    case MediaEventType::SelectedPair:
    case MediaEventType::RemoteAddressChanged:
        if (e.type == MediaEventType::IcmpError) d["errno"] = e.value;
        d["address"] = std::string(e.address.data());
        d["port"] = e.port;
        break;
    default: break;
    }
    return d;
}

#define RW(T, f) def_readwrite(#f, &T::f)
#define RO(T, f) def_readonly(#f, &T::f)

}  // namespace

void bind_media(pb::module_& m) {
    // AudioSource/AudioSink are bound by bind_audio, which module.cpp calls first.

    pb::class_<MemorySource, audio::AudioSource, std::shared_ptr<MemorySource>>(m, "MemorySource")
        .def(pb::init([](pb::handle a, int rate, bool loop) {
                 const PcmIn<MediaError> in(a, "samples", PcmCast::Force);
                 std::vector<std::int16_t> v(in.samples().begin(), in.samples().end());
                 return std::make_shared<MemorySource>(std::move(v), rate, loop);
             }),
             pb::arg("samples"), pb::arg("sample_rate"), pb::arg("loop") = false)
        .def_property_readonly("position", &MemorySource::position);

    pb::class_<MemorySink, audio::AudioSink, std::shared_ptr<MemorySink>>(m, "MemorySink")
        .def(pb::init<int, std::size_t>(), pb::arg("sample_rate"), pb::arg("capacity"))
        .def("samples", [](const MemorySink& s) {
            return pcm_copy(s.samples());
        })
        .def("__len__", &MemorySink::size)
        .def_property_readonly("dropped", &MemorySink::dropped)
        .def("clear", &MemorySink::clear);

    pb::class_<PipeSink, audio::AudioSink, std::shared_ptr<PipeSink>>(m, "PipeSink");
    pb::class_<PipeSource, audio::AudioSource, std::shared_ptr<PipeSource>>(m, "PipeSource");
    pb::class_<AudioPipe, std::shared_ptr<AudioPipe>>(m, "AudioPipe")
        .def(pb::init<int, int>(), pb::arg("sample_rate"), pb::arg("capacity_ms") = 200)
        .def_property_readonly("sink", &AudioPipe::sink)
        .def_property_readonly("source", &AudioPipe::source)
        .def_property_readonly("queued", &AudioPipe::queued)
        .def_property_readonly("capacity", &AudioPipe::capacity)
        .def_property_readonly("counters", [](const AudioPipe& p) {
            const audio::RingCounters c = p.counters();
            pb::dict d;
            d["written"] = c.written;
            d["read"] = c.read;
            d["overrun_samples"] = c.overrun_samples;
            d["underrun_samples"] = c.underrun_samples;
            return d;
        });

    pb::class_<SessionConfig>(m, "MediaSessionConfig")
        .def(pb::init(&from_kwargs<SessionConfig>))
        .RW(SessionConfig, local_address).RW(SessionConfig, port_min).RW(SessionConfig, port_max)
        .RW(SessionConfig, symmetric_rtp).RW(SessionConfig, jitter_min_ms).RW(SessionConfig, jitter_max_ms)
        .RW(SessionConfig, jitter_start_ms).RW(SessionConfig, time_stretch).RW(SessionConfig, rtp_timeout_ms)
        .RW(SessionConfig, stats_interval_ms).RW(SessionConfig, rtcp_interval_ms).RW(SessionConfig, opus_complexity)
        .RW(SessionConfig, opus_bitrate).RW(SessionConfig, opus_decode_rate).RW(SessionConfig, cname)
        .RW(SessionConfig, webrtc).RW(SessionConfig, ice_lite).RW(SessionConfig, stun_server)
        .RW(SessionConfig, turn_server).RW(SessionConfig, turn_username).RW(SessionConfig, turn_password)
        .RW(SessionConfig, gather_timeout_ms).RW(SessionConfig, consent_timeout_ms);

    pb::class_<StreamParams>(m, "MediaStreamParams")
        .def(pb::init(&from_kwargs<StreamParams>))
        .RW(StreamParams, codec).RW(StreamParams, clock_rate).RW(StreamParams, channels)
        .RW(StreamParams, payload_type).RW(StreamParams, local_payload_type).RW(StreamParams, telephone_event_pt)
        .RW(StreamParams, local_telephone_event_pt).RW(StreamParams, telephone_event_rate).RW(StreamParams, ptime)
        .RW(StreamParams, remote_address).RW(StreamParams, remote_port).RW(StreamParams, remote_rtcp_address)
        .RW(StreamParams, remote_rtcp_port).RW(StreamParams, rtcp_mux)
        .def_property("direction", [](const StreamParams& p) { return std::string(sdp::to_string(p.direction)); },
                      [](StreamParams& p, const std::string& s) { p.direction = direction_in(s); })
        .RW(StreamParams, opus_maxplaybackrate).RW(StreamParams, opus_maxaveragebitrate).RW(StreamParams, opus_fec)
        .RW(StreamParams, opus_dtx).RW(StreamParams, opus_stereo).RW(StreamParams, srtp_suite)
        .RW(StreamParams, srtp_local_key).RW(StreamParams, srtp_remote_key)
        .RW(StreamParams, ice_ufrag).RW(StreamParams, ice_pwd).RW(StreamParams, ice_candidates)
        .RW(StreamParams, ice_lite).RW(StreamParams, ice_controlling).RW(StreamParams, dtls_setup)
        .RW(StreamParams, dtls_fingerprint);
    m.def("media_stream_params_from", &stream_params_from, pb::arg("negotiated"));

    pb::class_<SessionStats>(m, "MediaSessionStats")
        .RO(SessionStats, packets_sent).RO(SessionStats, bytes_sent).RO(SessionStats, packets_received)
        .RO(SessionStats, bytes_received).RO(SessionStats, packets_lost).RO(SessionStats, loss_percent)
        .RO(SessionStats, jitter_ms).RO(SessionStats, invalid_packets).RO(SessionStats, unknown_payload)
        .RO(SessionStats, foreign_source).RO(SessionStats, send_errors).RO(SessionStats, srtp_auth_failures)
        .RO(SessionStats, srtp_replays).RO(SessionStats, srtp_errors).RO(SessionStats, srtp_before_keys)
        .RO(SessionStats, demux_dropped).RO(SessionStats, dtls_handshakes).RO(SessionStats, srtp_keyings)
        .RO(SessionStats, stun_received).RO(SessionStats, dtls_received).RO(SessionStats, early_dtls_dropped)
        .RO(SessionStats, rtcp_sent)
        .RO(SessionStats, rtcp_received).RO(SessionStats, rtt_ms).RO(SessionStats, remote_loss_percent)
        .RO(SessionStats, remote_jitter_ms).RO(SessionStats, jb_delay_ms).RO(SessionStats, jb_target_ms)
        .RO(SessionStats, jb_late).RO(SessionStats, jb_lost).RO(SessionStats, jb_duplicated)
        .RO(SessionStats, jb_discarded).RO(SessionStats, frames_played).RO(SessionStats, frames_concealed)
        .RO(SessionStats, frames_silence).RO(SessionStats, accelerated).RO(SessionStats, decelerated)
        .RO(SessionStats, fec_recovered).RO(SessionStats, ticks).RO(SessionStats, late_ticks)
        .RO(SessionStats, missed_ticks).RO(SessionStats, source_underruns).RO(SessionStats, recorder_dropped)
        .RO(SessionStats, opus_complexity).RO(SessionStats, opus_band_hz).RO(SessionStats, decode_rate)
        .RO(SessionStats, dtmf_sent).RO(SessionStats, dtmf_received).RO(SessionStats, icmp_errors)
        .RO(SessionStats, r_factor).RO(SessionStats, mos).RO(SessionStats, tx_level_dbfs)
        .RO(SessionStats, rx_level_dbfs).RO(SessionStats, ssrc).RO(SessionStats, remote_ssrc)
        .def_property_readonly("codec", [](const SessionStats& s) { return std::string(s.codec.data()); })
        .RO(SessionStats, ptime).RO(SessionStats, payload_type);

    pb::class_<MediaSession, std::shared_ptr<MediaSession>>(m, "MediaSession")
        .def_property_readonly("id", &MediaSession::id)
        .def_property_readonly("local_port", &MediaSession::local_port)
        .def_property_readonly("local_rtcp_port", &MediaSession::local_rtcp_port)
        .def_property_readonly("local_address", [](const MediaSession& s) { return s.config().local_address; })
        .def_property_readonly("ssrc", &MediaSession::ssrc)
        .def_property_readonly("started", &MediaSession::started)
        .def_property_readonly("closed", &MediaSession::closed)
        .def_property_readonly("params", &MediaSession::params)
        .def_property_readonly("muted", &MediaSession::muted)
        .def("start", &MediaSession::start, pb::arg("params"), pb::call_guard<pb::gil_scoped_release>())
        .def("update", &MediaSession::update, pb::arg("params"), pb::call_guard<pb::gil_scoped_release>())
        .def("close", &MediaSession::close, pb::call_guard<pb::gil_scoped_release>())
        .def("set_mute", &MediaSession::set_mute, pb::arg("muted"))
        .def("set_direction", [](MediaSession& s, const std::string& d) {
            const auto dir = direction_in(d);
            pb::gil_scoped_release nogil;
            s.set_direction(dir);
        }, pb::arg("direction"))
        .def("set_remote", &MediaSession::set_remote, pb::arg("address"), pb::arg("port"), pb::arg("rtcp_address") = "",
             pb::arg("rtcp_port") = 0, pb::call_guard<pb::gil_scoped_release>())
        .def("set_source", &MediaSession::set_source, pb::arg("source").none(true), pb::call_guard<pb::gil_scoped_release>())
        .def("set_sink", &MediaSession::set_sink, pb::arg("sink").none(true), pb::call_guard<pb::gil_scoped_release>())
        .def("start_recording", &MediaSession::start_recording, pb::arg("recorder"), pb::call_guard<pb::gil_scoped_release>())
        .def("stop_recording", &MediaSession::stop_recording, pb::call_guard<pb::gil_scoped_release>())
        .def("send_dtmf", &MediaSession::send_dtmf, pb::arg("digits"), pb::arg("duration_ms") = 100, pb::arg("volume") = 10,
             pb::call_guard<pb::gil_scoped_release>())
        .def("stats", &MediaSession::stats)
        .def_property_readonly("ice_ufrag", &MediaSession::ice_ufrag)
        .def_property_readonly("ice_pwd", &MediaSession::ice_pwd)
        .def_property_readonly("dtls_fingerprint", &MediaSession::dtls_fingerprint)
        .def_property_readonly("ice_state", &MediaSession::ice_state)
        .def_property_readonly("dtls_state", &MediaSession::dtls_state)
        .def("gather_candidates", &MediaSession::gather_candidates, pb::call_guard<pb::gil_scoped_release>());

    pb::class_<Engine, std::shared_ptr<Engine>>(m, "MediaEngine")
        .def(pb::init([](unsigned threads, std::size_t capacity, int realtime_priority, bool cpu_governor) {
                 return std::make_shared<Engine>(EngineConfig{threads, capacity, realtime_priority, cpu_governor});
             }),
             pb::arg("threads") = 1, pb::arg("event_capacity") = 4096, pb::arg("realtime_priority") = 0,
             pb::arg("cpu_governor") = true)
        .def("create_session", &Engine::create_session, pb::arg("config"), pb::call_guard<pb::gil_scoped_release>())
        .def("stop", &Engine::stop, pb::call_guard<pb::gil_scoped_release>())
        .def_property_readonly("running", &Engine::running)
        .def("fileno", &Engine::event_fd)
        .def("drain_events", [](Engine& e, std::size_t max) {
            pb::list out;
            for (const auto& ev : e.drain_events(max)) out.append(pb::make_tuple(to_string(ev.type), event_data(ev)));
            return out;
        }, pb::arg("max") = 1024)
        .def("stats", [](const Engine& e) {
            const EngineStats s = e.stats();
            pb::dict d;
            d["sessions"] = s.sessions;
            d["threads"] = e.config().threads;
            d["realtime_threads"] = s.realtime_threads;
            d["wakeups"] = s.wakeups;
            d["ticks"] = s.ticks;
            d["late_ticks"] = s.late_ticks;
            d["late_ticks_woken"] = s.late_woken;
            d["missed_ticks"] = s.missed_ticks;
            d["datagrams"] = s.datagrams;
            d["send_submits"] = s.send_submits;
            d["batched_packets"] = s.batched_packets;
            d["recv_submits"] = s.recv_submits;
            d["batched_reads"] = s.batched_reads;
            d["events_dropped"] = s.events_dropped;
            d["complexity_down"] = s.complexity_down;
            d["complexity_up"] = s.complexity_up;
            d["complexity_level"] = s.complexity_level;
            d["busy_permille"] = static_cast<int>(s.busy_share * 1000 + 0.5);
            return d;
        });

    m.def("srtp_random_key", [](const std::string& suite) {
        auto s = srtp_suite_from(suite);
        if (!s) throw pb::value_error("unsupported SRTP suite: '" + suite + "'");
        return random_sdes_key_params(*s);
    }, pb::arg("suite"));
    m.def("srtp_check_key", [](const std::string& suite, const std::string& key_params) {
        parse_sdes_key(suite, key_params);
    }, pb::arg("suite"), pb::arg("key_params"));
    // For tests and benchmarks of the jitter buffer's time stretching (not a public API).
    m.def("_time_stretch", [](pb::handle pcm, bool accelerate, std::size_t amount, std::uint32_t sample_rate) {
        const PcmIn<MediaError> pcm_in(pcm, "pcm", PcmCast::Force);
        const std::span<const std::int16_t> in = pcm_in.samples();
        std::vector<std::int16_t> out(in.size() + amount);
        std::size_t m = 0;
        {
            pb::gil_scoped_release nogil;
            m = dsp::time_stretch(in, accelerate, amount, out, sample_rate);
        }
        return pcm_copy({out.data(), m});
    }, pb::arg("pcm"), pb::arg("accelerate"), pb::arg("amount"), pb::arg("sample_rate"));
}

}  // namespace siperb::py
