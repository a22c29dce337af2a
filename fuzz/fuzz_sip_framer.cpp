// libFuzzer: the stream framer fed the input in chunks whose sizes come from the input itself.
#include "common/error.hpp"
#include "sip/framer.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
    siperb::sip::StreamFramer framer(2048);
    size_t step = size_t(data[0] % 61) + 1;
    size_t pos = 0;
    size_t produced = 0;
    while (pos < in.size()) {
        size_t n = std::min(step, in.size() - pos);
        try {
            produced += framer.feed(in.substr(pos, n)).size();
        } catch (const siperb::Error&) {
        }
        pos += n;
        step = step * 7 % 97 + 1;
    }
    try {
        produced += framer.feed({}).size();
    } catch (const siperb::Error&) {
    }
    (void)framer.take_keepalives();
    if (framer.buffered() > in.size()) __builtin_trap();
    (void)produced;
    return 0;
}
