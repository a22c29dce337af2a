// ITU-T G.107 E-model, simplified for one call leg: R = 93.2 - Id - Ie,eff (Is and A taken as
// 0), Id from the one-way mouth-to-ear delay, Ie,eff from the codec's equipment impairment and
// the packet loss (G.107 7.2, Ie/Bpl values of G.113 Appendix I), and R mapped to MOS-CQE.
#pragma once

#include <string_view>

namespace siperb::dsp {

struct CodecImpairment {
    double ie = 0;   // equipment impairment factor
    double bpl = 0;  // packet-loss robustness factor
};

// G.711 with Appendix I PLC: Ie 0, Bpl 25.1 (G.113 I.3). Opus has no G.113 value; a wideband
// codec with PLC is taken as Ie 0, Bpl 20 (an estimate, documented as such).
CodecImpairment codec_impairment(std::string_view codec) noexcept;
// Delay impairment for a one-way delay in ms (G.107 simplified: 0.024 d + 0.11 (d - 177.3) H).
double delay_impairment(double one_way_ms) noexcept;
// R-factor for loss_percent (random loss, BurstR 1) and one-way delay, within [0, 100].
double r_factor(CodecImpairment codec, double loss_percent, double one_way_ms) noexcept;
// MOS-CQE from R (G.107 Annex B): 1 below 0, 4.5 above 100.
double mos_from_r(double r) noexcept;

}  // namespace siperb::dsp
