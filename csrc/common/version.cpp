#include "common/version.hpp"

#include <opus/opus.h>

namespace siperb {

const char* core_version() noexcept { return "0.1.0"; }
const char* opus_version() noexcept { return opus_get_version_string(); }

}  // namespace siperb
