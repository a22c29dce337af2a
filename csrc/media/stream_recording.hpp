// A stream's call recording: what was sent and what was played, each resampled to the
// recorder's rate and written to its two inputs the same number of frames each packet time.
// Its own unit because it taps both directions and belongs to neither. Engine thread only.
#pragma once

#include "audio/audio_port.hpp"
#include "codec/resampler.hpp"
#include "media/pcm_fifo.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace siperb::audio {
class Recorder;
}

namespace siperb::media {

class StreamRecording {
public:
    StreamRecording();
    ~StreamRecording();

    // r: a two-input audio::Recorder (MediaSession checks) or null; the replaced one is left in r.
    void swap(std::shared_ptr<audio::Recorder>& r) noexcept;
    bool active() const noexcept { return recorder_ != nullptr; }
    // One packet time of both directions; returns the recorder's dropped-frame count.
    std::uint64_t write(std::span<const std::int16_t> tx, int tx_rate, std::span<const std::int16_t> rx, int rx_rate) noexcept;

private:
    std::shared_ptr<audio::Recorder> recorder_;
    std::array<std::shared_ptr<audio::AudioSink>, 2> in_;  // recorder_'s inputs: sent, received
    std::unique_ptr<codec::Resampler> tx_rs_, rx_rs_;
    PcmBuffer tx_, rx_, tmp_;
    std::uint64_t dropped_ = 0;
};

}  // namespace siperb::media
