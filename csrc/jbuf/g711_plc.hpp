// Packet loss concealment of ITU-T G.711 Appendix I on 16-bit PCM: pitch-period waveform
// substitution. Output is delayed by a quarter of the longest pitch period (3.75 ms) so the start
// of an erasure can be smoothed by overlap-add into the last good samples. The substituted
// signal repeats one pitch period for 10 ms, then two, then three (with overlap-add at each
// change), is attenuated by 20 % per 10 ms from the second 10 ms and is silent after 60 ms; the
// first good frame after an erasure is cross-faded with the synthetic continuation over 4 ms plus
// 4 ms per further 10 ms erased (at most 10 ms).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace siperb::jbuf {

class G711Plc {
public:
    explicit G711Plc(std::uint32_t sample_rate = 8000);  // a multiple of 8000 Hz

    // A received frame (any length): returns the same number of samples of delayed output.
    std::vector<std::int16_t> good_frame(std::span<const std::int16_t> pcm);
    // n samples of concealment (a multiple of 10 ms): throws CodecError otherwise.
    std::vector<std::int16_t> conceal(std::size_t n);

    std::uint32_t sample_rate() const { return rate_; }
    std::size_t delay_samples() const { return overlap_max_; }
    std::size_t frame_samples() const { return frame_; }
    int pitch() const { return static_cast<int>(pitch_); }  // last estimate, 0 before the first erasure
    unsigned erased_frames() const { return erase_count_; }

private:
    std::size_t find_pitch() const;
    void save(std::vector<float>& s);  // append to history, replace s by the delayed output
    void synth(float* out, std::size_t n);
    void overlap_add(const float* l, const float* r, float* o, std::size_t n) const;
    void conceal_frame(std::vector<float>& out);

    std::uint32_t rate_;
    std::size_t frame_, pitch_min_, pitch_max_, overlap_max_, history_len_, corr_len_, overlap_incr_;
    std::vector<float> history_;
    std::vector<float> pitch_buf_;  // copy of the history at the start of the erasure
    std::vector<float> last_q_;     // its original last quarter period
    std::size_t pitch_ = 0, p_overlap_ = 0, p_offset_ = 0, p_len_ = 0;
    unsigned erase_count_ = 0;
    float gain_ = 1.0f;
};

}  // namespace siperb::jbuf
