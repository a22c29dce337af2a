// siperb._core: the native module. Translates siperb:: exceptions into siperb.errors classes.
#include "bindings.hpp"

#include "common/error.hpp"
#include "common/version.hpp"

namespace py = pybind11;

PYBIND11_MODULE(_core, m) {
    m.doc() = "siperb native core (use the siperb package, not this module)";

    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const siperb::Error& e) {
            py::object cls = py::module_::import("siperb.errors").attr(e.kind());
            py::object exc = cls(e.what(), py::arg("field") = e.field(), py::arg("reason") = e.reason());
            PyErr_SetObject(cls.ptr(), exc.ptr());
        }
    });

    m.attr("__version__") = siperb::core_version();
    m.attr("opus_version") = siperb::opus_version();

    siperb::py::bind_sip(m);
    siperb::py::bind_sdp(m);
    siperb::py::bind_rtp(m);
    siperb::py::bind_codec(m);
    siperb::py::bind_jbuf(m);
    siperb::py::bind_audio(m);
    siperb::py::bind_media(m);
}
