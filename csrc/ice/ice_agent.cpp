// The IceAgent's lifecycle: credentials, candidates, pairs, the selected path, timers.
#include "ice/ice_agent.hpp"

#include "ice/ice_agent_impl.hpp"
#include "ice/ice_candidate.hpp"

#include <algorithm>

namespace siperb::ice {

namespace {

std::string random_ice_chars(std::mt19937_64& rng, std::size_t n) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string s(n, 'a');
    for (auto& c : s) c = kAlphabet[rng() % 64];
    return s;
}

std::string describe(const net::SocketAddress& a) {
    const std::string h = a.host();
    return (a.family() == AF_INET6 ? "[" + h + "]" : h) + ":" + std::to_string(a.port());
}

}  // namespace

IceAgent::Impl::Impl(IceConfig c) : cfg(std::move(c)) {
    if (cfg.local_ufrag.empty()) cfg.local_ufrag = random_ice_chars(rng, 8);
    if (cfg.local_pwd.empty()) cfg.local_pwd = random_ice_chars(rng, 24);
    while (cfg.tie_breaker == 0) cfg.tie_breaker = rng();
    if (cfg.ta_ms == 0) cfg.ta_ms = 50;
    if (cfg.check_rto_ms == 0) cfg.check_rto_ms = 500;
    if (cfg.check_max_transmissions == 0) cfg.check_max_transmissions = 1;
    cfg.max_remote_candidates = std::min<std::uint32_t>(cfg.max_remote_candidates, 1000);
    cfg.max_pairs = std::min<std::uint32_t>(cfg.max_pairs, 1000);
    // A lite agent is always the controlled one (RFC 8445 6.1.1).
    role = cfg.lite ? IceRole::Controlled : cfg.role;
}

void IceAgent::Impl::emit(IceEventType type, std::string detail) {
    if (events.size() >= kMaxQueued) events.pop_front();
    events.push_back({type, state, std::move(detail)});
}

void IceAgent::Impl::set_state(IceState s) {
    if (s == state) return;
    state = s;
    emit(IceEventType::StateChanged, to_string(s));
}

void IceAgent::Impl::queue_transmit(const net::SocketAddress& to, std::vector<std::uint8_t> data, bool relayed) {
    if (out.size() >= kMaxQueued) {
        out.pop_front();
        ++stats.dropped;
    }
    out.push_back({to, std::move(data), relayed});
}

std::uint32_t IceAgent::Impl::local_preference(CandidateType type) const {
    std::uint32_t same = 0;
    for (const auto& l : locals) same += l.c.type == type;
    return 65535 - std::min<std::uint32_t>(same * 256, 65535);
}

void IceAgent::Impl::add_local(CandidateType type, const net::SocketAddress& addr, const net::SocketAddress& base,
                               bool relayed, const std::string& server) {
    for (const auto& l : locals)
        if (l.c.type == type && l.c.address == addr) return;
    if (locals.size() >= kMaxLocalCandidates) {
        ++stats.refused;
        return;
    }
    LocalCandidate l;
    l.c.type = type;
    l.c.address = addr;
    l.c.priority = candidate_priority(type, local_preference(type));
    l.c.foundation = make_foundation(type, base, server);
    if (type != CandidateType::Host) l.c.related = base;
    l.base = base;
    l.relayed = relayed;
    locals.push_back(l);
    if (type != CandidateType::PeerReflexive) emit(IceEventType::LocalCandidate, l.c.to_sdp());
    // Server-reflexive and peer-reflexive candidates share their base's socket: pairing them
    // would duplicate the host pairs (RFC 8445 6.1.2.4), so only host and relayed ones pair.
    if (type == CandidateType::Host || type == CandidateType::Relayed)
        for (std::size_t r = 0; r < remotes.size(); ++r) add_pair(locals.size() - 1, r);
}

std::optional<std::size_t> IceAgent::Impl::find_remote(const net::SocketAddress& addr) const {
    for (std::size_t i = 0; i < remotes.size(); ++i)
        if (remotes[i].address == addr) return i;
    return std::nullopt;
}

std::optional<std::size_t> IceAgent::Impl::add_remote(const Candidate& c) {
    if (auto i = find_remote(c.address)) return i;
    if (remotes.size() >= cfg.max_remote_candidates) {
        ++stats.refused;
        return std::nullopt;
    }
    remotes.push_back(c);
    const std::size_t r = remotes.size() - 1;
    for (std::size_t l = 0; l < locals.size(); ++l)
        if (locals[l].c.type == CandidateType::Host || locals[l].c.type == CandidateType::Relayed) add_pair(l, r);
    return r;
}

std::optional<std::size_t> IceAgent::Impl::find_pair(std::size_t local, std::size_t remote) const {
    for (std::size_t i = 0; i < pairs.size(); ++i)
        if (pairs[i].local == local && pairs[i].remote == remote) return i;
    return std::nullopt;
}

std::optional<std::size_t> IceAgent::Impl::add_pair(std::size_t local, std::size_t remote) {
    if (auto i = find_pair(local, remote)) return i;
    if (locals[local].base.family() != remotes[remote].address.family()) return std::nullopt;
    if (pairs.size() >= cfg.max_pairs) {
        ++stats.refused;
        return std::nullopt;
    }
    CandidatePair p;
    p.local = local;
    p.remote = remote;
    p.foundation = locals[local].c.foundation + ":" + remotes[remote].foundation;
    // A pair whose foundation is new starts Waiting, the others Frozen (RFC 8445 6.1.2.6).
    const bool seen = std::any_of(pairs.begin(), pairs.end(), [&](const CandidatePair& q) { return q.foundation == p.foundation; });
    p.state = seen ? PairState::Frozen : PairState::Waiting;
    pairs.push_back(std::move(p));
    recompute_priorities();
    return find_pair(local, remote);
}

void IceAgent::Impl::recompute_priorities() {
    for (auto& p : pairs) {
        const std::uint32_t l = locals[p.local].c.priority, r = remotes[p.remote].priority;
        p.priority = role == IceRole::Controlling ? pair_priority(l, r) : pair_priority(r, l);
    }
}

void IceAgent::Impl::select(const CandidatePair& p, bool nominated) {
    const auto& remote = remotes[p.remote].address;
    const bool relayed = locals[p.local].relayed;
    const bool same = selected && selected->remote == remote && selected->relayed == relayed;
    if (same && (selected->nominated || !nominated)) {
        if (nominated) selected->nominated = true;
        return;
    }
    // Once a pair is nominated only another nomination replaces it; before that, a better
    // valid pair does.
    if (selected && selected->nominated && !nominated) return;
    if (selected && !selected->nominated && !nominated && selected->priority >= p.priority) return;
    selected = SelectedPath{remote, relayed, p.priority, nominated};
    emit(IceEventType::SelectedPair, describe(locals[p.local].c.address) + (relayed ? " (relayed)" : "") + " -> " +
                                         describe(remote) + (nominated ? " nominated" : ""));
}

bool IceAgent::Impl::has_work() const {
    if (cfg.lite || !started || closed || remote_pwd.empty() || state == IceState::Failed) return false;
    if (!triggered.empty()) return true;
    if (nominating || (selected && selected->nominated && role == IceRole::Controlling)) return false;
    return std::any_of(pairs.begin(), pairs.end(), [](const CandidatePair& p) {
        return p.state == PairState::Waiting || p.state == PairState::Frozen;
    });
}

void IceAgent::Impl::update_state(std::int64_t now_ns) {
    if (closed || state == IceState::Failed) return;
    if (selected) {
        if (consent_next_ns == INT64_MAX && !cfg.lite) {
            consent_last_ns = now_ns;
            const double f = 0.8 + 0.4 * double(rng() % 1000) / 1000.0;
            consent_next_ns = now_ns + std::int64_t(f * cfg.consent_interval_ms * 1e6);
        }
        if (cfg.lite && consent_last_ns == 0) consent_last_ns = now_ns;
        if (cfg.lite && keepalive_next_ns == INT64_MAX)
            keepalive_next_ns = now_ns + std::int64_t(cfg.keepalive_ms) * 1'000'000;
        set_state(selected->nominated ? IceState::Completed : IceState::Connected);
        return;
    }
    if (!started && !cfg.lite) return;
    const bool pending = std::any_of(pairs.begin(), pairs.end(), [](const CandidatePair& p) {
        return p.state != PairState::Failed && p.state != PairState::Succeeded;
    });
    if (remote_eoc && !pairs.empty() && !pending && !cfg.lite) {
        set_state(IceState::Failed);
        return;
    }
    set_state(IceState::Checking);
}

IceAgent::IceAgent(IceConfig cfg) : impl_(std::make_unique<Impl>(std::move(cfg))) {}
IceAgent::~IceAgent() = default;
IceAgent::IceAgent(IceAgent&&) noexcept = default;
IceAgent& IceAgent::operator=(IceAgent&&) noexcept = default;

const std::string& IceAgent::local_ufrag() const noexcept { return impl_->cfg.local_ufrag; }
const std::string& IceAgent::local_pwd() const noexcept { return impl_->cfg.local_pwd; }
IceRole IceAgent::role() const noexcept { return impl_->role; }
IceState IceAgent::state() const noexcept { return impl_->state; }
bool IceAgent::lite() const noexcept { return impl_->cfg.lite; }
IceAgent::Stats IceAgent::stats() const noexcept { return impl_->stats; }

void IceAgent::add_host_candidate(const net::SocketAddress& local) {
    impl_->add_local(CandidateType::Host, local, local, false, "");
}
void IceAgent::add_server_reflexive(const net::SocketAddress& mapped, const net::SocketAddress& base) {
    impl_->add_local(CandidateType::ServerReflexive, mapped, base, false, "stun");
}
void IceAgent::add_relayed(const net::SocketAddress& relayed, const net::SocketAddress& base) {
    impl_->add_local(CandidateType::Relayed, relayed, relayed, true, "turn:" + base.host());
    // The relayed candidate's related address is the client's own (RFC 8839 5.1).
    impl_->locals.back().c.related = base;
}

std::vector<Candidate> IceAgent::local_candidates() const {
    std::vector<Candidate> v;
    for (const auto& l : impl_->locals) v.push_back(l.c);
    return v;
}
std::vector<Candidate> IceAgent::remote_candidates() const { return impl_->remotes; }

void IceAgent::restart_local_credentials(const std::string& ufrag, const std::string& pwd) {
    auto& d = *impl_;
    d.cfg.local_ufrag = ufrag.empty() ? random_ice_chars(d.rng, 8) : ufrag;
    d.cfg.local_pwd = pwd.empty() ? random_ice_chars(d.rng, 24) : pwd;
    d.local_restart_pending = true;
}

void IceAgent::set_remote_credentials(const std::string& ufrag, const std::string& pwd, std::int64_t now_ns) {
    auto& d = *impl_;
    if (d.closed) return;
    const bool restart = !d.remote_ufrag.empty() && ufrag != d.remote_ufrag;
    d.remote_ufrag = ufrag;
    d.remote_pwd = pwd;
    if (!restart) return;
    // ICE restart (RFC 8445 9): new checks over fresh pairs, the selected path kept (media goes
    // on) until a new pair is nominated; our credentials change too.
    if (!d.local_restart_pending) {
        d.cfg.local_ufrag = random_ice_chars(d.rng, 8);
        d.cfg.local_pwd = random_ice_chars(d.rng, 24);
    }
    d.local_restart_pending = false;
    d.remotes.clear();
    d.pairs.clear();
    d.triggered.clear();
    d.remote_eoc = false;
    d.nominating = false;
    d.first_valid_ns = INT64_MAX;
    if (d.selected) d.selected->nominated = false;
    std::erase_if(d.locals, [](const LocalCandidate& l) { return l.c.type == CandidateType::PeerReflexive; });
    if (d.state == IceState::Failed) {
        // Consent was lost (or every pair failed): the old path is dead, start clean.
        d.selected.reset();
        d.consent_next_ns = d.keepalive_next_ns = INT64_MAX;
        d.consent_last_ns = 0;
        d.consent_tids.clear();
    }
    if (d.state != IceState::New) d.state = IceState::Checking, d.emit(IceEventType::StateChanged, "checking");
    (void)now_ns;
}

void IceAgent::add_remote_candidate(const Candidate& c, std::int64_t now_ns) {
    if (impl_->closed || c.transport != "udp" || c.component != 1 || c.address.empty()) return;
    impl_->add_remote(c);
    impl_->pace(now_ns);
}

void IceAgent::end_of_remote_candidates() { impl_->remote_eoc = true; }

void IceAgent::start(std::int64_t now_ns) {
    auto& d = *impl_;
    if (d.closed || d.started) return;
    d.started = true;
    d.set_state(IceState::Checking);
    d.pace(now_ns);
}

void IceAgent::close() {
    auto& d = *impl_;
    if (d.closed) return;
    d.closed = true;
    d.triggered.clear();
    for (auto& p : d.pairs) p.next_retransmit_ns = INT64_MAX;
    d.consent_next_ns = d.keepalive_next_ns = INT64_MAX;
    d.set_state(IceState::Closed);
}

void IceAgent::on_media_received(const net::SocketAddress& from, std::int64_t now_ns) noexcept {
    if (impl_->selected && impl_->selected->remote == from) impl_->media_last_ns = now_ns;
}

std::int64_t IceAgent::next_deadline() const noexcept {
    const auto& d = *impl_;
    if (d.closed) return INT64_MAX;
    std::int64_t t = INT64_MAX;
    if (d.has_work()) t = d.last_check_ns + std::int64_t(d.cfg.ta_ms) * 1'000'000;
    for (const auto& p : d.pairs) t = std::min(t, p.next_retransmit_ns);
    if (d.state == IceState::Failed) return t;
    if (d.role == IceRole::Controlling && !d.nominating && d.first_valid_ns != INT64_MAX && !(d.selected && d.selected->nominated))
        t = std::min(t, d.first_valid_ns + std::int64_t(d.cfg.nomination_delay_ms) * 1'000'000);
    if (d.selected) {
        t = std::min({t, d.consent_next_ns, d.keepalive_next_ns});
        if (d.consent_last_ns) t = std::min(t, d.consent_last_ns + std::int64_t(d.cfg.consent_timeout_ms) * 1'000'000);
    }
    return t;
}

void IceAgent::on_timeout(std::int64_t now_ns) {
    auto& d = *impl_;
    if (d.closed) return;
    d.retransmit(now_ns);
    d.pace(now_ns);
    d.maybe_nominate(now_ns);
    if (d.selected && d.state != IceState::Failed) {
        if (d.consent_last_ns && now_ns >= d.consent_last_ns + std::int64_t(d.cfg.consent_timeout_ms) * 1'000'000) {
            // RFC 7675 5.1: no consent for the timeout: stop sending, tell the application.
            d.consent_next_ns = d.keepalive_next_ns = INT64_MAX;
            d.set_state(IceState::Failed);
            d.emit(IceEventType::ConsentLost, "no consent response for " + std::to_string(d.cfg.consent_timeout_ms) + " ms");
            return;
        }
        if (now_ns >= d.consent_next_ns) d.send_consent(now_ns);
        if (now_ns >= d.keepalive_next_ns) {
            // A Binding indication (RFC 8445 11) from a lite agent, which sends no checks.
            StunBuilder b(stun_method::Binding, StunClass::Indication, random_transaction_id());
            b.add_fingerprint();
            d.queue_transmit(d.selected->remote, b.take(), d.selected->relayed);
            d.keepalive_next_ns = now_ns + std::int64_t(d.cfg.keepalive_ms) * 1'000'000;
        }
    }
    d.update_state(now_ns);
}

bool IceAgent::poll_transmit(Transmit& out) {
    if (impl_->out.empty()) return false;
    out = std::move(impl_->out.front());
    impl_->out.pop_front();
    return true;
}

bool IceAgent::poll_event(IceEvent& out) {
    if (impl_->events.empty()) return false;
    out = std::move(impl_->events.front());
    impl_->events.pop_front();
    return true;
}

std::optional<net::SocketAddress> IceAgent::selected_remote() const {
    if (!impl_->selected) return std::nullopt;
    return impl_->selected->remote;
}
bool IceAgent::selected_is_relayed() const noexcept { return impl_->selected && impl_->selected->relayed; }
bool IceAgent::is_selected_remote(const net::SocketAddress& from) const noexcept {
    return impl_->selected && impl_->selected->remote == from;
}

}  // namespace siperb::ice
