#include "dsp/e_model.hpp"

#include <algorithm>
#include <cctype>

namespace siperb::dsp {

namespace {
bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return std::tolower(x) == std::tolower(y); });
}
}  // namespace

CodecImpairment codec_impairment(std::string_view codec) noexcept {
    if (iequals(codec, "PCMU") || iequals(codec, "PCMA")) return {0.0, 25.1};
    if (iequals(codec, "opus")) return {0.0, 20.0};
    return {10.0, 10.0};
}

double delay_impairment(double d) noexcept {
    d = std::max(d, 0.0);
    return 0.024 * d + (d > 177.3 ? 0.11 * (d - 177.3) : 0.0);
}

double r_factor(CodecImpairment codec, double loss_percent, double one_way_ms) noexcept {
    const double ppl = std::clamp(loss_percent, 0.0, 100.0);
    const double ie_eff = codec.ie + (95.0 - codec.ie) * ppl / (ppl + codec.bpl);
    return std::clamp(93.2 - delay_impairment(one_way_ms) - ie_eff, 0.0, 100.0);
}

double mos_from_r(double r) noexcept {
    if (r <= 6.5) return 1.0;  // the cubic dips below 1 under R 6.5
    if (r >= 100) return 4.5;
    return 1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7e-6;
}

}  // namespace siperb::dsp
