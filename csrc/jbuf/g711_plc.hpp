// Packet loss concealment of ITU-T G.711 Appendix I on 16-bit PCM: pitch-period waveform
// substitution. Output is delayed by a quarter of the longest pitch period (3.75 ms) so the start
// of an erasure can be smoothed by overlap-add into the last good samples. The substituted
// signal repeats one pitch period for 10 ms, then two, then three (with overlap-add at each
// change), is attenuated by 20 % per 10 ms from the second 10 ms and is silent after 60 ms; the
// first good frame after an erasure is cross-faded with the synthetic continuation over 4 ms plus
// 4 ms per further 10 ms erased (at most 10 ms).
//
// As in the reference code the history is kept as 16-bit samples: a good frame with no erasure
// to end is two copies and a shift of the history, no float and no allocation. Floats are used
// only for the pitch buffer of an erasure; every buffer is sized in the constructor.
#pragma once

#include "common/block_pool.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace siperb::jbuf {

class G711Plc {
public:
    explicit G711Plc(std::uint32_t sample_rate = 8000);  // a multiple of 8000 Hz

    // A received frame (any length): writes the same number of samples of delayed output to out
    // (which may be pcm itself) and returns that number; CodecError if out is too small.
    std::size_t good_frame(std::span<const std::int16_t> pcm, std::span<std::int16_t> out);
    // n samples of concealment (a multiple of 10 ms) into out; CodecError otherwise.
    std::size_t conceal(std::size_t n, std::span<std::int16_t> out);
    // The same, returning a new vector (for the bindings and tests).
    std::vector<std::int16_t> good_frame(std::span<const std::int16_t> pcm);
    std::vector<std::int16_t> conceal(std::size_t n);

    std::uint32_t sample_rate() const { return rate_; }
    std::size_t delay_samples() const { return overlap_max_; }
    std::size_t frame_samples() const { return frame_; }
    int pitch() const { return static_cast<int>(pitch_); }  // last estimate, 0 before the first erasure
    unsigned erased_frames() const { return erase_count_; }

private:
    std::size_t find_pitch() const;
    void save(std::span<std::int16_t> s);  // append to history, replace s by the delayed output
    void synth(float* out, std::size_t n);
    void overlap_add(const float* l, const float* r, float* o, std::size_t n) const;
    void conceal_frame();  // one 10 ms frame into frame_buf_
    void end_erasure(std::span<std::int16_t> s);  // cross-fade into the first good samples

    std::uint32_t rate_;
    std::size_t frame_, pitch_min_, pitch_max_, overlap_max_, history_len_, corr_len_, overlap_incr_;
    PooledVector<std::int16_t> history_;  // the last history_len_ samples, oldest first
    PooledVector<std::int16_t> delayed_;  // the last overlap_max_ of them, while save() shifts
    PooledVector<float> pitch_buf_;      // copy of the history at the start of the erasure
    PooledVector<float> last_q_;         // its original last quarter period
    PooledVector<float> frame_buf_;      // one 10 ms frame of concealment or of cross-fade
    PooledVector<float> tail_buf_;       // a quarter period of the old segment, at a change
    std::size_t pitch_ = 0, p_overlap_ = 0, p_offset_ = 0, p_len_ = 0;
    unsigned erase_count_ = 0;
    float gain_ = 1.0f;
};

}  // namespace siperb::jbuf
