// One engine thread: an epoll loop over a wake-up eventfd for commands, one timerfd armed
// (absolute, CLOCK_MONOTONIC) at the earliest packet-time deadline of its sessions, and the
// sessions' RTCP sockets. Each session keeps an absolute deadline that advances by exactly one
// packet time per tick, so clocks never drift with processing time or wake-up latency.
//
// RTP is read at the session's tick, not when it arrives: everything that arrived since the last
// tick is drained with recvmmsg (the kernel's receive timestamps give the true arrival times)
// right before the jitter buffer is asked for the next frame. That is when it would be played
// anyway, so no latency is added, and the thread wakes once per tick rather than once per
// datagram. RTP sockets are not in epoll (ICMP errors reach the tick's read: see Worker::add).
//
// Phases: a new session starts in the first 1 ms phase bin of the packet time whose sessions'
// work (the measured average tick cost of each, or an estimate from the codec until measured)
// leaves room for its own within kBinBudget. Cheap sessions (G.711) share a few bins, so the
// thread wakes a few times per packet time whatever the number of calls (a wake-up costs tens
// of microseconds on a virtual machine); expensive ones (Opus) are spread over the period, so
// no tick waits behind a burst of encoders. Commands from other threads run on the loop and
// their callers wait for them (with the GIL released).
//
// WebRTC sessions (one socket: STUN, DTLS, SRTP) join the loop when created, before start():
// ICE checks and a ClientHello may come before the SDP answer. While ICE or DTLS is connecting
// their socket is in epoll for reading and every datagram is handled as it comes (STUN answered,
// DTLS fed, early SRTP dropped); once both are connected the socket goes back to being drained
// at the tick like any RTP socket, STUN consent checks included (a ptime of delay is nothing
// to a 5 s consent period), so a connected WebRTC call costs no more wake-ups than an SDES one.
// Their ICE/DTLS/TURN deadlines ride on the same timerfd (Slot::aux_ns).
#pragma once

#include "common/clock.hpp"
#include "media/cpu_governor.hpp"
#include "media/recv_batch.hpp"
#include "media/send_batch.hpp"

#include <sys/epoll.h>

#include <atomic>
#include <climits>
#include <cstdint>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace siperb::media {

class MediaSession;

using siperb::monotonic_ns;

struct WorkerStats {
    std::uint64_t wakeups = 0, ticks = 0, late_ticks = 0, missed_ticks = 0, datagrams = 0;
    std::uint64_t late_woken = 0;  // late ticks (governed threads) through wake-up latency
    std::uint64_t send_submits = 0, batched_packets = 0;  // SendBatch: system calls, packets
    std::uint64_t recv_submits = 0, batched_reads = 0;    // RecvBatch: ring submissions, datagrams
    std::size_t sessions = 0;
    // The CPU governor (cpu_governor.hpp): its sessions' lowest Opus level now, its steps so far and
    // the thread's busy share of the last judged window (0-1).
    int complexity_level = 10;
    std::uint64_t complexity_down = 0, complexity_up = 0;
    double busy_share = 0;
};

class Worker {
public:
    // realtime_priority > 0: the thread asks for SCHED_FIFO at that priority (see EngineConfig).
    // cpu_governor: Opus encoders step their complexity down when the thread runs short of time
    // (see cpu_governor.hpp); off, they keep the configured one.
    explicit Worker(int realtime_priority = 0, bool cpu_governor = true);
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    // Runs fn on the engine thread and waits for it; rethrows what it threw. Throws
    // MediaError("engine", "stopped") once the worker has stopped.
    void call(std::function<void()> fn);
    // Closes every session (RTCP BYE), ends the loop and joins the thread (idempotent).
    void stop();
    bool running() const noexcept { return running_.load(); }
    bool realtime() const noexcept { return realtime_.load(); }
    std::size_t session_count() const noexcept { return count_.load(); }
    WorkerStats stats() const;

    // Engine thread only (from inside call()). ticking false: on the loop for its socket and
    // timers only (a WebRTC session before start); start_ticks begins its packet clock.
    void add(std::shared_ptr<MediaSession> s, std::int64_t now_ns, bool ticking = true);
    void start_ticks(MediaSession* s, std::int64_t now_ns);
    void remove(MediaSession* s);

private:
    struct Command {
        std::function<void()> fn;
        std::promise<void> done;
    };
    // Deadlines sit in one contiguous array (scanned at every wake-up), apart from the sessions.
    struct Slot {
        std::int64_t deadline_ns;
        std::int64_t cost_ns;  // work of one tick (drain + on_tick): the estimate, then measured
        std::uint32_t ticks;   // measured ticks (the first second is warm-up, not measured)
        MediaSession* session;
        std::int64_t aux_ns = INT64_MAX;  // the WebRTC layer's next ICE/DTLS/TURN deadline
        bool webrtc = false, reading = false;
    };
    void run();
    void run_commands();
    void run_ticks(std::int64_t now);
    void on_socket(const epoll_event& ev, std::int64_t now);
    void drain(MediaSession& s, int fd, bool rtcp, std::int64_t now);
    bool read_due(std::int64_t now);  // every due session's RTP through the ring (RecvBatch)
    std::int64_t first_deadline(std::int64_t now, std::int64_t period, std::int64_t cost) const;
    std::int64_t estimated_cost(const MediaSession& s) const;
    void arm_timer();
    void refresh(Slot& sl);
    Slot* slot_of(const MediaSession* s) noexcept;
    void govern();

    int epfd_ = -1, timerfd_ = -1, wakefd_ = -1;
    std::mutex mu_;
    std::vector<std::unique_ptr<Command>> commands_;
    bool accepting_ = true;
    std::vector<std::shared_ptr<MediaSession>> sessions_;  // same order as slots_
    std::vector<Slot> slots_;
    std::int64_t armed_ = INT64_MAX;  // what the timerfd is set to (INT64_MAX: disarmed)
    std::atomic<bool> running_{false};
    std::atomic<bool> realtime_{false};
    bool stop_requested_ = false;
    std::atomic<std::size_t> count_{0};
    std::int64_t next_deadline_ = INT64_MAX;
    SendBatch batch_;  // what run_ticks' sessions send, out in one system call
    RecvBatch recv_;   // what they received, read together before their ticks
    std::vector<MediaSession*> due_;
    std::vector<int> due_fds_;
    mutable std::mutex stats_mu_;
    WorkerStats stats_, published_;
    bool governed_;
    CpuGovernor governor_;
    std::vector<SessionLoad> loads_;  // the governor's view of slots_ (reused)
    std::thread thread_;
};

}  // namespace siperb::media
