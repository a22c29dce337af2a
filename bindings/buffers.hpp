// Buffers across the binding boundary, for every bind_* file: int16 PCM and bytes in (through
// the buffer protocol, without a copy where the layout allows), int16 ndarrays out. Glue only.
//
//   PcmIn<Err>(obj, field, PcmCast)  int16 samples of obj, held for the object's lifetime
//   BytesIn<Err>(obj, field)         octets of bytes or any buffer of itemsize 1
//   byte_span(string_view)           the octets of an argument bound as std::string_view
//   new_pcm / pcm_span / pcm_copy / pcm_prefix   int16 ndarrays out
//
// Err is the siperb::Error subclass raised (with the argument name as field) for a buffer of
// the wrong kind; PcmCast says which other objects are converted by numpy instead.
#pragma once

#include "common/error.hpp"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace siperb::py {

// Below this many samples a conversion takes under a microsecond: keeping the GIL is cheaper
// than releasing it.
inline constexpr std::size_t kReleaseGilSamples = 4096;

// A C-contiguous Py_buffer held for the lifetime of the view (RAII over PyObject_GetBuffer /
// PyBuffer_Release). Empty (false) when obj does not export one; the Python error is cleared.
class BufferView {
public:
    explicit BufferView(PyObject* obj) noexcept {
        ok_ = PyObject_GetBuffer(obj, &view_, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) == 0;
        if (!ok_) PyErr_Clear();
    }
    BufferView(const BufferView&) = delete;
    BufferView& operator=(const BufferView&) = delete;
    ~BufferView() {
        if (ok_) PyBuffer_Release(&view_);
    }

    explicit operator bool() const noexcept { return ok_; }
    std::string_view format() const noexcept { return view_.format ? view_.format : "B"; }
    std::size_t itemsize() const noexcept { return static_cast<std::size_t>(view_.itemsize); }
    std::size_t bytes() const noexcept { return static_cast<std::size_t>(view_.len); }
    const void* data() const noexcept { return view_.buf; }
    std::span<const Py_ssize_t> shape() const noexcept {
        return {view_.shape, static_cast<std::size_t>(view_.shape ? view_.ndim : 0)};
    }

private:
    Py_buffer view_{};
    bool ok_ = false;
};

// A C-contiguous, aligned, native-endian int16 ndarray, read from its struct without the buffer
// protocol (numpy's getbuffer costs tens of ns, as much as a 20 ms G.711 frame).
inline const pybind11::detail::PyArray_Proxy* int16_ndarray(PyObject* obj) {
    namespace pd = pybind11::detail;
    const auto& api = pd::npy_api::get();
    if (!api.PyArray_Check_(obj)) return nullptr;
    const auto* a = pd::array_proxy(obj);
    const auto* d = reinterpret_cast<const pd::PyArrayDescr_Proxy*>(a->descr);
    constexpr int kNeed = pd::npy_api::NPY_ARRAY_C_CONTIGUOUS_ | pd::npy_api::NPY_ARRAY_ALIGNED_;
    if ((a->flags & kNeed) != kNeed || d->type_num != pd::npy_api::NPY_SHORT_ || d->byteorder == '>') return nullptr;
    return a;
}

// What PcmIn does with an object that is not an int16 array or buffer.
enum class PcmCast {
    // Raw bytes of native-endian samples as audioop takes them (bytes, bytearray, uint8
    // buffers, even length); anything else raises Err(field, ...). The codecs.
    None,
    // What numpy converts to int16 without loss (lists of ints, int8 arrays, strided or
    // byte-swapped int16 arrays: pybind11's array_t<int16_t, c_style>); else TypeError.
    Safe,
    // What np.asarray(x, np.int16) converts, floats truncated (array_t<int16_t, c_style |
    // forcecast>); else TypeError.
    Force,
};

// int16 samples of a Python object: an int16 ndarray or C-contiguous buffer of format "h", "=h",
// "@h" or "<h" (this target is little-endian) without a copy, else per PcmCast. The samples are
// valid while the PcmIn lives; it must be destroyed with the GIL held.
template <class Err>
class PcmIn {
public:
    PcmIn(pybind11::handle obj, const char* field, PcmCast cast = PcmCast::None) {
        if (const auto* a = int16_ndarray(obj.ptr())) {
            from_array(a);
            return;
        }
        if (cast != PcmCast::None) {
            convert(obj, field, cast);
            return;
        }
        const BufferView& b = view_.emplace(obj.ptr());
        if (!b) throw Err(field, std::string("expected a C-contiguous buffer, got ") + Py_TYPE(obj.ptr())->tp_name);
        const std::string_view f = b.format();
        const bool int16 = b.itemsize() == 2 && (f == "h" || f == "=h" || f == "@h" || f == "<h");
        const bool raw = b.itemsize() == 1 && (f == "B" || f == "b" || f == "c") && b.bytes() % 2 == 0;
        if (!int16 && !raw)
            throw Err(field, "expected int16 samples, got buffer format '" + std::string(f) + "' of itemsize " +
                                 std::to_string(b.itemsize()) + " and " + std::to_string(b.bytes()) + " bytes");
        const std::size_t n = b.bytes() / 2;
        if (int16) {
            shape_ = b.shape();
        } else {
            raw_len_ = static_cast<Py_ssize_t>(n);
            shape_ = {&raw_len_, 1};
        }
        if (n == 0 || reinterpret_cast<std::uintptr_t>(b.data()) % alignof(std::int16_t) == 0) {
            samples_ = {static_cast<const std::int16_t*>(b.data()), n};
        } else {
            copy_.resize(n);
            std::memcpy(copy_.data(), b.data(), n * sizeof(std::int16_t));
            samples_ = copy_;
        }
    }
    PcmIn(const PcmIn&) = delete;
    PcmIn& operator=(const PcmIn&) = delete;

    std::span<const std::int16_t> samples() const noexcept { return samples_; }
    // The array's shape (raw bytes: one dimension of samples).
    std::span<const Py_ssize_t> shape() const noexcept { return shape_; }

private:
    void from_array(const pybind11::detail::PyArray_Proxy* a) {
        std::size_t n = 1;
        for (int i = 0; i < a->nd; ++i) n *= static_cast<std::size_t>(a->dimensions[i]);
        samples_ = {reinterpret_cast<const std::int16_t*>(a->data), n};
        shape_ = {reinterpret_cast<const Py_ssize_t*>(a->dimensions), static_cast<std::size_t>(a->nd)};
    }
    void convert(pybind11::handle obj, const char* field, PcmCast cast) {
        namespace pb = pybind11;
        if (cast == PcmCast::Force)
            converted_ = pb::array_t<std::int16_t, pb::array::c_style | pb::array::forcecast>::ensure(obj);
        else
            converted_ = pb::array_t<std::int16_t, pb::array::c_style>::ensure(obj);
        if (!converted_)
            throw pb::type_error(std::string(field) + ": expected int16 samples, got " + Py_TYPE(obj.ptr())->tp_name);
        from_array(pb::detail::array_proxy(converted_.ptr()));
    }

    std::optional<BufferView> view_;
    pybind11::object converted_;
    std::vector<std::int16_t> copy_;
    std::span<const std::int16_t> samples_;
    std::span<const Py_ssize_t> shape_;
    Py_ssize_t raw_len_ = 0;
};

// Octets of bytes (directly) or of any C-contiguous buffer of itemsize 1 (bytearray,
// memoryview, uint8 arrays); else Err(field, ...).
template <class Err>
class BytesIn {
public:
    BytesIn(pybind11::handle obj, const char* field) {
        if (PyBytes_CheckExact(obj.ptr())) {
            bytes_ = {reinterpret_cast<const std::uint8_t*>(PyBytes_AS_STRING(obj.ptr())),
                      static_cast<std::size_t>(PyBytes_GET_SIZE(obj.ptr()))};
            return;
        }
        const BufferView& b = view_.emplace(obj.ptr());
        if (!b) throw Err(field, std::string("expected a C-contiguous buffer, got ") + Py_TYPE(obj.ptr())->tp_name);
        if (b.itemsize() != 1) throw Err(field, "expected bytes, got buffer format '" + std::string(b.format()) + "'");
        bytes_ = {static_cast<const std::uint8_t*>(b.data()), b.bytes()};
    }
    BytesIn(const BytesIn&) = delete;
    BytesIn& operator=(const BytesIn&) = delete;

    std::span<const std::uint8_t> bytes() const noexcept { return bytes_; }

private:
    std::optional<BufferView> view_;
    std::span<const std::uint8_t> bytes_;
};

// The octets of an argument bound as std::string_view (pybind11 accepts bytes there).
inline std::span<const std::uint8_t> byte_span(std::string_view s) noexcept {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// The octets of a bytes object (no copy; valid while it lives).
inline std::string_view bytes_view(const pybind11::bytes& b) {
    char* p = nullptr;
    Py_ssize_t n = 0;
    if (PyBytes_AsStringAndSize(b.ptr(), &p, &n) != 0) throw pybind11::error_already_set();
    return {p, static_cast<std::size_t>(n)};
}

using PcmArray = pybind11::array_t<std::int16_t>;

// A new, uninitialised int16 ndarray, 1-D for mono and (frames, channels) otherwise, made with
// one PyArray_NewFromDescr call (pybind11's array_t constructor costs several times more).
inline PcmArray new_pcm(std::size_t frames, int channels = 1) {
    namespace pd = pybind11::detail;
    const auto& api = pd::npy_api::get();
    static PyObject* const descr = api.PyArray_DescrFromType_(pd::npy_api::NPY_SHORT_);
    Py_INCREF(descr);  // stolen by PyArray_NewFromDescr
    Py_intptr_t dims[2] = {static_cast<Py_intptr_t>(frames), channels};
    PyObject* a = api.PyArray_NewFromDescr_(api.PyArray_Type_, descr, channels == 1 ? 1 : 2, dims, nullptr, nullptr,
                                            0, nullptr);
    if (!a) throw pybind11::error_already_set();
    return pybind11::reinterpret_steal<PcmArray>(a);
}

// The samples of an array made by new_pcm (all channels interleaved).
inline std::span<std::int16_t> pcm_span(PcmArray& a) {
    return {reinterpret_cast<std::int16_t*>(pybind11::detail::array_proxy(a.ptr())->data),
            static_cast<std::size_t>(a.size())};
}

// A new 1-D int16 ndarray holding a copy of samples.
inline PcmArray pcm_copy(std::span<const std::int16_t> samples) {
    PcmArray out = new_pcm(samples.size());
    if (!samples.empty()) std::memcpy(pcm_span(out).data(), samples.data(), samples.size_bytes());
    return out;
}

// The first n rows of a (view, no copy; a itself when n is all of it).
inline PcmArray pcm_prefix(PcmArray a, std::size_t n) {
    if (static_cast<pybind11::ssize_t>(n) == a.shape(0)) return a;
    return a[pybind11::slice(0, static_cast<pybind11::ssize_t>(n), 1)].template cast<PcmArray>();
}

}  // namespace siperb::py
