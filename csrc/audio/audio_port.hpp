// The seam between the media engine and everything that produces or consumes audio (devices,
// WAV files, tones, Python buffers). The engine thread calls these every packet time: they must
// never block, never allocate on the hot path, and never call into Python.
// It lives in audio/ (below media/) so that audio/ implements it without including media/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace siperb::audio {

// Mono 16-bit PCM at sample_rate(); the engine resamples to and from the codec's rate.
class AudioSource {
public:
    virtual ~AudioSource() = default;
    virtual int sample_rate() const noexcept = 0;
    // Fills out with up to out.size() samples and returns how many it wrote; fewer means an
    // underrun (the engine pads with silence). Returning 0 with ended() true ends the source.
    virtual std::size_t read(std::span<std::int16_t> out) noexcept = 0;
    virtual bool ended() const noexcept { return false; }
};

class AudioSink {
public:
    virtual ~AudioSink() = default;
    virtual int sample_rate() const noexcept = 0;
    // Consumes in; a sink that cannot keep up drops and counts, it never blocks the engine.
    virtual void write(std::span<const std::int16_t> in) noexcept = 0;
};

}  // namespace siperb::audio
