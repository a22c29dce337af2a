// What a payload type in an m= line means: its rtpmap, else the RFC 3551 static table.
#pragma once

#include <optional>
#include <string>

#include "sdp/offer_answer.hpp"
#include "sdp/session.hpp"

namespace siperb::sdp::payload {

struct Encoding {
    unsigned pt = 0;
    std::string name;
    std::uint32_t clock_rate = 0;
    unsigned channels = 1;
};

// The encoding of `format` in `m` (nullopt: not numeric, or dynamic without rtpmap).
std::optional<Encoding> encoding_of(const Media& m, const std::string& format);
// RFC 3551 static payload type for name/clock/channels, if any.
std::optional<unsigned> static_pt(const Codec& c);
// Same codec: case-insensitive name, equal clock rate and channel count.
bool same(const Encoding& e, const Codec& c);
bool same(const Encoding& a, const Encoding& b);
bool is_telephone_event(const std::string& name);
bool is_comfort_noise(const std::string& name);
// "PCMU/8000, opus/48000/2" for error messages.
std::string describe(const Media& m);
std::string describe(const std::vector<Codec>& codecs);

}  // namespace siperb::sdp::payload
