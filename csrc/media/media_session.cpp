#include "media/media_session.hpp"

#include "common/error.hpp"
#include "media/worker.hpp"
#include "rtp/telephone_event.hpp"

#include <chrono>
#include <thread>

namespace siperb::media {

namespace {

// A recorder that ends without a caller to tell (session closing, replaced): its file is
// complete up to the failure, which its stats still name.
void stop_quietly(const std::shared_ptr<audio::Recorder>& r) noexcept {
    if (!r) return;
    try {
        r->stop();
    } catch (const Error&) {  // NOLINT(bugprone-empty-catch): nobody to report to
    }
}

}  // namespace

MediaSession::MediaSession(std::uint64_t id, SessionConfig cfg, std::shared_ptr<Worker> worker, EventQueue* events,
                           std::pair<net::UdpSocket, net::UdpSocket> sockets)
    : id_(id), cfg_(std::move(cfg)), worker_(std::move(worker)), rtp_(std::move(sockets.first)),
      rtcp_(std::move(sockets.second)), rtp_port_(rtp_.local_port()), rtcp_port_(rtcp_.local_port()),
      stream_(id, cfg_, events, rtp_.fd(), rtcp_.fd()) {}

MediaSession::~MediaSession() {
    try {
        close();
    } catch (...) {
    }
}

StreamParams MediaSession::params() const {
    std::lock_guard lock(ctl_mu_);
    return params_;
}

void MediaSession::attach_early() {
    auto self = shared_from_this();
    worker_->call([&] { worker_->add(self, monotonic_ns(), false); });
    on_loop_.store(true);
}

void MediaSession::control(const std::function<void()>& fn) {
    if (closed_.load()) throw MediaError("session", "closed");
    if (!on_loop_.load()) {  // not on the loop yet: this thread owns the stream
        fn();
        return;
    }
    worker_->call(fn);
}

void MediaSession::start(const StreamParams& p) {
    std::lock_guard lock(ctl_mu_);
    if (closed_.load()) throw MediaError("session", "closed");
    // Codecs, jitter buffers and SRTP contexts are built here, off the engine thread.
    const int rate = opus_decode_rate_for(cfg_.opus_decode_rate, sink_rate_, recorder_rate_);
    auto setup = RtpStream::prepare(cfg_, p, started_.load() ? &params_ : nullptr, rate);
    if (setup->codec_changed) decode_rate_ = rate;
    StreamParams applied = setup->params;
    if (!started_.load() && on_loop_.load()) {  // a WebRTC session: on the loop since creation
        worker_->call([&] {
            stream_.apply(*setup, monotonic_ns());
            worker_->start_ticks(this, monotonic_ns());
        });
        started_.store(true);
    } else if (!started_.load()) {
        auto self = shared_from_this();
        worker_->call([&] {
            stream_.apply(*setup, monotonic_ns());
            worker_->add(self, monotonic_ns());
        });
        started_.store(true);
        on_loop_.store(true);
    } else {
        worker_->call([&] { stream_.apply(*setup, monotonic_ns()); });
    }
    params_ = std::move(applied);
    // `setup` now holds the replaced codec objects; they are freed here, on this thread.
}

void MediaSession::close() {
    std::lock_guard lock(ctl_mu_);
    if (closed_.exchange(true)) return;
    if (on_loop_.load()) {
        try {
            worker_->call([&] {
                stream_.send_bye();
                stream_.close_transport(monotonic_ns());
                worker_->remove(this);
            });
        } catch (const MediaError&) {  // the engine stopped first (it sent the BYE)
        }
    }
    // Off the loop: this thread owns the stream again.
    std::shared_ptr<audio::AudioSource> src;
    std::shared_ptr<audio::AudioSink> sink;
    std::shared_ptr<audio::Recorder> rec;
    stream_.swap_source(src);
    stream_.swap_sink(sink);
    stream_.swap_recorder(rec);
    stream_.publish(true);
    rtp_.close();
    rtcp_.close();
    stop_quietly(rec);
}

void MediaSession::set_mute(bool muted) {
    if (closed_.load()) throw MediaError("session", "closed");
    stream_.set_mute(muted);
}

void MediaSession::set_direction(sdp::Direction d) {
    std::lock_guard lock(ctl_mu_);
    control([&] { stream_.set_direction(d); });
    params_.direction = d;
}

void MediaSession::set_remote(const std::string& host, std::uint16_t port, const std::string& rtcp_host,
                              std::uint16_t rtcp_port) {
    std::lock_guard lock(ctl_mu_);
    const net::SocketAddress rtp = net::SocketAddress::parse(host, port, "remote_address");
    const std::uint16_t rport = rtcp_port ? rtcp_port : (params_.rtcp_mux ? port : static_cast<std::uint16_t>(port + 1));
    const net::SocketAddress rtcp = net::SocketAddress::parse(rtcp_host.empty() ? host : rtcp_host, rport, "remote_rtcp_address");
    control([&] { stream_.set_remote(rtp, rtcp); });
    params_.remote_address = host;
    params_.remote_port = port;
    params_.remote_rtcp_address = rtcp_host;
    params_.remote_rtcp_port = rtcp_port;
}

void MediaSession::set_source(std::shared_ptr<audio::AudioSource> source) {
    std::lock_guard lock(ctl_mu_);
    control([&] { stream_.swap_source(source); });
    // `source` now holds the previous one, released on this thread.
}

void MediaSession::follow_rates(const std::function<void()>& swap) {
    const int rate = opus_decode_rate_for(cfg_.opus_decode_rate, sink_rate_, recorder_rate_);
    std::unique_ptr<AudioDecoder> dec;
    if (started_.load() && rate != decode_rate_ && codec_kind_from(params_.codec) == CodecKind::Opus)
        dec = make_decoder(CodecKind::Opus, rate);
    control([&] {
        swap();
        stream_.swap_decoder(dec);
    });
    if (started_.load()) decode_rate_ = rate;
    // `dec` now holds the replaced decoder (if any), freed here, off the engine thread.
}

void MediaSession::set_sink(std::shared_ptr<audio::AudioSink> sink) {
    std::lock_guard lock(ctl_mu_);
    sink_rate_ = sink ? sink->sample_rate() : 0;
    follow_rates([&] { stream_.swap_sink(sink); });
}

void MediaSession::start_recording(std::shared_ptr<audio::Recorder> recorder) {
    if (!recorder) throw MediaError("recorder", "is None");
    if (recorder->inputs() != 2) throw MediaError("recorder", "records one input; a call needs stereo or mix");
    std::lock_guard lock(ctl_mu_);
    const bool started_here = !recorder->started();
    if (started_here) recorder->start();
    const std::shared_ptr<audio::Recorder> mine = recorder;
    try {
        recorder_rate_ = recorder->sample_rate();
        follow_rates([&] { stream_.swap_recorder(recorder); });
    } catch (...) {
        if (started_here) stop_quietly(mine);
        throw;
    }
    if (recorder != mine) stop_quietly(recorder);  // a previous recording ends
}

std::shared_ptr<audio::Recorder> MediaSession::stop_recording() {
    std::shared_ptr<audio::Recorder> rec;
    {
        std::lock_guard lock(ctl_mu_);
        recorder_rate_ = 0;
        follow_rates([&] { stream_.swap_recorder(rec); });
    }
    if (rec) rec->stop();
    return rec;
}

void MediaSession::send_dtmf(const std::string& digits, std::uint32_t duration_ms, std::uint8_t volume) {
    if (volume > 63) throw MediaError("volume", "must be 0-63 (-dBm0)");
    if (duration_ms < 10 || duration_ms > 8000) throw MediaError("duration", "must be 10-8000 ms");
    std::deque<DtmfRequest> q;
    for (char c : digits) {
        try {
            rtp::event_from_digit(c);
        } catch (const RtpError&) {
            throw MediaError("digits", std::string("'") + c + "' is not a DTMF digit (0-9 * # A-D)");
        }
        q.push_back({c, duration_ms, volume});
    }
    std::lock_guard lock(ctl_mu_);
    if (started_.load() && params_.telephone_event_pt < 0)
        throw MediaError("telephone_event", "was not negotiated with the remote side");
    control([&] { stream_.queue_dtmf(q); });
}

// ---- WebRTC ----

std::string MediaSession::ice_ufrag() const {
    const WebRtcTransport* t = stream_.webrtc();
    return t ? t->local_ufrag() : std::string();
}

std::string MediaSession::ice_pwd() const {
    const WebRtcTransport* t = stream_.webrtc();
    return t ? t->local_pwd() : std::string();
}

std::string MediaSession::dtls_fingerprint() const {
    const WebRtcTransport* t = stream_.webrtc();
    return t ? t->local_fingerprint() : std::string();
}

std::string MediaSession::ice_state() const {
    const WebRtcTransport* t = stream_.webrtc();
    return ice::to_string(t ? t->ice_state() : ice::IceState::New);
}

std::string MediaSession::dtls_state() const {
    const WebRtcTransport* t = stream_.webrtc();
    return dtls::to_string(t ? t->dtls_state() : dtls::DtlsState::New);
}

std::vector<std::string> MediaSession::gather_candidates() {
    WebRtcTransport* t = stream_.webrtc();
    if (!t) throw MediaError("webrtc", "not a WebRTC session (SessionConfig.webrtc is false)");
    std::lock_guard lock(ctl_mu_);
    if (closed_.load()) throw MediaError("session", "closed");
    const std::int64_t give_up = monotonic_ns() + (std::int64_t{cfg_.gather_timeout_ms} + 50) * 1'000'000;
    worker_->call([&] { t->start_gather(monotonic_ns()); });
    std::vector<std::string> out;
    for (;;) {
        bool done = false;
        worker_->call([&] {
            const std::int64_t now = monotonic_ns();
            done = t->gather_done(now) || now >= give_up;
            if (done) out = t->candidates();
        });
        if (done) return out;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

}  // namespace siperb::media
