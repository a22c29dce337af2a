// One bind_* function per csrc/ folder; module.cpp calls them all. Glue only, no logic.
#pragma once

#include <pybind11/pybind11.h>

namespace siperb::py {

void bind_sip(pybind11::module_& m);
void bind_sdp(pybind11::module_& m);
void bind_rtp(pybind11::module_& m);
void bind_codec(pybind11::module_& m);
void bind_jbuf(pybind11::module_& m);
void bind_audio(pybind11::module_& m);
void bind_media(pybind11::module_& m);

}  // namespace siperb::py
