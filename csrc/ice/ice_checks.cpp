// Connectivity checks (RFC 8445 7): sending them paced by Ta with retransmissions, answering
// them (peer-reflexive learning, role conflicts, nomination), and consent (RFC 7675).
#include "ice/ice_agent.hpp"

#include "common/error.hpp"
#include "ice/ice_agent_impl.hpp"
#include "ice/ice_candidate.hpp"

#include <algorithm>

namespace siperb::ice {

namespace {
constexpr std::uint32_t kMaxRtoMs = 3200;
constexpr std::size_t kMaxConsentTransactions = 4;
}  // namespace

std::optional<std::size_t> IceAgent::Impl::find_local_for(const net::SocketAddress& from, bool relayed) const {
    for (std::size_t i = 0; i < locals.size(); ++i) {
        const auto& l = locals[i];
        if (l.relayed != relayed || l.base.family() != from.family()) continue;
        if (l.c.type == CandidateType::Host || l.c.type == CandidateType::Relayed) return i;
    }
    return std::nullopt;
}

std::vector<std::uint8_t> IceAgent::Impl::build_check(const CandidatePair& p, const StunTransactionId& tid,
                                                      bool use_candidate) const {
    StunBuilder b(stun_method::Binding, StunClass::Request, tid);
    b.add_string(stun_attr::Username, remote_ufrag + ":" + cfg.local_ufrag);
    // The priority a peer-reflexive candidate learnt from this check would get (RFC 8445 7.1.1).
    const std::uint32_t local_pref = (locals[p.local].c.priority >> 8) & 0xFFFF;
    b.add_u32(stun_attr::Priority, candidate_priority(CandidateType::PeerReflexive, local_pref));
    if (role == IceRole::Controlling) {
        b.add_u64(stun_attr::IceControlling, cfg.tie_breaker);
        if (use_candidate) b.add_flag(stun_attr::UseCandidate);
    } else {
        b.add_u64(stun_attr::IceControlled, cfg.tie_breaker);
    }
    b.add_integrity(remote_pwd);
    b.add_fingerprint();
    return b.take();
}

void IceAgent::Impl::send_check(std::size_t i, std::int64_t now_ns) {
    auto& p = pairs[i];
    p.tid = random_transaction_id();
    p.request = build_check(p, p.tid, p.use_candidate);
    p.sent_role = role;
    p.transmissions = 1;
    p.rto_ms = cfg.check_rto_ms;
    p.next_retransmit_ns = now_ns + std::int64_t(p.rto_ms) * 1'000'000;
    p.state = PairState::InProgress;
    queue_transmit(remotes[p.remote].address, p.request, locals[p.local].relayed);
    last_check_ns = now_ns;
    ++stats.checks_sent;
}

void IceAgent::Impl::retransmit(std::int64_t now_ns) {
    for (auto& p : pairs) {
        if (p.state != PairState::InProgress || now_ns < p.next_retransmit_ns) continue;
        if (p.transmissions >= cfg.check_max_transmissions) {
            // No answer (RFC 8445 7.2.5.2.1 timeout): the pair fails.
            p.state = PairState::Failed;
            p.next_retransmit_ns = INT64_MAX;
            if (p.use_candidate) nominating = false, p.use_candidate = false;
            p.valid = false;
            continue;
        }
        ++p.transmissions;
        p.rto_ms = std::min(p.rto_ms * 2, kMaxRtoMs);
        p.next_retransmit_ns = now_ns + std::int64_t(p.rto_ms) * 1'000'000;
        queue_transmit(remotes[p.remote].address, p.request, locals[p.local].relayed);
        ++stats.checks_sent;
    }
}

bool IceAgent::Impl::pace(std::int64_t now_ns) {
    if (!has_work() || now_ns < last_check_ns + std::int64_t(cfg.ta_ms) * 1'000'000) return false;
    while (!triggered.empty()) {
        const std::size_t i = triggered.front();
        triggered.pop_front();
        if (i >= pairs.size()) continue;
        pairs[i].triggered = false;
        if (pairs[i].state == PairState::Waiting || pairs[i].use_candidate) {
            send_check(i, now_ns);
            return true;
        }
    }
    if (nominating || (selected && selected->nominated && role == IceRole::Controlling)) return false;
    std::optional<std::size_t> best;
    for (std::size_t i = 0; i < pairs.size(); ++i)
        if (pairs[i].state == PairState::Waiting && (!best || pairs[i].priority > pairs[*best].priority)) best = i;
    if (!best) {
        // Unfreeze the best Frozen pair whose foundation has nothing Waiting or In-Progress
        // (RFC 8445 6.1.4.2).
        for (std::size_t i = 0; i < pairs.size(); ++i) {
            if (pairs[i].state != PairState::Frozen) continue;
            const bool busy = std::any_of(pairs.begin(), pairs.end(), [&](const CandidatePair& q) {
                return q.foundation == pairs[i].foundation &&
                       (q.state == PairState::Waiting || q.state == PairState::InProgress);
            });
            if (!busy && (!best || pairs[i].priority > pairs[*best].priority)) best = i;
        }
    }
    if (!best) {
        last_check_ns = now_ns;  // nothing can go now: look again one Ta later, never spin
        return false;
    }
    send_check(*best, now_ns);
    return true;
}

void IceAgent::Impl::maybe_nominate(std::int64_t now_ns) {
    if (cfg.lite || role != IceRole::Controlling || nominating || first_valid_ns == INT64_MAX) return;
    if (selected && selected->nominated) return;
    std::optional<std::size_t> best;
    for (std::size_t i = 0; i < pairs.size(); ++i)
        if (pairs[i].valid && pairs[i].state == PairState::Succeeded && (!best || pairs[i].priority > pairs[*best].priority))
            best = i;
    if (!best) {
        first_valid_ns = INT64_MAX;  // the valid pair failed since: wait for the next one
        return;
    }
    // Regular nomination: wait a little for better pairs unless none is left to check.
    const bool better_pending = std::any_of(pairs.begin(), pairs.end(), [&](const CandidatePair& q) {
        return q.priority > pairs[*best].priority && q.state != PairState::Failed && q.state != PairState::Succeeded;
    });
    if (better_pending && now_ns < first_valid_ns + std::int64_t(cfg.nomination_delay_ms) * 1'000'000) return;
    auto& p = pairs[*best];
    p.use_candidate = true;
    nominating = true;
    if (!p.triggered) triggered.push_front(*best), p.triggered = true;
    pace(now_ns);
}

void IceAgent::Impl::switch_role(const char* why) {
    role = role == IceRole::Controlling ? IceRole::Controlled : IceRole::Controlling;
    ++stats.role_conflicts;
    recompute_priorities();
    nominating = false;
    for (auto& p : pairs) p.use_candidate = false;
    emit(IceEventType::RoleConflict, std::string(why) + ": now " + (role == IceRole::Controlling ? "controlling" : "controlled"));
}

void IceAgent::Impl::send_consent(std::int64_t now_ns) {
    const double f = 0.8 + 0.4 * double(rng() % 1000) / 1000.0;
    consent_next_ns = now_ns + std::int64_t(f * cfg.consent_interval_ms * 1e6);
    if (remote_pwd.empty() || !selected) return;
    const auto local = find_local_for(selected->remote, selected->relayed);
    if (!local) return;
    CandidatePair p;
    p.local = *local;
    const auto tid = random_transaction_id();
    if (consent_tids.size() >= kMaxConsentTransactions) consent_tids.pop_front();
    consent_tids.push_back(tid);
    queue_transmit(selected->remote, build_check(p, tid, false), selected->relayed);
    ++stats.checks_sent;
}

namespace {
std::vector<std::uint8_t> error_response(const StunMessage& m, unsigned code, const char* reason, const std::string& pwd) {
    StunBuilder b(stun_method::Binding, StunClass::Error, m.transaction_id);
    b.add_error_code(code, reason);
    if (code == 420) {
        std::vector<std::uint8_t> v;
        for (auto t : m.unknown_required) v.push_back(std::uint8_t(t >> 8)), v.push_back(std::uint8_t(t));
        b.add_bytes(stun_attr::UnknownAttributes, v.data(), v.size());
    }
    b.add_integrity(pwd);
    b.add_fingerprint();
    return b.take();
}
}  // namespace

void IceAgent::Impl::handle_request(const StunMessage& m, const net::SocketAddress& from, bool relayed,
                                    std::int64_t now_ns) {
    const auto user = m.username();
    if (!user || !m.has(stun_attr::MessageIntegrity) || !m.has_fingerprint) {
        ++stats.dropped;
        return;
    }
    const auto colon = user->find(':');
    if (colon == std::string_view::npos || user->substr(0, colon) != cfg.local_ufrag || !m.check_integrity(cfg.local_pwd)) {
        ++stats.dropped;  // wrong ufrag or forged: no answer (no amplification for strangers)
        return;
    }
    ++stats.checks_received;
    if (!m.unknown_required.empty()) {
        queue_transmit(from, error_response(m, 420, "Unknown Attribute", cfg.local_pwd), relayed);
        return;
    }
    // Role conflict (RFC 8445 7.3.1.1).
    const auto ctl = m.ice_controlling();
    const auto ced = m.ice_controlled();
    if (role == IceRole::Controlling && ctl) {
        if (cfg.tie_breaker >= *ctl) {
            queue_transmit(from, error_response(m, 487, "Role Conflict", cfg.local_pwd), relayed);
            ++stats.role_conflicts;
            emit(IceEventType::RoleConflict, "both controlling: answered 487, staying controlling");
            return;
        }
        switch_role("both controlling, remote tie-breaker larger");
    } else if (role == IceRole::Controlled && ced) {
        if (cfg.tie_breaker >= *ced) {
            switch_role("both controlled, our tie-breaker larger");
        } else {
            queue_transmit(from, error_response(m, 487, "Role Conflict", cfg.local_pwd), relayed);
            ++stats.role_conflicts;
            emit(IceEventType::RoleConflict, "both controlled: answered 487, staying controlled");
            return;
        }
    }

    StunBuilder b(stun_method::Binding, StunClass::Success, m.transaction_id);
    b.add_xor_address(stun_attr::XorMappedAddress, from);
    b.add_integrity(cfg.local_pwd);
    b.add_fingerprint();
    queue_transmit(from, b.take(), relayed);

    const auto local = find_local_for(from, relayed);
    if (!local) return;
    auto remote = find_remote(from);
    if (!remote) {
        // A peer-reflexive remote candidate (RFC 8445 7.3.1.3): never signalled, learnt here.
        Candidate c;
        c.foundation = "prflx" + std::to_string(++prflx_counter);
        c.priority = m.priority().value_or(candidate_priority(CandidateType::PeerReflexive, 65535));
        c.address = from;
        c.type = CandidateType::PeerReflexive;
        remote = add_remote(c);
        if (!remote) return;
    }
    const auto pi = add_pair(*local, *remote);
    if (!pi) return;
    auto& p = pairs[*pi];
    const bool use = m.use_candidate() && role == IceRole::Controlled;
    if (cfg.lite) {
        // A lite agent's pairs become valid when a check arrives (RFC 8445 7.3.1.5 for lite).
        p.state = PairState::Succeeded;
        p.valid = true;
        if (use) p.nominated = true;
        select(p, p.nominated);
        if (selected && selected->remote == from) consent_last_ns = now_ns;
    } else if (p.state == PairState::Succeeded) {
        if (use) {
            p.nominated = true;
            select(p, true);
        }
    } else {
        if (use) p.nominate_on_success = true;
        if (p.state != PairState::InProgress) {
            p.state = PairState::Waiting;
            if (!p.triggered) triggered.push_back(*pi), p.triggered = true;
        }
    }
    pace(now_ns);
    update_state(now_ns);
}

void IceAgent::Impl::handle_response(const StunMessage& m, const net::SocketAddress& from, bool relayed,
                                     std::int64_t now_ns) {
    const auto consent = std::find(consent_tids.begin(), consent_tids.end(), m.transaction_id);
    if (consent != consent_tids.end()) {
        if (!m.check_integrity(remote_pwd) || !m.has_fingerprint) {
            ++stats.dropped;
            return;
        }
        consent_tids.erase(consent);
        ++stats.responses_received;
        if (m.cls == StunClass::Success && selected && selected->remote == from && selected->relayed == relayed)
            consent_last_ns = now_ns;
        return;
    }
    std::optional<std::size_t> pi;
    for (std::size_t i = 0; i < pairs.size(); ++i)
        if (pairs[i].state == PairState::InProgress && pairs[i].tid == m.transaction_id) pi = i;
    if (!pi || !m.has_fingerprint || !m.check_integrity(remote_pwd)) {
        ++stats.dropped;
        return;
    }
    ++stats.responses_received;
    auto& p = pairs[*pi];
    p.next_retransmit_ns = INT64_MAX;
    const bool was_nominating = p.use_candidate;
    if (!(from == remotes[p.remote].address) || relayed != locals[p.local].relayed) {
        p.state = PairState::Failed;  // not symmetric (RFC 8445 7.2.5.2.1)
        p.valid = false;
        if (was_nominating) nominating = false, p.use_candidate = false;
        update_state(now_ns);
        return;
    }
    if (m.cls == StunClass::Error) {
        const auto e = m.error_code();
        if (e && e->code == 487) {
            // We were wrong about our role: switch and check the pair again (RFC 8445 7.2.5.1),
            // unless an earlier 487 has switched it already.
            if (p.sent_role == role) switch_role("487 role conflict answered");
            p.state = PairState::Waiting;
            if (!p.triggered) triggered.push_back(*pi), p.triggered = true;
            pace(now_ns);
        } else {
            p.state = PairState::Failed;
            p.valid = false;
            if (was_nominating) nominating = false, p.use_candidate = false;
        }
        update_state(now_ns);
        return;
    }
    if (const auto mapped = m.xor_mapped_address(); mapped && !(*mapped == locals[p.local].c.address)) {
        // A local peer-reflexive candidate (RFC 8445 7.2.5.3.1): we are behind a NAT the
        // remote sees us through.
        const auto base = locals[p.local].base;
        add_local(CandidateType::PeerReflexive, *mapped, base, locals[p.local].relayed, "");
    }
    p.state = PairState::Succeeded;
    p.valid = true;
    for (auto& q : pairs)
        if (q.state == PairState::Frozen && q.foundation == p.foundation) q.state = PairState::Waiting;
    if (first_valid_ns == INT64_MAX) first_valid_ns = now_ns;
    bool nominate = false;
    if (role == IceRole::Controlling && was_nominating) {
        nominate = true;
        nominating = false;
    } else if (role == IceRole::Controlled && p.nominate_on_success) {
        nominate = true;
    }
    if (nominate) p.nominated = true;
    select(p, nominate);
    if (selected && selected->remote == from) consent_last_ns = now_ns;
    maybe_nominate(now_ns);
    update_state(now_ns);
}

void IceAgent::on_stun(const std::uint8_t* data, std::size_t len, const net::SocketAddress& from, bool relayed,
                       std::int64_t now_ns) {
    auto& d = *impl_;
    if (d.closed) return;
    StunMessage m;
    try {
        m = StunMessage::parse(data, len);
    } catch (const StunParseError&) {
        ++d.stats.dropped;
        return;
    }
    if (m.method != stun_method::Binding) {
        ++d.stats.dropped;
        return;
    }
    switch (m.cls) {
    case StunClass::Request: d.handle_request(m, from, relayed, now_ns); break;
    case StunClass::Success:
    case StunClass::Error: d.handle_response(m, from, relayed, now_ns); break;
    case StunClass::Indication: break;  // a keep-alive
    }
}

}  // namespace siperb::ice
