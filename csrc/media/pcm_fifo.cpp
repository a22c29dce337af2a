#include "media/pcm_fifo.hpp"

#include <algorithm>

namespace siperb::media {

void resample_into(std::unique_ptr<codec::Resampler>& rs, int in_rate, int out_rate, std::span<const std::int16_t> in,
                   PcmBuffer& tmp, PcmBuffer& out) {
    if (in_rate == out_rate) {
        out.insert(out.end(), in.begin(), in.end());
        return;
    }
    if (!rs || rs->in_rate() != in_rate || rs->out_rate() != out_rate) {
        rs = std::make_unique<codec::Resampler>(in_rate, out_rate, 1, 3);
        rs->skip_zeros();
    }
    tmp.resize(rs->max_output_frames(in.size()) + 8);
    const std::size_t n = rs->process(in, tmp);
    out.insert(out.end(), tmp.begin(), tmp.begin() + static_cast<std::ptrdiff_t>(n));
}

void take_front(PcmBuffer& v, std::size_t n) {
    v.erase(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(std::min(n, v.size())));
}

}  // namespace siperb::media
