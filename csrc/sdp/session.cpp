#include "sdp/session.hpp"

#include "common/error.hpp"
#include "sdp/text.hpp"

namespace siperb::sdp {

const char* to_string(Direction d) noexcept {
    switch (d) {
        case Direction::sendonly: return "sendonly";
        case Direction::recvonly: return "recvonly";
        case Direction::inactive: return "inactive";
        case Direction::sendrecv: break;
    }
    return "sendrecv";
}

const char* to_string(Setup s) noexcept {
    switch (s) {
        case Setup::active: return "active";
        case Setup::passive: return "passive";
        case Setup::holdconn: return "holdconn";
        case Setup::actpass: break;
    }
    return "actpass";
}

std::optional<Direction> direction_from(std::string_view n) noexcept {
    if (n == "sendrecv") return Direction::sendrecv;
    if (n == "sendonly") return Direction::sendonly;
    if (n == "recvonly") return Direction::recvonly;
    if (n == "inactive") return Direction::inactive;
    return std::nullopt;
}

std::optional<Setup> setup_from(std::string_view n) noexcept {
    if (n == "active") return Setup::active;
    if (n == "passive") return Setup::passive;
    if (n == "actpass") return Setup::actpass;
    if (n == "holdconn") return Setup::holdconn;
    return std::nullopt;
}

bool sends(Direction d) noexcept { return d == Direction::sendrecv || d == Direction::sendonly; }
bool receives(Direction d) noexcept { return d == Direction::sendrecv || d == Direction::recvonly; }

Direction direction_of(bool send, bool recv) noexcept {
    if (send && recv) return Direction::sendrecv;
    if (send) return Direction::sendonly;
    if (recv) return Direction::recvonly;
    return Direction::inactive;
}

std::vector<std::pair<std::string, std::string>> Fmtp::parameters() const {
    std::vector<std::pair<std::string, std::string>> out;
    std::string_view s = params;
    while (!s.empty()) {
        auto semi = s.find(';');
        std::string_view item = text::trim(s.substr(0, semi));
        s = semi == std::string_view::npos ? std::string_view{} : s.substr(semi + 1);
        if (item.empty()) continue;
        auto eq = item.find('=');
        if (eq == std::string_view::npos)
            out.emplace_back(std::string(item), std::string());
        else
            out.emplace_back(std::string(text::trim(item.substr(0, eq))),
                             std::string(text::trim(item.substr(eq + 1))));
    }
    return out;
}

bool Media::is_rtp() const noexcept { return proto.find("RTP/") != std::string::npos; }
bool Media::is_dtls() const noexcept { return proto == "UDP/TLS/RTP/SAVPF" || proto == "UDP/TLS/RTP/SAVP"; }

const RtpMap* Media::rtpmap_for(unsigned payload_type) const noexcept {
    for (const auto& r : rtpmaps)
        if (r.payload_type == payload_type) return &r;
    return nullptr;
}

const Fmtp* Media::fmtp_for(std::string_view format) const noexcept {
    for (const auto& f : fmtps)
        if (f.format == format) return &f;
    return nullptr;
}

Direction Session::media_direction(std::size_t index) const {
    if (index >= media.size()) throw SdpParseError("m", "no media at index " + std::to_string(index));
    return media[index].direction.value_or(direction.value_or(Direction::sendrecv));
}

const Connection* Session::media_connection(std::size_t index) const {
    if (index >= media.size()) throw SdpParseError("m", "no media at index " + std::to_string(index));
    if (media[index].connection) return &*media[index].connection;
    return connection ? &*connection : nullptr;
}

}  // namespace siperb::sdp
