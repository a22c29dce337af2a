// The TURN client (RFC 8656): allocation with long-term credentials, refreshes, permissions,
// channels, Send/Data indications and ChannelData, as a sans-IO state machine.
#include "ice/turn_client.hpp"

#include "common/error.hpp"
#include "ice/stun_message.hpp"

#include <algorithm>
#include <climits>
#include <cstring>
#include <deque>
#include <functional>

namespace siperb::ice {

namespace {

constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kPermissionRefreshMs = 240'000;  // permissions last 300 s (RFC 8656 9)
constexpr std::int64_t kChannelRefreshMs = 540'000;     // channels last 600 s (RFC 8656 12)
constexpr unsigned kMaxNonceRetries = 3;
constexpr std::size_t kMaxQueued = 256;

enum class Kind { Allocate, Refresh, Permission, ChannelBind };

struct Transaction {
    Kind kind = Kind::Allocate;
    StunTransactionId tid{};
    std::vector<std::uint8_t> request;
    std::int64_t next_ns = INT64_MAX;
    std::uint32_t rto_ms = 0;
    unsigned transmissions = 0, nonce_retries = 0;
    net::SocketAddress peer;
    std::uint32_t lifetime = 0;
};

struct Peer {
    net::SocketAddress addr;
    bool want_channel = false, permitted = false, bound = false;
    std::uint16_t channel = 0;
    std::int64_t permission_refresh_ns = INT64_MAX, channel_refresh_ns = INT64_MAX;
};

}  // namespace

struct TurnClient::Impl {
    TurnConfig cfg;
    TurnState state = TurnState::New;
    std::string failure, realm, nonce, key;
    std::optional<net::SocketAddress> relayed, mapped;
    std::vector<Transaction> txns;
    std::vector<Peer> peers;
    std::deque<std::vector<std::uint8_t>> out;
    std::int64_t refresh_ns = INT64_MAX;
    std::uint16_t next_channel = 0x4000;
    TurnClient::Stats stats;

    void queue(std::vector<std::uint8_t> d) {
        if (out.size() >= kMaxQueued) out.pop_front(), ++stats.dropped;
        out.push_back(std::move(d));
    }
    void fail(std::string why) {
        state = TurnState::Failed;
        failure = std::move(why);
        txns.clear();
        refresh_ns = INT64_MAX;
    }
    Peer* find_peer(const net::SocketAddress& a) {
        for (auto& p : peers)
            if (p.addr == a) return &p;
        return nullptr;
    }
    // Builds the request for a transaction (authenticated once we know realm and nonce).
    std::vector<std::uint8_t> build(const Transaction& t) const {
        static constexpr std::uint16_t kMethod[] = {stun_method::Allocate, stun_method::Refresh,
                                                    stun_method::CreatePermission, stun_method::ChannelBind};
        StunBuilder b(kMethod[int(t.kind)], StunClass::Request, t.tid);
        switch (t.kind) {
        case Kind::Allocate:
            b.add_requested_transport(17);
            b.add_u32(stun_attr::Lifetime, t.lifetime);
            break;
        case Kind::Refresh: b.add_u32(stun_attr::Lifetime, t.lifetime); break;
        case Kind::Permission: b.add_xor_address(stun_attr::XorPeerAddress, t.peer); break;
        case Kind::ChannelBind: {
            b.add_channel_number(t.lifetime ? std::uint16_t(t.lifetime) : 0);
            b.add_xor_address(stun_attr::XorPeerAddress, t.peer);
            break;
        }
        }
        if (!cfg.software.empty()) b.add_string(stun_attr::Software, cfg.software);
        if (!nonce.empty()) {
            b.add_string(stun_attr::Username, cfg.username);
            b.add_string(stun_attr::Realm, realm);
            b.add_string(stun_attr::Nonce, nonce);
            b.add_integrity(key);
        }
        b.add_fingerprint();
        return b.take();
    }
    void send(Transaction t, std::int64_t now) {
        t.tid = random_transaction_id();
        t.request = build(t);
        t.transmissions = 1;
        t.rto_ms = cfg.rto_ms;
        t.next_ns = now + std::int64_t(t.rto_ms) * kMs;
        queue(t.request);
        ++stats.requests_sent;
        txns.push_back(std::move(t));
    }
    void request(Kind kind, std::int64_t now, const net::SocketAddress& peer = {}, std::uint32_t value = 0) {
        Transaction t;
        t.kind = kind;
        t.peer = peer;
        t.lifetime = value;  // LIFETIME, or the channel number for ChannelBind
        send(std::move(t), now);
    }
    void install(Peer& p, std::int64_t now) {
        if (p.want_channel) {
            if (!p.channel) p.channel = next_channel++;
            request(Kind::ChannelBind, now, p.addr, p.channel);
        } else {
            request(Kind::Permission, now, p.addr);
        }
    }
    void on_response(const StunMessage& m, std::int64_t now);
};

void TurnClient::Impl::on_response(const StunMessage& m, std::int64_t now) {
    auto it = std::find_if(txns.begin(), txns.end(), [&](const Transaction& t) { return t.tid == m.transaction_id; });
    if (it == txns.end()) {
        ++stats.dropped;
        return;
    }
    // Answers to authenticated requests must carry our integrity (RFC 8489 9.2.4); a 401 to the
    // first, unauthenticated Allocate cannot.
    const auto err = m.error_code();
    const bool challenge = m.cls == StunClass::Error && err && (err->code == 401 || err->code == 438);
    if (!key.empty() && !challenge && !m.check_integrity(key)) {
        ++stats.dropped;
        return;
    }
    ++stats.responses_received;
    Transaction t = std::move(*it);
    txns.erase(it);
    if (m.cls == StunClass::Error) {
        const unsigned code = err ? err->code : 0;
        if ((code == 401 && nonce.empty()) || (code == 438 && t.nonce_retries < kMaxNonceRetries)) {
            if (!m.realm() || !m.nonce()) return fail("TURN " + std::to_string(code) + " without REALM and NONCE");
            if (code == 401 || realm.empty()) realm = std::string(*m.realm());
            nonce = std::string(*m.nonce());
            key = stun_long_term_key(cfg.username, realm, cfg.password);
            ++t.nonce_retries;
            return send(std::move(t), now);
        }
        const std::string why = "TURN " + std::string(t.kind == Kind::Allocate ? "Allocate" : t.kind == Kind::Refresh ? "Refresh" : t.kind == Kind::Permission ? "CreatePermission" : "ChannelBind") +
                                " answered " + std::to_string(code) + " " + (err ? err->reason : std::string());
        if (t.kind == Kind::Allocate || t.kind == Kind::Refresh) {
            if (state == TurnState::Closed) return;
            return fail(why);
        }
        if (Peer* p = find_peer(t.peer)) {
            p->permitted = p->bound = false;
            p->permission_refresh_ns = p->channel_refresh_ns = INT64_MAX;
        }
        failure = why;  // the allocation stays; this peer is not reachable through it
        return;
    }
    if (m.cls != StunClass::Success) return;
    switch (t.kind) {
    case Kind::Allocate: {
        relayed = m.address(stun_attr::XorRelayedAddress);
        mapped = m.xor_mapped_address();
        if (!relayed) return fail("Allocate success without XOR-RELAYED-ADDRESS");
        state = TurnState::Allocated;
        const std::uint32_t life = m.lifetime().value_or(cfg.lifetime_s);
        refresh_ns = now + std::int64_t(life > 120 ? life - 60 : std::max<std::uint32_t>(life / 2, 1)) * 1000 * kMs;
        for (auto& p : peers) install(p, now);
        break;
    }
    case Kind::Refresh: {
        if (state == TurnState::Closed) return;
        const std::uint32_t life = m.lifetime().value_or(cfg.lifetime_s);
        refresh_ns = now + std::int64_t(life > 120 ? life - 60 : std::max<std::uint32_t>(life / 2, 1)) * 1000 * kMs;
        break;
    }
    case Kind::Permission:
        if (Peer* p = find_peer(t.peer)) {
            p->permitted = true;
            p->permission_refresh_ns = now + kPermissionRefreshMs * kMs;
        }
        break;
    case Kind::ChannelBind:
        if (Peer* p = find_peer(t.peer)) {
            p->permitted = p->bound = true;
            // A channel binding refresh also refreshes the permission (RFC 8656 12).
            p->channel_refresh_ns = now + kChannelRefreshMs * kMs;
            p->permission_refresh_ns = now + kPermissionRefreshMs * kMs;
        }
        break;
    }
}

TurnClient::TurnClient(TurnConfig cfg) : impl_(std::make_unique<Impl>()) {
    impl_->cfg = std::move(cfg);
    if (impl_->cfg.rto_ms == 0) impl_->cfg.rto_ms = 500;
    if (impl_->cfg.max_transmissions == 0) impl_->cfg.max_transmissions = 1;
    impl_->cfg.max_peers = std::min<std::uint32_t>(impl_->cfg.max_peers, 1000);
}
TurnClient::~TurnClient() = default;
TurnClient::TurnClient(TurnClient&&) noexcept = default;
TurnClient& TurnClient::operator=(TurnClient&&) noexcept = default;

TurnState TurnClient::state() const noexcept { return impl_->state; }
const std::string& TurnClient::failure() const noexcept { return impl_->failure; }
const net::SocketAddress& TurnClient::server() const noexcept { return impl_->cfg.server; }
std::optional<net::SocketAddress> TurnClient::relayed() const { return impl_->relayed; }
std::optional<net::SocketAddress> TurnClient::mapped() const { return impl_->mapped; }
TurnClient::Stats TurnClient::stats() const noexcept { return impl_->stats; }

bool TurnClient::channel_bound(const net::SocketAddress& peer) const noexcept {
    const Peer* p = impl_->find_peer(peer);
    return p && p->bound;
}
bool TurnClient::permitted(const net::SocketAddress& peer) const noexcept {
    const Peer* p = impl_->find_peer(peer);
    return p && p->permitted;
}

void TurnClient::start(std::int64_t now_ns) {
    auto& d = *impl_;
    if (d.state != TurnState::New) return;
    d.state = TurnState::Allocating;
    d.request(Kind::Allocate, now_ns, {}, d.cfg.lifetime_s);
}

void TurnClient::close(std::int64_t now_ns) {
    auto& d = *impl_;
    const bool allocated = d.state == TurnState::Allocated;
    d.txns.clear();
    d.refresh_ns = INT64_MAX;
    d.state = TurnState::Closed;
    if (allocated) {
        // Deallocate (RFC 8656 7.2: Refresh with LIFETIME 0); sent once, no retransmission.
        d.request(Kind::Refresh, now_ns, {}, 0);
        d.txns.back().next_ns = INT64_MAX;
    }
}

std::int64_t TurnClient::next_deadline() const noexcept {
    const auto& d = *impl_;
    std::int64_t t = d.refresh_ns;
    for (const auto& x : d.txns) t = std::min(t, x.next_ns);
    for (const auto& p : d.peers) t = std::min({t, p.permission_refresh_ns, p.channel_refresh_ns});
    return t;
}

void TurnClient::on_timeout(std::int64_t now_ns) {
    auto& d = *impl_;
    for (std::size_t i = 0; i < d.txns.size(); ++i) {
        auto& t = d.txns[i];
        if (now_ns < t.next_ns) continue;
        if (t.transmissions >= d.cfg.max_transmissions) {
            if (t.kind == Kind::Allocate || t.kind == Kind::Refresh)
                return d.fail("no answer from the TURN server " + d.cfg.server.host() + ":" + std::to_string(d.cfg.server.port()));
            t.next_ns = INT64_MAX;
            continue;
        }
        ++t.transmissions;
        t.rto_ms = std::min<std::uint32_t>(t.rto_ms * 2, 3200);
        t.next_ns = now_ns + std::int64_t(t.rto_ms) * kMs;
        d.queue(t.request);
        ++d.stats.requests_sent;
    }
    std::erase_if(d.txns, [](const Transaction& t) { return t.next_ns == INT64_MAX; });
    if (d.state != TurnState::Allocated) return;
    if (now_ns >= d.refresh_ns) {
        d.refresh_ns = INT64_MAX;
        d.request(Kind::Refresh, now_ns, {}, d.cfg.lifetime_s);
    }
    for (auto& p : d.peers) {
        if (now_ns >= p.channel_refresh_ns) {
            p.channel_refresh_ns = p.permission_refresh_ns = INT64_MAX;
            d.request(Kind::ChannelBind, now_ns, p.addr, p.channel);
        } else if (now_ns >= p.permission_refresh_ns) {
            p.permission_refresh_ns = INT64_MAX;
            d.request(Kind::Permission, now_ns, p.addr);
        }
    }
}

void TurnClient::add_peer(const net::SocketAddress& peer, bool channel, std::int64_t now_ns) {
    auto& d = *impl_;
    if (Peer* p = d.find_peer(peer)) {
        if (channel && !p->want_channel) {
            p->want_channel = true;
            if (d.state == TurnState::Allocated) d.install(*p, now_ns);
        }
        return;
    }
    if (d.peers.size() >= d.cfg.max_peers || d.next_channel > 0x4FFF) {
        ++d.stats.dropped;
        return;
    }
    d.peers.push_back({peer, channel});
    if (d.state == TurnState::Allocated) d.install(d.peers.back(), now_ns);
}

void TurnClient::send_to_peer(const net::SocketAddress& peer, const std::uint8_t* data, std::size_t len,
                              std::int64_t now_ns) {
    auto& d = *impl_;
    if (d.state != TurnState::Allocated || len > 65535 - 64) {
        ++d.stats.dropped;
        return;
    }
    // A peer nobody announced (a peer-reflexive address ICE learnt): ask for its permission
    // first, so that the server forwards it once installed (bounded by max_peers).
    if (!d.find_peer(peer)) add_peer(peer, false, now_ns);
    const Peer* p = d.find_peer(peer);
    if (p && p->bound) {
        // ChannelData (RFC 8656 12.5): channel number, length, data; no padding over UDP.
        std::vector<std::uint8_t> v(4 + len);
        v[0] = std::uint8_t(p->channel >> 8);
        v[1] = std::uint8_t(p->channel);
        v[2] = std::uint8_t(len >> 8);
        v[3] = std::uint8_t(len);
        if (len) std::memcpy(v.data() + 4, data, len);
        d.queue(std::move(v));
    } else {
        StunBuilder b(stun_method::Send, StunClass::Indication, random_transaction_id());
        b.add_xor_address(stun_attr::XorPeerAddress, peer);
        b.add_bytes(stun_attr::Data, data, len);
        d.queue(b.take());
    }
    ++d.stats.data_out;
}

bool TurnClient::on_datagram(const std::uint8_t* data, std::size_t len, std::int64_t now_ns,
                             std::vector<std::uint8_t>& peer_data, net::SocketAddress& peer) {
    auto& d = *impl_;
    if (len >= 4 && data[0] >= 64 && data[0] <= 79) {
        const std::uint16_t channel = std::uint16_t((data[0] << 8) | data[1]);
        const std::size_t n = std::size_t((data[2] << 8) | data[3]);
        const auto it = std::find_if(d.peers.begin(), d.peers.end(), [&](const Peer& p) { return p.bound && p.channel == channel; });
        if (n > len - 4 || it == d.peers.end()) {
            ++d.stats.dropped;
            return false;
        }
        peer_data.assign(data + 4, data + 4 + n);
        peer = it->addr;
        ++d.stats.data_in;
        return true;
    }
    StunMessage m;
    try {
        m = StunMessage::parse(data, len);
    } catch (const StunParseError&) {
        ++d.stats.dropped;
        return false;
    }
    if (m.cls == StunClass::Indication) {
        const auto from = m.address(stun_attr::XorPeerAddress);
        const auto payload = m.data();
        if (m.method != stun_method::Data || !from || !payload) {
            ++d.stats.dropped;
            return false;
        }
        peer_data.assign(payload->begin(), payload->end());
        peer = *from;
        ++d.stats.data_in;
        return true;
    }
    if (m.cls == StunClass::Request) {
        ++d.stats.dropped;
        return false;
    }
    d.on_response(m, now_ns);
    return false;
}

bool TurnClient::poll_transmit(std::vector<std::uint8_t>& out) {
    if (impl_->out.empty()) return false;
    out = std::move(impl_->out.front());
    impl_->out.pop_front();
    return true;
}

}  // namespace siperb::ice
