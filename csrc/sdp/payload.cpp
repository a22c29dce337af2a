#include "sdp/payload.hpp"

#include "sdp/text.hpp"

namespace siperb::sdp::payload {

namespace {

struct Static {
    unsigned pt;
    const char* name;
    std::uint32_t clock;
    unsigned channels;
};
// RFC 3551 tables 4 and 5 (audio).
constexpr Static kStatic[] = {
    {0, "PCMU", 8000, 1},   {3, "GSM", 8000, 1},    {4, "G723", 8000, 1},   {5, "DVI4", 8000, 1},
    {6, "DVI4", 16000, 1},  {7, "LPC", 8000, 1},    {8, "PCMA", 8000, 1},   {9, "G722", 8000, 1},
    {10, "L16", 44100, 2},  {11, "L16", 44100, 1},  {12, "QCELP", 8000, 1}, {13, "CN", 8000, 1},
    {14, "MPA", 90000, 1},  {15, "G728", 8000, 1},  {16, "DVI4", 11025, 1}, {17, "DVI4", 22050, 1},
    {18, "G729", 8000, 1},
};

}  // namespace

std::optional<Encoding> encoding_of(const Media& m, const std::string& format) {
    if (format.empty() || format.size() > 3 ||
        format.find_first_not_of("0123456789") != std::string::npos)
        return std::nullopt;
    unsigned pt = static_cast<unsigned>(std::stoul(format));
    if (const RtpMap* r = m.rtpmap_for(pt))
        return Encoding{pt, r->encoding, r->clock_rate, r->channels.value_or(1)};
    for (const auto& s : kStatic)
        if (s.pt == pt) return Encoding{pt, s.name, s.clock, s.channels};
    return std::nullopt;
}

std::optional<unsigned> static_pt(const Codec& c) {
    for (const auto& s : kStatic)
        if (text::iequals(s.name, c.name) && s.clock == c.clock_rate && s.channels == c.channels)
            return s.pt;
    return std::nullopt;
}

bool same(const Encoding& e, const Codec& c) {
    return text::iequals(e.name, c.name) && e.clock_rate == c.clock_rate && e.channels == c.channels;
}

bool same(const Encoding& a, const Encoding& b) {
    return text::iequals(a.name, b.name) && a.clock_rate == b.clock_rate && a.channels == b.channels;
}

bool is_telephone_event(const std::string& name) { return text::iequals(name, "telephone-event"); }
bool is_comfort_noise(const std::string& name) { return text::iequals(name, "CN"); }

namespace {
std::string describe_one(const std::string& name, std::uint32_t clock, unsigned channels) {
    std::string s = name + '/' + std::to_string(clock);
    if (channels != 1) s += '/' + std::to_string(channels);
    return s;
}
}  // namespace

std::string describe(const Media& m) {
    std::string out;
    for (const auto& f : m.formats) {
        auto e = encoding_of(m, f);
        out += out.empty() ? "" : ", ";
        out += e ? describe_one(e->name, e->clock_rate, e->channels) : "pt " + f;
    }
    return out.empty() ? "none" : out;
}

std::string describe(const std::vector<Codec>& codecs) {
    std::string out;
    for (const auto& c : codecs) out += (out.empty() ? "" : ", ") + describe_one(c.name, c.clock_rate, c.channels);
    return out.empty() ? "none" : out;
}

}  // namespace siperb::sdp::payload
