// libFuzzer entry point for csrc/audio's WAV reader: arbitrary bytes as a WAV file. Only
// siperb::WavError may escape; a file that parses must decode exactly its frames, and
// re-encoding the decoded samples in the same encoding must parse again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "audio/wav_format.hpp"
#include "audio/wav_reader.hpp"
#include "common/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> bytes(data, size);
    try {
        siperb::audio::WavInfo info;
        const std::vector<std::int16_t> pcm = siperb::audio::decode_wav(bytes, &info);
        const auto ch = static_cast<std::uint64_t>(info.format.channels);
        if (pcm.size() != info.frames() * ch) std::abort();
        if (info.data_offset + info.data_bytes > size) std::abort();
        std::vector<std::uint8_t> raw(pcm.size() * static_cast<std::size_t>(info.format.bytes_per_sample()));
        siperb::audio::encode_samples(info.format.encoding, pcm, raw);
        std::vector<std::int16_t> again(pcm.size());
        siperb::audio::decode_samples(info.format.encoding, raw, again);
    } catch (const siperb::WavError&) {
    }
    return 0;
}
