// The media engine: one or more engine threads (Worker) serving many sessions, and one event
// queue (eventfd) from which Python drains DTMF, timeouts, ICMP errors and other events.
// Never calls Python, never needs the GIL. stop() (and the destructor) closes every session
// and joins the threads.
#pragma once

#include "media/event_queue.hpp"
#include "media/media_session.hpp"
#include "media/worker.hpp"

#include <atomic>
#include <memory>
#include <vector>

namespace siperb::media {

struct EngineConfig {
    unsigned threads = 1;              // engine threads; sessions are spread over them
    std::size_t event_capacity = 4096; // events waiting for Python before new ones are dropped
    // SCHED_FIFO priority (1-99) of the engine threads; 0 keeps normal scheduling. Near the
    // machine's capacity, any other runnable thread can delay a tick by a scheduler slice; a
    // real-time thread preempts it. Needs CAP_SYS_NICE or an RLIMIT_RTPRIO of at least this
    // (as PulseAudio and JACK do); without it the threads run normally (see realtime_threads).
    int realtime_priority = 0;
    // Opus complexity follows the threads' spare time (csrc/media/cpu_governor.hpp): a session's
    // opus_complexity is its ceiling. Off: every encoder keeps the configured complexity.
    bool cpu_governor = true;
};

struct EngineStats {
    std::size_t sessions = 0;
    std::size_t realtime_threads = 0;  // engine threads that obtained SCHED_FIFO
    std::uint64_t wakeups = 0, ticks = 0, late_ticks = 0, missed_ticks = 0, datagrams = 0, events_dropped = 0;
    std::uint64_t late_woken = 0;  // of the late ticks, those mostly wake-up latency (governor on)
    // The CPU governor over all threads: steps down and up, the lowest level now and the
    // busiest thread's share of its last window (0-1).
    std::uint64_t complexity_down = 0, complexity_up = 0;
    int complexity_level = 10;
    double busy_share = 0;
    std::uint64_t send_submits = 0, batched_packets = 0;  // packets sent in batches, and their system calls
    std::uint64_t recv_submits = 0, batched_reads = 0;    // datagrams read in batches, and their system calls
};

class Engine {
public:
    explicit Engine(EngineConfig cfg = {});
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // Binds the session's sockets now (MediaError("port"/"address") on failure); the session
    // runs once start() is called with the negotiated parameters.
    std::shared_ptr<MediaSession> create_session(const SessionConfig& cfg);
    void stop();
    bool running() const noexcept;

    int event_fd() const noexcept { return events_.fd(); }
    std::vector<MediaEvent> drain_events(std::size_t max = SIZE_MAX) { return events_.drain(max); }
    EngineStats stats() const;
    const EngineConfig& config() const noexcept { return cfg_; }

private:
    EngineConfig cfg_;
    EventQueue events_;
    std::vector<std::shared_ptr<Worker>> workers_;
    std::atomic<std::uint64_t> next_id_{1};
};

}  // namespace siperb::media
