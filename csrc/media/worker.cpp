#include "media/worker.hpp"

#include "common/error.hpp"
#include "media/media_session.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>

namespace siperb::media {

namespace {
constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kSlackNs = kMs / 2;    // ticks due within this are run together
constexpr std::int64_t kLateNs = 5 * kMs;     // a tick later than this counts as late
constexpr int kCatchUp = 4;                   // packet times a session may be behind before skipping
constexpr std::int64_t kBinBudgetNs = kMs;    // work placed in one 1 ms phase bin
constexpr std::uint32_t kWarmUpTicks = 50;    // ticks before a session's cost is measured
constexpr std::uint64_t kWakeTag = 1, kTimerTag = 2;
}  // namespace

Worker::Worker(int realtime_priority, bool cpu_governor) : governed_(cpu_governor), governor_({}, monotonic_ns()) {
    epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
    timerfd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    wakefd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epfd_ < 0 || timerfd_ < 0 || wakefd_ < 0) {
        const int e = errno;
        for (int fd : {epfd_, timerfd_, wakefd_})
            if (fd >= 0) ::close(fd);
        throw MediaError("engine", std::string("cannot create the event loop: ") + std::strerror(e));
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kWakeTag;
    ::epoll_ctl(epfd_, EPOLL_CTL_ADD, wakefd_, &ev);
    ev.data.u64 = kTimerTag;
    ::epoll_ctl(epfd_, EPOLL_CTL_ADD, timerfd_, &ev);
    running_.store(true);
    std::promise<void> scheduled;  // the constructor returns once the thread's policy is known
    auto ready = scheduled.get_future();
    thread_ = std::thread([this, realtime_priority, &scheduled] {
        if (realtime_priority > 0) {
            sched_param sp{};
            sp.sched_priority = realtime_priority;
            realtime_.store(::pthread_setschedparam(::pthread_self(), SCHED_FIFO, &sp) == 0);
        }
        scheduled.set_value();
        run();
    });
    ready.wait();
}

Worker::~Worker() {
    stop();
    for (int fd : {epfd_, timerfd_, wakefd_}) ::close(fd);
}

void Worker::call(std::function<void()> fn) {
    if (thread_.get_id() == std::this_thread::get_id()) {  // already on the loop
        fn();
        return;
    }
    auto cmd = std::make_unique<Command>();
    cmd->fn = std::move(fn);
    auto done = cmd->done.get_future();
    {
        std::lock_guard lock(mu_);
        if (!accepting_) throw MediaError("engine", "stopped");
        commands_.push_back(std::move(cmd));
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] auto r = ::write(wakefd_, &one, sizeof one);
    done.get();
}

void Worker::stop() {
    {
        std::lock_guard lock(mu_);
        if (!accepting_) {
            if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
            return;
        }
    }
    try {
        call([this] {
            for (auto& s : sessions_) {
                s->stream().send_bye();
                s->mark_closed();
            }
            while (!sessions_.empty()) remove(sessions_.back().get());
            stop_requested_ = true;
        });
    } catch (const MediaError&) {
    }
    {
        std::lock_guard lock(mu_);
        accepting_ = false;
    }
    if (thread_.joinable()) thread_.join();
    running_.store(false);
}

WorkerStats Worker::stats() const {
    std::lock_guard lock(stats_mu_);
    return published_;
}

std::int64_t Worker::estimated_cost(const MediaSession& s) const {
    // A conservative guess per codec (a few times this machine's cost), or the measured
    // average of this thread's sessions with the same codec when that is higher (a slower
    // machine): an underestimate would put more work in a bin than its millisecond.
    const CodecKind kind = s.stream().codec_kind();
    const std::int64_t per_20ms = kind == CodecKind::Opus ? 250'000 : 20'000;
    const std::int64_t guess = per_20ms * std::int64_t{s.stream().ptime()} / 20;
    std::int64_t sum = 0, n = 0;
    for (const Slot& sl : slots_)
        if (sl.ticks >= kWarmUpTicks && sl.session->stream().codec_kind() == kind) {
            sum += sl.cost_ns;
            ++n;
        }
    return n > 0 ? std::max(guess, sum / n) : guess;
}

std::int64_t Worker::first_deadline(std::int64_t now, std::int64_t period, std::int64_t cost) const {
    // Bins sit on an absolute grid (the monotonic clock modulo the period), and a session starts
    // exactly on its bin's edge: sessions of one bin share their deadlines and one wake-up.
    constexpr std::size_t kMaxBins = 120;
    std::array<std::int64_t, kMaxBins> load{};
    const std::size_t n = std::clamp<std::size_t>(static_cast<std::size_t>(period / kMs), 1, kMaxBins);
    for (const Slot& sl : slots_)
        if (sl.deadline_ns != INT64_MAX) load[std::min(n - 1, static_cast<std::size_t>(sl.deadline_ns % period / kMs))] += sl.cost_ns;
    std::size_t bin = n;
    for (std::size_t b = 0; b < n && bin == n; ++b)
        if (load[b] + cost <= kBinBudgetNs) bin = b;
    if (bin == n)
        bin = static_cast<std::size_t>(std::min_element(load.begin(), load.begin() + static_cast<std::ptrdiff_t>(n)) - load.begin());
    const std::int64_t edge = static_cast<std::int64_t>(bin) * kMs;
    return now + ((edge - now % period) % period + period) % period;
}

void Worker::add(std::shared_ptr<MediaSession> s, std::int64_t now_ns, bool ticking) {
    const bool webrtc = s->stream().webrtc() != nullptr;
    // RTP is read at ticks, and its socket is not in epoll at all: a socket in epoll makes the
    // kernel take the wait-queue and epoll locks for every datagram it queues and every send
    // it frees (measured: about 4 % of the engine's CPU at 500 calls). ICMP errors reach the
    // tick's read instead (Delivery::read_error drains the error queue). A connecting WebRTC
    // socket is read as datagrams come: in epoll while it is (see refresh).
    const bool reading = webrtc && s->stream().wants_read();
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = &s->watch_rtp;
    if (reading && ::epoll_ctl(epfd_, EPOLL_CTL_ADD, s->rtp_fd(), &ev) != 0) throw MediaError("engine", std::strerror(errno));
    ev.data.ptr = &s->watch_rtcp;
    if (s->rtcp_fd() >= 0 && ::epoll_ctl(epfd_, EPOLL_CTL_ADD, s->rtcp_fd(), &ev) != 0) {
        const int e = errno;
        if (reading) ::epoll_ctl(epfd_, EPOLL_CTL_DEL, s->rtp_fd(), nullptr);
        throw MediaError("engine", std::strerror(e));
    }
    const std::int64_t period = std::int64_t{s->stream().ptime()} * kMs;
    const std::int64_t cost = estimated_cost(*s);
    if (governed_) s->stream().cap_complexity(governor_.entry_level());  // then its own level
    Slot sl{ticking ? first_deadline(now_ns, period, cost) : INT64_MAX, cost, 0, s.get()};
    sl.webrtc = webrtc;
    sl.reading = reading;
    slots_.push_back(sl);
    sessions_.push_back(std::move(s));
    count_.store(sessions_.size());
    refresh(slots_.back());
    arm_timer();
}

void Worker::start_ticks(MediaSession* s, std::int64_t now_ns) {
    Slot* sl = slot_of(s);
    if (!sl || sl->deadline_ns != INT64_MAX) return;
    const std::int64_t period = std::int64_t{s->stream().ptime()} * kMs;
    sl->cost_ns = estimated_cost(*s);
    sl->deadline_ns = first_deadline(now_ns, period, sl->cost_ns);
    refresh(*sl);
    arm_timer();
}

Worker::Slot* Worker::slot_of(const MediaSession* s) noexcept {
    for (Slot& sl : slots_)
        if (sl.session == s) return &sl;
    return nullptr;
}

void Worker::refresh(Slot& sl) {
    if (!sl.webrtc) return;
    MediaSession& s = *sl.session;
    sl.aux_ns = s.stream().transport_deadline();
    const bool want = s.stream().wants_read();
    if (want == sl.reading) return;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = &s.watch_rtp;
    if (::epoll_ctl(epfd_, want ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, s.rtp_fd(), &ev) == 0) sl.reading = want;
}

void Worker::remove(MediaSession* s) {
    auto it = std::find_if(slots_.begin(), slots_.end(), [s](const Slot& sl) { return sl.session == s; });
    if (it == slots_.end()) return;
    if (it->reading) ::epoll_ctl(epfd_, EPOLL_CTL_DEL, s->rtp_fd(), nullptr);
    if (s->rtcp_fd() >= 0) ::epoll_ctl(epfd_, EPOLL_CTL_DEL, s->rtcp_fd(), nullptr);
    // The caller still holds a reference, so the session is not destroyed here.
    const auto i = it - slots_.begin();
    std::iter_swap(it, slots_.end() - 1);
    slots_.pop_back();
    std::iter_swap(sessions_.begin() + i, sessions_.end() - 1);
    sessions_.pop_back();
    count_.store(sessions_.size());
}

void Worker::arm_timer() {
    std::int64_t next = INT64_MAX;
    for (const Slot& sl : slots_) next = std::min({next, sl.deadline_ns, sl.aux_ns});
    next_deadline_ = next;
    if (next == armed_) return;
    armed_ = next;
    itimerspec its{};
    if (next != INT64_MAX) {
        next = std::max<std::int64_t>(next, 1);
        its.it_value.tv_sec = next / 1'000'000'000;
        its.it_value.tv_nsec = next % 1'000'000'000;
    }
    ::timerfd_settime(timerfd_, TFD_TIMER_ABSTIME, &its, nullptr);
}

void Worker::run_commands() {
    std::uint64_t counter = 0;
    [[maybe_unused]] auto r = ::read(wakefd_, &counter, sizeof counter);
    std::vector<std::unique_ptr<Command>> batch;
    {
        std::lock_guard lock(mu_);
        batch.swap(commands_);
    }
    for (auto& c : batch) {
        try {
            c->fn();
            c->done.set_value();
        } catch (...) {
            c->done.set_exception(std::current_exception());
        }
    }
}

void Worker::run_ticks(std::int64_t now) {
    const SendBatch::Scope batch(batch_);  // flushed when the run ends
    // What arrived since the last tick, before playout: the due sessions' sockets together, or
    // (without the ring) each right before its tick.
    const bool read = read_due(now);
    for (Slot& sl : slots_) {
        if (sl.aux_ns <= now + kSlackNs) {  // ICE checks, DTLS retransmissions, consent
            sl.session->stream().on_transport_timeout(monotonic_ns());
            refresh(sl);
        }
        if (sl.deadline_ns > now + kSlackNs) continue;
        MediaSession& s = *sl.session;
        // The time is read again for every session: a bin's sessions run one after another.
        const std::int64_t start = monotonic_ns();
        if (!read) drain(s, s.rtp_fd(), false, start);
        const std::int64_t ptime = std::int64_t{s.stream().ptime()} * kMs;
        int runs = 0;
        std::uint64_t late = 0, missed = 0;
        if (governed_ && governor_.on_tick(sl.deadline_ns, start)) ++stats_.late_woken;
        if (const std::int64_t behind = (start - sl.deadline_ns) / ptime; behind >= kCatchUp) {
            // hopelessly behind: skip whole packet times
            sl.deadline_ns += (behind - kCatchUp + 1) * ptime;
            missed += static_cast<std::uint64_t>(behind - kCatchUp + 1);
        }
        // One packet time per run: a session behind plays its next one in the run that follows
        // at once, after the sockets were read again. Back to back, it would take its jitter
        // buffer's next packets before the late peers (on this thread, later in this run) had
        // sent them: a frame concealed, then that packet dropped when it came.
        if (start - sl.deadline_ns > kLateNs) ++late;
        s.stream().on_tick(start);
        sl.deadline_ns += ptime;
        ++runs;
        if (runs == 1 && ++sl.ticks > kWarmUpTicks) {  // an average over about 16 ticks
            const std::int64_t cost = monotonic_ns() - start;
            sl.cost_ns += (cost - sl.cost_ns) / 16;
            sl.ticks = kWarmUpTicks;
        }
        if (late || missed) s.stream().note_ticks(late, missed);
        if (sl.webrtc) refresh(sl);  // the drain may have carried STUN or DTLS
        stats_.ticks += static_cast<std::uint64_t>(runs);
        stats_.late_ticks += late;
        stats_.missed_ticks += missed;
    }
}

namespace {
// Hands what RecvBatch reads to the sessions it was read for.
struct Delivery final : RecvBatch::Sink {
    MediaSession* const* sessions;
    bool rtcp;
    std::int64_t now;
    std::uint64_t& datagrams;
    Delivery(MediaSession* const* s, bool r, std::int64_t n, std::uint64_t& d) : sessions(s), rtcp(r), now(n), datagrams(d) {}
    void datagram(std::size_t i, std::uint8_t* data, int len, const net::SocketAddress& from, std::int64_t arrival_ns) override {
        ++datagrams;
        sessions[i]->stream().on_datagram(data, len, from, rtcp, arrival_ns);
    }
    // An ICMP error (the socket's pending error): what the error queue holds says where each
    // went; an error without a queued ICMP is reported as the remote RTP address's.
    void read_error(std::size_t i, int err) override {
        MediaSession& s = *sessions[i];
        if (s.stream().on_error_queue(rtcp ? s.rtcp_fd() : s.rtp_fd(), now) == 0) s.stream().on_recv_error(err, nullptr, now);
    }
};
}  // namespace

void Worker::drain(MediaSession& s, int fd, bool rtcp, std::int64_t now) {
    MediaSession* const one[] = {&s};
    Delivery sink(one, rtcp, now, stats_.datagrams);
    recv_.drain_one(fd, 0, now, sink);
}

bool Worker::read_due(std::int64_t now) {
    net::SendRing* ring = batch_.ring();
    if (!ring) return false;
    due_.clear();
    due_fds_.clear();
    for (const Slot& sl : slots_)
        if (sl.deadline_ns <= now + kSlackNs) {
            due_.push_back(sl.session);
            due_fds_.push_back(sl.session->rtp_fd());
        }
    const std::int64_t read_at = monotonic_ns();
    Delivery sink(due_.data(), false, read_at, stats_.datagrams);
    return recv_.drain(ring, due_fds_.data(), due_.size(), read_at, sink);
}

void Worker::on_socket(const epoll_event& ev, std::int64_t now) {
    auto* w = static_cast<MediaSession::Watch*>(ev.data.ptr);
    MediaSession& s = *w->session;
    const int fd = w->rtcp ? s.rtcp_fd() : s.rtp_fd();
    if (ev.events & EPOLLERR) {
        s.stream().on_error_queue(fd, now);
        if (!w->rtcp) drain(s, fd, false, now);  // also takes a pending socket error
    }
    if (ev.events & EPOLLIN) drain(s, fd, w->rtcp, now);  // RTCP, or a connecting WebRTC socket
    if (!w->rtcp && s.stream().webrtc())
        if (Slot* sl = slot_of(&s)) refresh(*sl);
}

void Worker::govern() {
    if (governor_.on_sleep(monotonic_ns())) {  // a window judged: each session's level
        loads_.clear();
        for (std::uint32_t i = 0; i < slots_.size(); ++i) {
            const RtpStream& st = slots_[i].session->stream();
            loads_.push_back({slots_[i].cost_ns, st.complexity_cap(), st.complexity_ceiling(), st.codec_kind() == CodecKind::Opus, i});
        }
        if (governor_.assign(loads_))  // encoders take a new level at their next frame
            for (const SessionLoad& l : loads_) slots_[l.index].session->stream().cap_complexity(l.level);
    }
    stats_.complexity_level = governor_.level();
    stats_.complexity_down = governor_.steps_down();
    stats_.complexity_up = governor_.steps_up();
    stats_.busy_share = governor_.busy_share();
}

void Worker::run() {
    // The send ring is one of the thread's fixed descriptors (beside epoll, timerfd, eventfd):
    // opened now, not at the first packet, so a process's descriptor count does not step up
    // when its first call starts sending.
    batch_.batching();
    std::array<epoll_event, 256> events;
    while (!stop_requested_) {
        const int n = ::epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            break;
        }
        ++stats_.wakeups;
        std::int64_t now = monotonic_ns();
        if (governed_) governor_.on_wake(now);
        bool wake = false, timer = false, sockets = false;
        for (int i = 0; i < n; ++i) {
            const std::uint64_t tag = events[static_cast<std::size_t>(i)].data.u64;
            if (tag == kWakeTag) wake = true;
            else if (tag == kTimerTag) timer = true;
            else {
                on_socket(events[static_cast<std::size_t>(i)], now);
                sockets = true;
            }
        }
        if (timer) {
            std::uint64_t expirations = 0;
            [[maybe_unused]] auto r = ::read(timerfd_, &expirations, sizeof expirations);
            armed_ = INT64_MAX;  // an absolute one-shot timer is disarmed once it has fired
        }
        now = monotonic_ns();
        const bool ticks = timer || now + kSlackNs >= next_deadline_;
        if (ticks) run_ticks(now);
        if (wake) {
            run_commands();  // after the sockets: sessions removed here had their events
            for (Slot& sl : slots_) refresh(sl);  // a command may have started ICE or DTLS
        }
        if (ticks || wake || sockets) arm_timer();
        stats_.sessions = sessions_.size();
        if (governed_) govern();
        stats_.send_submits = batch_.stats().submits;
        stats_.batched_packets = batch_.stats().packets;
        stats_.recv_submits = recv_.stats().submits;
        stats_.batched_reads = recv_.stats().packets;
        if (stats_mu_.try_lock()) {
            published_ = stats_;
            stats_mu_.unlock();
        }
    }
    // Fail whatever arrived after the stop command.
    std::lock_guard lock(mu_);
    accepting_ = false;
    for (auto& c : commands_) c->done.set_exception(std::make_exception_ptr(MediaError("engine", "stopped")));
    commands_.clear();
}

}  // namespace siperb::media
