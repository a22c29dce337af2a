// Server-reflexive gathering: one Binding transaction with doubling retransmissions, capped.
#include "ice/stun_gather.hpp"

#include "common/error.hpp"

#include <algorithm>
#include <climits>
#include <cstring>

namespace siperb::ice {

StunBindingClient::StunBindingClient(StunBindingConfig cfg) : cfg_(std::move(cfg)) {
    if (cfg_.rto_ms == 0) cfg_.rto_ms = 100;
}

void StunBindingClient::start(const net::SocketAddress& server, std::int64_t now_ns) {
    server_ = server;
    tid_ = random_transaction_id();
    StunBuilder b(stun_method::Binding, StunClass::Request, tid_);
    if (!cfg_.software.empty()) b.add_string(stun_attr::Software, cfg_.software);
    b.add_fingerprint();
    request_ = b.take();
    state_ = StunBindingState::Running;
    mapped_.reset();
    failure_.clear();
    sent_ = 0;
    started_ns_ = now_ns;
    rto_current_ms_ = cfg_.rto_ms;
    queue_request();
    next_ns_ = now_ns + std::int64_t(rto_current_ms_) * 1'000'000;
}

void StunBindingClient::queue_request() { pending_ = true; }

bool StunBindingClient::poll_transmit(Transmit& out) {
    if (!pending_ || state_ != StunBindingState::Running) return false;
    pending_ = false;
    ++sent_;
    out.to = server_;
    out.data = request_;
    out.relayed = false;
    return true;
}

bool StunBindingClient::on_datagram(const std::uint8_t* data, std::size_t len, const net::SocketAddress& from,
                                    std::int64_t) {
    if (state_ != StunBindingState::Running || !looks_like_stun(data, len)) return false;
    if (len < kStunHeaderSize || std::memcmp(data + 8, tid_.data(), tid_.size()) != 0) return false;
    if (!(from == server_)) return false;
    StunMessage m;
    try {
        m = StunMessage::parse(data, len);
    } catch (const StunParseError&) {
        return false;  // not a valid answer: keep waiting (retransmission or cap)
    }
    if (m.method != stun_method::Binding) return false;
    if (m.cls == StunClass::Error) {
        const auto e = m.error_code();
        failure_ = "STUN server answered " + (e ? std::to_string(e->code) + " " + e->reason : std::string("an error"));
        state_ = StunBindingState::Failed;
    } else if (m.cls == StunClass::Success) {
        mapped_ = m.xor_mapped_address();
        if (!mapped_) mapped_ = m.mapped_address();  // RFC 3489-era servers
        if (mapped_) {
            state_ = StunBindingState::Done;
        } else {
            failure_ = "Binding success without a mapped address";
            state_ = StunBindingState::Failed;
        }
    } else {
        return false;
    }
    next_ns_ = INT64_MAX;
    pending_ = false;
    return true;
}

std::int64_t StunBindingClient::next_deadline() const noexcept {
    return state_ == StunBindingState::Running ? next_ns_ : INT64_MAX;
}

void StunBindingClient::on_timeout(std::int64_t now_ns) {
    if (state_ != StunBindingState::Running || now_ns < next_ns_) return;
    const std::int64_t cap_ns = started_ns_ + std::int64_t(cfg_.cap_ms) * 1'000'000;
    if (now_ns >= cap_ns) {
        state_ = StunBindingState::Failed;
        failure_ = "no answer from the STUN server within " + std::to_string(cfg_.cap_ms) + " ms";
        next_ns_ = INT64_MAX;
        pending_ = false;
        return;
    }
    queue_request();
    rto_current_ms_ = std::min<std::uint32_t>(rto_current_ms_ * 2, 1600);
    next_ns_ = std::min(now_ns + std::int64_t(rto_current_ms_) * 1'000'000, cap_ns);
}

}  // namespace siperb::ice
