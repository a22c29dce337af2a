#include "jbuf/speex_jitter.hpp"

#include "common/error.hpp"

#include <speex/speex_jitter.h>

namespace siperb::jbuf {

void SpeexJitterBuffer::Deleter::operator()(JitterBuffer_* jb) const { jitter_buffer_destroy(jb); }

SpeexJitterBuffer::SpeexJitterBuffer(std::uint32_t frame_samples)
    : jb_(jitter_buffer_init(static_cast<int>(frame_samples))), frame_samples_(frame_samples) {
    if (!jb_) throw MediaError("speex jitter buffer", "jitter_buffer_init failed");
}

void SpeexJitterBuffer::put(std::uint16_t seq, std::uint32_t timestamp, rtp::Bytes payload) {
    std::vector<char> copy(payload.begin(), payload.end());  // speex copies it again internally
    JitterBufferPacket p{};
    p.data = copy.data();
    p.len = static_cast<spx_uint32_t>(copy.size());
    p.timestamp = timestamp;
    p.span = frame_samples_;
    p.sequence = seq;
    jitter_buffer_put(jb_.get(), &p);
}

Frame SpeexJitterBuffer::get() {
    std::vector<char> buf(4096);
    JitterBufferPacket p{};
    p.data = buf.data();
    p.len = static_cast<spx_uint32_t>(buf.size());
    spx_int32_t offset = 0;
    const int ret = jitter_buffer_get(jb_.get(), &p, static_cast<spx_int32_t>(frame_samples_), &offset);
    jitter_buffer_tick(jb_.get());
    Frame f;
    f.samples = frame_samples_;
    if (ret == JITTER_BUFFER_OK) {
        f.kind = FrameKind::Packet;
        f.timestamp = p.timestamp;
        f.sequence_number = static_cast<std::uint16_t>(p.sequence);
        f.payload.assign(buf.begin(), buf.begin() + p.len);
    } else {
        f.kind = FrameKind::Conceal;  // missing, or an insertion to grow the delay
        f.timestamp = p.timestamp;    // the media time speexdsp wanted to play
    }
    return f;
}

}  // namespace siperb::jbuf
