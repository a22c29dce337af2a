// Bindings for csrc/jbuf/.
#include "bindings.hpp"

namespace py = pybind11;

namespace siperb::py {

void bind_jbuf(pybind11::module_& /*m*/) {}

}  // namespace siperb::py
