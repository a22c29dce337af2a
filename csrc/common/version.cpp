#include "common/version.hpp"

#include <opus/opus.h>

namespace siperb {

#ifndef SIPERB_VERSION
#error "SIPERB_VERSION comes from python/siperb/_version.py (CMakeLists.txt)"
#endif

const char* core_version() noexcept { return SIPERB_VERSION; }
const char* opus_version() noexcept { return opus_get_version_string(); }

}  // namespace siperb
