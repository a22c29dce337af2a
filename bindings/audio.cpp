// Bindings for csrc/audio/.
#include "bindings.hpp"

namespace siperb::py {

void bind_audio(pybind11::module_& /*m*/) {}

}  // namespace siperb::py
