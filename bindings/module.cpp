// siperb._core: the native module. Translates siperb:: exceptions into siperb.errors classes.
#include "bindings.hpp"

#include "common/block_pool.hpp"
#include "common/error.hpp"
#include "common/version.hpp"

namespace py = pybind11;

PYBIND11_MODULE(_core, m) {
    m.doc() = "siperb native core (use the siperb package, not this module)";

    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const siperb::Error& e) {
            // siperb::Error keeps its text printable UTF-8; the lenient decode is a second guard
            // so that a translation can never raise UnicodeDecodeError in place of the error.
            const auto text = [](const std::string& s) {
                PyObject* o = PyUnicode_DecodeUTF8(s.data(), Py_ssize_t(s.size()), "backslashreplace");
                if (!o) throw py::error_already_set();
                return py::reinterpret_steal<py::object>(o);
            };
            py::object cls = py::module_::import("siperb.errors").attr(e.kind());
            py::object exc = cls(text(e.what()), py::arg("field") = text(e.field()), py::arg("reason") = text(e.reason()));
            PyErr_SetObject(cls.ptr(), exc.ptr());
        }
    });

    m.attr("__version__") = siperb::core_version();
    m.attr("opus_version") = siperb::opus_version();
    m.def("buffer_pool", [] {
        const siperb::BlockPool::Stats s = siperb::BlockPool::shared().stats();
        py::dict d;
        d["mapped"] = s.mapped;
        d["in_use"] = s.in_use;
        d["slabs"] = s.slabs;
        d["blocks"] = s.blocks;
        d["slabs_freed"] = s.slabs_freed;
        return d;
    }, "The media buffers' pool now: bytes mapped and handed out, slabs, blocks, slabs given back.");

    siperb::py::bind_sip(m);
    siperb::py::bind_sdp(m);
    siperb::py::bind_rtp(m);
    siperb::py::bind_codec(m);
    siperb::py::bind_jbuf(m);
    siperb::py::bind_audio(m);
    siperb::py::bind_media(m);
    siperb::py::bind_ice(m);
    siperb::py::bind_dtls(m);
}
