// Candidate arithmetic shared by the agent's files (RFC 8445 5.1.2, 6.1.2.3).
#pragma once

#include "ice/ice_agent.hpp"

#include <cstdint>
#include <string>

namespace siperb::ice {

const char* candidate_type_name(CandidateType t) noexcept;
// Type preferences: host 126, peer-reflexive 110, server-reflexive 100, relayed 0.
std::uint32_t type_preference(CandidateType t) noexcept;
std::uint32_t candidate_priority(CandidateType t, std::uint32_t local_pref, unsigned component = 1) noexcept;
// 2^32*MIN(G,D) + 2*MAX(G,D) + (G>D?1:0), G the controlling agent's candidate priority.
std::uint64_t pair_priority(std::uint32_t controlling, std::uint32_t controlled) noexcept;
// The same string for candidates of the same type, base IP and server (RFC 8445 5.1.1.3).
std::string make_foundation(CandidateType t, const net::SocketAddress& base, const std::string& server);

}  // namespace siperb::ice
