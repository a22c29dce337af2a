// One bind_* function per csrc/ folder; module.cpp calls them all. Glue only, no logic.
// buffers.hpp (PCM and bytes across the boundary) comes with it, for every bind_* file.
#pragma once

#include "buffers.hpp"

#include <pybind11/pybind11.h>

namespace siperb::py {

// T(**kwargs) for plain structs bound with def_readwrite: each keyword sets the same-named
// field (unknown names raise AttributeError). Shared by the value types of several folders.
template <class T>
T from_kwargs(const pybind11::kwargs& kw) {
    T value{};
    {
        pybind11::object ref = pybind11::cast(&value, pybind11::return_value_policy::reference);
        for (auto item : kw) ref.attr(item.first) = item.second;
    }
    return value;
}

void bind_sip(pybind11::module_& m);
void bind_sdp(pybind11::module_& m);
void bind_rtp(pybind11::module_& m);
void bind_codec(pybind11::module_& m);
void bind_jbuf(pybind11::module_& m);
void bind_audio(pybind11::module_& m);
void bind_media(pybind11::module_& m);
void bind_dtls(pybind11::module_& m);

}  // namespace siperb::py
