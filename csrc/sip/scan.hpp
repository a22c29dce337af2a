// Fast scans of the parser's hot loops: the first CR or LF of a header line, the end of a
// quoted string (16 octets at a time with SSE2, where available). The callers keep the exact
// checks for anything unusual.
#pragma once

#include <cstddef>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace siperb::sip {

// Position of the first a or b in data[pos, size), or size if there is none (pos <= size).
inline size_t find_either(const char* data, size_t pos, size_t size, char a, char b) {
    if (pos >= size) return size;
#if defined(__SSE2__)
    const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b);
    while (pos + 16 <= size) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + pos));
        const int mask = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, va), _mm_cmpeq_epi8(v, vb)));
        if (mask != 0) return pos + size_t(__builtin_ctz(unsigned(mask)));
        pos += 16;
    }
#endif
    while (pos < size && data[pos] != a && data[pos] != b) ++pos;
    return pos;
}

// Position of the first '\r' or '\n' in data[pos, size), or size if there is none.
inline size_t find_cr_or_lf(const char* data, size_t pos, size_t size) { return find_either(data, pos, size, '\r', '\n'); }

}  // namespace siperb::sip
