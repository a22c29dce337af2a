// Bindings for csrc/sip/.
#include "bindings.hpp"

namespace py = pybind11;

namespace siperb::py {

void bind_sip(pybind11::module_& /*m*/) {}

}  // namespace siperb::py
