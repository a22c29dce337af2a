#include "media/webrtc_transport.hpp"

#include "common/clock.hpp"
#include "common/error.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <random>

namespace siperb::media {

namespace {

constexpr std::int64_t kMs = 1'000'000;

// "1.2.3.4:3478" or "[::1]:3478" (numeric: names are resolved in Python).
net::SocketAddress parse_host_port(const std::string& s, const char* field) {
    const auto colon = s.rfind(':');
    if (colon == std::string::npos || colon + 1 >= s.size()) throw MediaError(field, "must be host:port");
    std::string host = s.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    unsigned long port = 0;
    for (char c : s.substr(colon + 1)) {
        if (!std::isdigit(static_cast<unsigned char>(c)) || (port = port * 10 + static_cast<unsigned>(c - '0')) > 65535)
            throw MediaError(field, "bad port");
    }
    if (port == 0) throw MediaError(field, "bad port");
    return net::SocketAddress::parse(host, static_cast<std::uint16_t>(port), field);
}

bool valid_fingerprint_hex(const std::string& hex) {
    if (hex.size() < 2 || (hex.size() + 1) % 3 != 0) return false;
    for (std::size_t i = 0; i < hex.size(); ++i) {
        const char c = hex[i];
        if (i % 3 == 2 ? c != ':' : !std::isxdigit(static_cast<unsigned char>(c))) return false;
    }
    return true;
}

}  // namespace

WebRtcSetup WebRtcSetup::from(const StreamParams& p) {
    WebRtcSetup s;
    if (p.ice_ufrag.empty() || p.ice_pwd.empty()) throw MediaError("ice_ufrag", "a WebRTC session needs the remote ice-ufrag and ice-pwd");
    if (p.ice_ufrag.size() > 256 || p.ice_pwd.size() > 256) throw MediaError("ice_ufrag", "longer than 256 characters");
    s.ufrag = p.ice_ufrag;
    s.pwd = p.ice_pwd;
    if (p.ice_candidates.size() > 64) throw MediaError("ice_candidates", "more than 64 candidates");
    for (const std::string& v : p.ice_candidates)
        if (auto c = ice::parse_candidate(v); c && c->component == 1) s.candidates.push_back(std::move(*c));
    s.remote_lite = p.ice_lite;
    s.controlling = p.ice_controlling || p.ice_lite;  // a lite remote is never controlling
    if (p.dtls_setup == "active") s.dtls_role = dtls::DtlsRole::Client;
    else if (p.dtls_setup == "passive") s.dtls_role = dtls::DtlsRole::Server;
    else throw MediaError("dtls_setup", "must be 'active' or 'passive' (our role), got '" + p.dtls_setup + "'");
    const auto sp = p.dtls_fingerprint.find(' ');
    if (sp == std::string::npos) throw MediaError("dtls_fingerprint", "must be '<algorithm> <hex>', e.g. 'sha-256 AB:CD:...'");
    s.fp_algorithm = p.dtls_fingerprint.substr(0, sp);
    s.fp_hex = p.dtls_fingerprint.substr(p.dtls_fingerprint.find_first_not_of(' ', sp));
    std::transform(s.fp_algorithm.begin(), s.fp_algorithm.end(), s.fp_algorithm.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::transform(s.fp_hex.begin(), s.fp_hex.end(), s.fp_hex.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (!valid_fingerprint_hex(s.fp_hex)) throw MediaError("dtls_fingerprint", "not colon-separated hex pairs");
    return s;
}

WebRtcTransport::WebRtcTransport(const SessionConfig& cfg, int fd, SessionStats& st, StreamEvents& events)
    : cfg_(cfg), fd_(fd), st_(st), events_(events), local_(net::local_address_of(fd)),
      cert_(dtls::DtlsCertificate::process()) {
    fingerprint_ = cert_->fingerprint_algorithm() + " " + cert_->fingerprint();
    std::random_device rd;
    tie_breaker_ = (std::uint64_t{rd()} << 32) | rd();
    make_agent(ice::IceRole::Controlling, 0);
    ufrag_ = ice_->local_ufrag();
    pwd_ = ice_->local_pwd();
    scratch_.reserve(2048);
}

WebRtcTransport::~WebRtcTransport() = default;

std::string WebRtcTransport::local_ufrag() const {
    std::lock_guard lock(id_mu_);
    return ufrag_;
}

std::string WebRtcTransport::local_pwd() const {
    std::lock_guard lock(id_mu_);
    return pwd_;
}

void WebRtcTransport::make_agent(ice::IceRole role, std::int64_t) {
    ice::IceConfig ic;
    ic.role = role;
    ic.lite = cfg_.ice_lite;
    ic.local_ufrag = ufrag_;  // empty the first time: the agent draws them
    ic.local_pwd = pwd_;
    ic.tie_breaker = tie_breaker_;
    ic.consent_timeout_ms = cfg_.consent_timeout_ms;
    // Consent checks a few times per timeout (RFC 7675 says every 5 s for a 30 s timeout).
    ic.consent_interval_ms = std::clamp<std::uint32_t>(cfg_.consent_timeout_ms / 6, 100, 5000);
    ice_ = std::make_unique<ice::IceAgent>(ic);
    if (!local_.empty()) ice_->add_host_candidate(local_);
    if (turn_) note_gathered();
}

bool WebRtcTransport::apply(const WebRtcSetup& s, std::int64_t now) {
    bool dtls_restart = false;
    const ice::IceRole role = s.controlling ? ice::IceRole::Controlling : ice::IceRole::Controlled;
    if (!applied_ && !cfg_.ice_lite && role != ice_->role()) make_agent(role, now);  // same ufrag/pwd
    applied_ = true;
    if (s.ufrag != remote_ufrag_ || s.pwd != remote_pwd_) {  // first answer, or an ICE restart
        ice_->set_remote_credentials(s.ufrag, s.pwd, now);
        remote_ufrag_ = s.ufrag;
        remote_pwd_ = s.pwd;
        remote_candidates_.clear();
        failed_ = false;
        std::lock_guard lock(id_mu_);  // a restart we answer takes new local credentials
        ufrag_ = ice_->local_ufrag();
        pwd_ = ice_->local_pwd();
    }
    for (const ice::Candidate& c : s.candidates) {
        std::string key = c.to_sdp();
        if (std::find(remote_candidates_.begin(), remote_candidates_.end(), key) != remote_candidates_.end()) continue;
        ice_->add_remote_candidate(c, now);
        remote_candidates_.push_back(std::move(key));
    }
    if (!ice_started_) {
        ice_->start(now);
        ice_started_ = true;
    }
    const bool same_dtls = dtls_ && dtls_->role() == s.dtls_role && fp_algorithm_ == s.fp_algorithm && fp_hex_ == s.fp_hex;
    if (!same_dtls) {
        if (dtls_) {
            dtls_->close();
            after(now);
            dtls_restart = true;
        }
        dtls::DtlsConfig dc;
        dc.role = s.dtls_role;
        dtls_ = std::make_unique<dtls::DtlsSession>(cert_, dc);
        dtls_->set_remote_fingerprint(s.fp_algorithm, s.fp_hex);
        fp_algorithm_ = s.fp_algorithm;
        fp_hex_ = s.fp_hex;
        dtls_started_ = keys_taken_ = false;
        last_dtls_ = dtls::DtlsState::New;
        pending_out_.clear();
        ++st_.dtls_handshakes;
        if (s.dtls_role == dtls::DtlsRole::Server) {
            dtls_->start(now);
            dtls_started_ = true;
            for (const auto& d : early_dtls_) dtls_->on_datagram(d.data(), d.size(), now);
        }
        early_dtls_.clear();
        early_bytes_ = 0;
        if (!dtls_restart) failed_ = false;
    }
    after(now);
    return dtls_restart;
}

bool WebRtcTransport::on_packet(PacketKind kind, const std::uint8_t* data, std::size_t len,
                                const net::SocketAddress& from, std::int64_t now) {
    const bool from_turn = turn_ && from == turn_->server();
    bool media = false;
    if (from_turn && (kind == PacketKind::Stun || kind == PacketKind::TurnChannel)) {
        media = on_turn(data, len, now);
    } else if (kind == PacketKind::Stun && stun_ && from == stun_->server() && stun_->on_datagram(data, len, from, now)) {
        ++st_.stun_received;  // our Binding answer: the server-reflexive address
        if (!srflx_added_ && stun_->mapped()) {
            srflx_added_ = true;
            if (!(*stun_->mapped() == local_)) ice_->add_server_reflexive(*stun_->mapped(), local_);
        }
    } else if (kind == PacketKind::Stun) {
        on_stun(data, len, from, false, now);
    } else if (kind == PacketKind::Dtls) {
        on_dtls(data, len, from, now);
    } else {
        ++st_.demux_dropped;
        return false;
    }
    after(now);
    return media;
}

void WebRtcTransport::on_stun(const std::uint8_t* data, std::size_t len, const net::SocketAddress& from, bool relayed,
                              std::int64_t now) {
    ++st_.stun_received;
    ice_->on_stun(data, len, from, relayed, now);
}

void WebRtcTransport::on_dtls(const std::uint8_t* data, std::size_t len, const net::SocketAddress& from, std::int64_t now) {
    ++st_.dtls_received;
    ice_->on_media_received(from, now);
    if (!dtls_) {  // before start(): a ClientHello ahead of the SDP answer
        if (early_dtls_.size() >= kEarlyDtls || early_bytes_ + len > kEarlyDtlsBytes) {
            ++st_.early_dtls_dropped;
            return;
        }
        early_dtls_.emplace_back(data, data + len);
        early_bytes_ += len;
        return;
    }
    dtls_->on_datagram(data, len, now);
}

bool WebRtcTransport::on_turn(const std::uint8_t* data, std::size_t len, std::int64_t now) {
    relayed_buf_.clear();
    if (!turn_->on_datagram(data, len, now, relayed_buf_, relayed_from_)) return false;
    const PacketKind k = classify_packet(relayed_buf_.data(), relayed_buf_.size());
    if (k == PacketKind::Stun) on_stun(relayed_buf_.data(), relayed_buf_.size(), relayed_from_, true, now);
    else if (k == PacketKind::Dtls) on_dtls(relayed_buf_.data(), relayed_buf_.size(), relayed_from_, now);
    else if (k == PacketKind::Rtp || k == PacketKind::Rtcp) return true;
    else ++st_.demux_dropped;
    return false;
}

void WebRtcTransport::send_media(const net::SocketAddress& to, const std::uint8_t* data, std::size_t len) noexcept {
    if (!turn_) return;
    try {
        turn_->send_to_peer(to, data, len, monotonic_ns());
        std::vector<std::uint8_t> out;
        while (turn_->poll_transmit(out)) send_raw(turn_->server(), out.data(), out.size());
    } catch (...) {
        ++st_.send_errors;
    }
}

bool WebRtcTransport::accept_media(const net::SocketAddress& from, std::int64_t now) noexcept {
    if (!ice_->is_selected_remote(from)) return false;
    ice_->on_media_received(from, now);
    return true;
}

std::int64_t WebRtcTransport::next_deadline() const noexcept {
    std::int64_t t = ice_->next_deadline();
    if (dtls_) t = std::min(t, dtls_->next_deadline());
    if (turn_) t = std::min(t, turn_->next_deadline());
    if (stun_) t = std::min(t, stun_->next_deadline());
    if (gathering_) t = std::min(t, gather_deadline_);
    return t;
}

void WebRtcTransport::on_timeout(std::int64_t now) {
    if (ice_->next_deadline() <= now) ice_->on_timeout(now);
    if (dtls_ && dtls_->next_deadline() <= now) dtls_->on_timeout(now);
    if (turn_ && turn_->next_deadline() <= now) turn_->on_timeout(now);
    if (stun_ && stun_->next_deadline() <= now) stun_->on_timeout(now);
    if (gathering_ && now >= gather_deadline_) gathering_ = false;
    after(now);
}

bool WebRtcTransport::connecting() const noexcept {
    if (failed_) return false;
    if (gathering_) return true;
    const auto is = ice_state();
    if (is != ice::IceState::Connected && is != ice::IceState::Completed) return true;
    return !dtls_ || last_dtls_ != dtls::DtlsState::Connected;
}

bool WebRtcTransport::take_selected(net::SocketAddress& out) noexcept {
    if (!selected_changed_) return false;
    selected_changed_ = false;
    out = selected_;
    return true;
}

std::optional<dtls::DtlsSession::SrtpKeys> WebRtcTransport::take_keys() {
    if (keys_taken_ || !dtls_ || last_dtls_ != dtls::DtlsState::Connected) return std::nullopt;
    keys_taken_ = true;
    ++st_.srtp_keyings;
    return dtls_->srtp_keys();
}

void WebRtcTransport::send_raw(const net::SocketAddress& to, const std::uint8_t* data, std::size_t len) noexcept {
    if (fd_ < 0 || to.empty()) return;
    if (::sendto(fd_, data, len, 0, to.sa(), to.length) < 0) ++st_.send_errors;
}

void WebRtcTransport::send(const net::SocketAddress& to, const std::uint8_t* data, std::size_t len, bool relayed,
                           std::int64_t now) {
    if (!relayed) {
        send_raw(to, data, len);
        return;
    }
    if (!turn_) return;
    turn_->send_to_peer(to, data, len, now);
}

void WebRtcTransport::send_dtls(std::vector<std::uint8_t>& d, std::int64_t now) {
    const auto to = ice_->selected_remote();
    if (!to) {  // the server's flight before ICE selected a pair: held (DTLS retransmits anyway)
        if (pending_out_.size() < kPendingOut) pending_out_.push_back(std::move(d));
        d.clear();
        return;
    }
    send(*to, d.data(), d.size(), ice_->selected_is_relayed(), now);
}

void WebRtcTransport::start_dtls_client(std::int64_t now) {
    if (!dtls_ || dtls_started_ || dtls_->role() != dtls::DtlsRole::Client || !ice_->selected_remote()) return;
    dtls_->start(now);
    dtls_started_ = true;
}

void WebRtcTransport::after(std::int64_t now) {
    for (int round = 0; round < 4; ++round) {  // a state change can queue more (DTLS client start)
        bool more = false;
        ice::IceEvent ev;
        while (ice_->poll_event(ev)) {
            if (ev.type == ice::IceEventType::ConsentLost && !failed_) {
                failed_ = true;
                events_.emit(MediaEventType::ConsentLost);
            }
        }
        const ice::IceState is = ice_->state();
        if (is != last_ice_) {
            last_ice_ = is;
            ice_state_.store(static_cast<int>(is));
            events_.emit(MediaEventType::IceState, static_cast<int>(is));
            if (is == ice::IceState::Failed) failed_ = true;
        }
        const auto sel = ice_->selected_remote();
        if (sel && !(*sel == selected_)) {
            selected_ = *sel;
            selected_changed_ = true;
            events_.emit(MediaEventType::SelectedPair, 0, &selected_);
            if (turn_ && ice_->selected_is_relayed()) turn_->add_peer(selected_, true, now);
            while (!pending_out_.empty()) {
                send(selected_, pending_out_.front().data(), pending_out_.front().size(), ice_->selected_is_relayed(), now);
                pending_out_.pop_front();
            }
            start_dtls_client(now);
            more = true;
        }
        ice::Transmit t;
        while (ice_->poll_transmit(t)) send(t.to, t.data.data(), t.data.size(), t.relayed, now);
        if (dtls_) {
            scratch_.clear();
            while (dtls_->poll_transmit(scratch_)) {
                send_dtls(scratch_, now);
                scratch_.clear();
            }
            const dtls::DtlsState ds = dtls_->state();
            if (ds != last_dtls_) {
                last_dtls_ = ds;
                dtls_state_.store(static_cast<int>(ds));
                const char* why = ds == dtls::DtlsState::Failed ? dtls_->failure().c_str() : "";
                events_.emit_text(MediaEventType::DtlsState, static_cast<int>(ds), why);
                if (ds == dtls::DtlsState::Failed) failed_ = true;
            }
        }
        if (turn_) {
            if (!relay_added_ && turn_->state() == ice::TurnState::Allocated) note_gathered();
            std::vector<std::uint8_t> out;
            while (turn_->poll_transmit(out)) send_raw(turn_->server(), out.data(), out.size());
        }
        if (stun_) {
            ice::Transmit st;
            while (stun_->poll_transmit(st)) send_raw(st.to, st.data.data(), st.data.size());
        }
        if (!more) break;
    }
}

void WebRtcTransport::note_gathered() {
    const auto relayed = turn_->relayed();
    if (!relayed) return;
    relay_added_ = true;
    if (const auto mapped = turn_->mapped()) ice_->add_server_reflexive(*mapped, local_);
    ice_->add_relayed(*relayed, *relayed);
}

void WebRtcTransport::start_gather(std::int64_t now) {
    if (gathering_ || turn_ || stun_) return;  // once per session: re-INVITEs reuse the candidates
    if (!cfg_.stun_server.empty()) {
        ice::StunBindingConfig sc;
        sc.cap_ms = cfg_.gather_timeout_ms;
        stun_ = std::make_unique<ice::StunBindingClient>(sc);
        stun_->start(parse_host_port(cfg_.stun_server, "stun_server"), now);
    }
    if (!cfg_.turn_server.empty()) {
        ice::TurnConfig tc;
        tc.server = parse_host_port(cfg_.turn_server, "turn_server");
        tc.username = cfg_.turn_username;
        tc.password = cfg_.turn_password;
        turn_ = std::make_unique<ice::TurnClient>(tc);
        turn_->start(now);
    }
    if (!stun_ && !turn_) return;
    gathering_ = true;
    gather_deadline_ = now + std::int64_t{cfg_.gather_timeout_ms} * kMs;
    after(now);
}

bool WebRtcTransport::gather_done(std::int64_t now) const noexcept {
    if (!gathering_ || now >= gather_deadline_) return true;
    const bool stun_done = !stun_ || stun_->state() == ice::StunBindingState::Done || stun_->state() == ice::StunBindingState::Failed;
    const bool turn_done = !turn_ || relay_added_ || turn_->state() == ice::TurnState::Failed;
    return stun_done && turn_done;
}

std::vector<std::string> WebRtcTransport::candidates() const {
    std::vector<std::string> out;
    for (const ice::Candidate& c : ice_->local_candidates()) out.push_back(c.to_sdp());
    return out;
}

void WebRtcTransport::close(std::int64_t now) {
    if (dtls_) dtls_->close();
    after(now);
    ice_->close();
    if (turn_) {
        turn_->close(now);
        std::vector<std::uint8_t> out;
        while (turn_->poll_transmit(out)) send_raw(turn_->server(), out.data(), out.size());
    }
    gathering_ = false;
}

}  // namespace siperb::media
