// Typed a= attribute values: parse (throwing SdpParseError("a=<name>", reason)) and format.
#pragma once

#include <string>
#include <string_view>

#include "sdp/session.hpp"

namespace siperb::sdp::attr {

RtpMap parse_rtpmap(std::string_view v);
Fmtp parse_fmtp(std::string_view v);
Rtcp parse_rtcp(std::string_view v);
Crypto parse_crypto(std::string_view v);
Fingerprint parse_fingerprint(std::string_view v);
Setup parse_setup(std::string_view v);
Candidate parse_candidate(std::string_view v);
Group parse_group(std::string_view v);
Ssrc parse_ssrc(std::string_view v);
Extmap parse_extmap(std::string_view v);
Msid parse_msid(std::string_view v);
unsigned parse_ms(std::string_view v, const char* field);  // ptime / maxptime
std::string parse_nonempty(std::string_view v, const char* field);  // mid
std::string parse_ice_chars(std::string_view v, const char* field);  // ice-ufrag, ice-pwd

std::string format(const RtpMap& a);
std::string format(const Fmtp& a);
std::string format(const Rtcp& a);
std::string format(const Crypto& a);
std::string format(const Fingerprint& a);
std::string format(const Candidate& a);
std::string format(const Group& a);
std::string format(const Ssrc& a);
std::string format(const Extmap& a);
std::string format(const Msid& a);

}  // namespace siperb::sdp::attr
