// Bindings for csrc/codec/.
#include "bindings.hpp"

namespace py = pybind11;

namespace siperb::py {

void bind_codec(pybind11::module_& /*m*/) {}

}  // namespace siperb::py
