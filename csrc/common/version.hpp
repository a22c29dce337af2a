#pragma once

namespace siperb {

// The native core's version and the library versions it was built against, for User-Agent
// strings and bug reports.
const char* core_version() noexcept;
const char* opus_version() noexcept;

}  // namespace siperb
