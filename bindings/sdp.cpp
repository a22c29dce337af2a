// Bindings for csrc/sdp/.
#include "bindings.hpp"

namespace py = pybind11;

namespace siperb::py {

void bind_sdp(pybind11::module_& /*m*/) {}

}  // namespace siperb::py
