// Bindings for csrc/media/.
#include "bindings.hpp"

namespace siperb::py {

void bind_media(pybind11::module_& /*m*/) {}

}  // namespace siperb::py
