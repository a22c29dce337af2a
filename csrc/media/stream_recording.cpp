#include "media/stream_recording.hpp"

#include "audio/recorder.hpp"
#include "media/pcm_fifo.hpp"

#include <algorithm>

namespace siperb::media {

StreamRecording::StreamRecording() = default;
StreamRecording::~StreamRecording() = default;

void StreamRecording::swap(std::shared_ptr<audio::Recorder>& r) noexcept {
    std::swap(recorder_, r);
    in_ = {};
    if (recorder_ && recorder_->inputs() == 2) in_ = {recorder_->input(0), recorder_->input(1)};
    tx_.clear();
    rx_.clear();
}

std::uint64_t StreamRecording::write(std::span<const std::int16_t> tx, int tx_rate, std::span<const std::int16_t> rx,
                                     int rx_rate) noexcept {
    const int rate = recorder_->sample_rate();
    try {
        resample_into(tx_rs_, tx_rate, rate, tx, tmp_, tx_);
        resample_into(rx_rs_, rx_rate, rate, rx, tmp_, rx_);
    } catch (...) {
        return dropped_;
    }
    const std::size_t n = std::min(tx_.size(), rx_.size());
    if (in_[1]) {
        in_[0]->write(std::span(tx_.data(), n));
        in_[1]->write(std::span(rx_.data(), n));
    }
    take_front(tx_, n);
    take_front(rx_, n);
    const std::size_t cap = static_cast<std::size_t>(rate);  // one second of skew at most
    if (tx_.size() > cap) tx_.clear();
    if (rx_.size() > cap) rx_.clear();
    dropped_ = recorder_->dropped_frames();
    return dropped_;
}

}  // namespace siperb::media
