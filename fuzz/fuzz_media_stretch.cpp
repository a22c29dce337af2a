// time_stretch on arbitrary frames, amounts and sample rates: the output keeps the length
// contract (n - lag or n + lag with lag in [amount / 2, amount], or a copy when the frame is too
// short) and starts and ends on the frame's first and last samples.
#include "dsp/time_stretch.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 4) return 0;
    const bool accelerate = data[0] & 1;
    const std::uint32_t rate = 1000u * (1 + data[1] % 48);
    std::size_t amount = data[2] | (std::size_t{data[3]} << 8);
    std::vector<std::int16_t> in((size - 4) / 2);
    if (!in.empty()) std::memcpy(in.data(), data + 4, in.size() * sizeof(std::int16_t));
    if (data[0] & 2) amount %= in.size() / 2 + 1;  // mostly within the contract's range
    std::vector<std::int16_t> out(in.size() + amount);
    const std::size_t m = siperb::dsp::time_stretch(in, accelerate, amount, out, rate);
    const std::size_t n = in.size();
    if (amount == 0 || n < 2 * amount) {
        check(m == n && std::equal(in.begin(), in.end(), out.begin()));
        return 0;
    }
    const std::size_t lag = accelerate ? n - m : m - n;
    check(accelerate ? m < n : m > n);
    check(lag >= std::max<std::size_t>(1, amount / 2) && lag <= amount);
    check(out[0] == in[0] && (m == 1 || out[m - 1] == in[n - 1]));  // one sample cannot be both
    return 0;
}
