#include "media/engine.hpp"

#include "common/block_pool.hpp"
#include "common/error.hpp"

#include <algorithm>

namespace siperb::media {

Engine::Engine(EngineConfig cfg) : cfg_(cfg), events_(cfg.event_capacity) {
    if (cfg_.threads == 0 || cfg_.threads > 64) throw MediaError("threads", "must be 1-64");
    if (cfg_.realtime_priority < 0 || cfg_.realtime_priority > 99)
        throw MediaError("realtime_priority", "must be 0 (off) or a SCHED_FIFO priority 1-99");
    for (unsigned i = 0; i < cfg_.threads; ++i) workers_.push_back(std::make_shared<Worker>(cfg_.realtime_priority, cfg_.cpu_governor));
}

Engine::~Engine() { stop(); }

std::shared_ptr<MediaSession> Engine::create_session(const SessionConfig& cfg) {
    if (!running()) throw MediaError("engine", "stopped");
    if (cfg.jitter_max_ms > 10000) throw MediaError("jitter_max_ms", "must be at most 10000");
    if (cfg.opus_decode_rate != 0 && cfg.opus_decode_rate != 8000 && cfg.opus_decode_rate != 12000 && cfg.opus_decode_rate != 16000 &&
        cfg.opus_decode_rate != 24000 && cfg.opus_decode_rate != 48000)
        throw MediaError("opus_decode_rate", "must be 0 (follow the sink), 8000, 12000, 16000, 24000 or 48000");
    // The least loaded engine thread.
    auto worker = *std::min_element(workers_.begin(), workers_.end(),
                                    [](const auto& a, const auto& b) { return a->session_count() < b->session_count(); });
    if (cfg.webrtc && cfg.consent_timeout_ms < 500) throw MediaError("consent_timeout_ms", "must be at least 500");
    if (cfg.gather_timeout_ms > 10000) throw MediaError("gather_timeout_ms", "must be at most 10000");
    // A WebRTC session has one socket (rtcp-mux): STUN, DTLS, SRTP and SRTCP share it.
    auto sockets = cfg.webrtc ? std::pair{net::bind_single(cfg.local_address, cfg.port_min, cfg.port_max), net::UdpSocket{}}
                              : net::bind_rtp_pair(cfg.local_address, cfg.port_min, cfg.port_max);
    const std::uint64_t id = next_id_.fetch_add(1);
    // ~13 KB with its stream inline: from the pool, with the session's buffers (block_pool.hpp).
    auto session = std::allocate_shared<MediaSession>(BufferAllocator<MediaSession>{}, id, cfg, worker, &events_,
                                                      std::move(sockets));
    if (cfg.webrtc) session->attach_early();  // ICE checks and a ClientHello may precede start()
    return session;
}

void Engine::stop() {
    for (auto& w : workers_) w->stop();
}

bool Engine::running() const noexcept {
    return std::all_of(workers_.begin(), workers_.end(), [](const auto& w) { return w->running(); });
}

EngineStats Engine::stats() const {
    EngineStats s;
    for (const auto& w : workers_) {
        const WorkerStats ws = w->stats();
        s.sessions += w->session_count();
        s.realtime_threads += w->realtime() ? 1 : 0;
        s.wakeups += ws.wakeups;
        s.ticks += ws.ticks;
        s.late_ticks += ws.late_ticks;
        s.late_woken += ws.late_woken;
        s.missed_ticks += ws.missed_ticks;
        s.datagrams += ws.datagrams;
        s.complexity_down += ws.complexity_down;
        s.complexity_up += ws.complexity_up;
        s.complexity_level = std::min(s.complexity_level, ws.complexity_level);
        s.busy_share = std::max(s.busy_share, ws.busy_share);
        s.send_submits += ws.send_submits;
        s.batched_packets += ws.batched_packets;
        s.recv_submits += ws.recv_submits;
        s.batched_reads += ws.batched_reads;
    }
    s.events_dropped = events_.dropped();
    return s;
}

}  // namespace siperb::media
