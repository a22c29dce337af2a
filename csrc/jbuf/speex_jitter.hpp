// speexdsp's jitter buffer behind the same Frame interface, driven the standard way
// (jitter_buffer_put on arrival; jitter_buffer_get then jitter_buffer_tick per frame). It exists
// so benchmarks compare siperb's buffer with what a user would otherwise use.
#pragma once

#include "jbuf/jitter_buffer.hpp"

#include <memory>

struct JitterBuffer_;

namespace siperb::jbuf {

class SpeexJitterBuffer {
public:
    explicit SpeexJitterBuffer(std::uint32_t frame_samples);
    void put(std::uint16_t seq, std::uint32_t timestamp, rtp::Bytes payload);
    // One playout tick: a Packet, or Conceal for a missing packet or an insertion.
    Frame get();
    std::uint32_t frame_samples() const { return frame_samples_; }

private:
    struct Deleter {
        void operator()(JitterBuffer_* jb) const;
    };
    std::unique_ptr<JitterBuffer_, Deleter> jb_;
    std::uint32_t frame_samples_;
};

}  // namespace siperb::jbuf
