// Bindings for csrc/rtp/.
#include "bindings.hpp"

namespace py = pybind11;

namespace siperb::py {

void bind_rtp(pybind11::module_& /*m*/) {}

}  // namespace siperb::py
