// Light view types: Python objects that hold a C++ value, made without pybind11's instance
// machinery: the parsed SIP Message (its shared_ptr) and the typed headers read from it, each
// with a shared_ptr to the buffer its string_views point into (Held<T>). A pybind11 instance
// costs a heap copy, a holder and an entry in pybind11's instance registry (inserted and
// erased again) every time one is made; a message and the headers a transaction reads on it
// (Via, From/To, CSeq) are made often enough for that to cost more than the parse itself.
// Here creating one is one allocation and a placement copy. Glue only: each getter is a plain
// function of the held value, and C++ exceptions go through pybind11's registered translators
// (siperb::Error -> siperb.errors), as for any bound function.
#pragma once

#include <pybind11/pybind11.h>

#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace siperb::py {

template <class T>
struct Held {
    std::shared_ptr<const void> owner;
    T v;
};

// A Python type whose instances hold one C++ value V (a Held<T> view, or the shared_ptr of a
// parsed message), with read-only attributes as plain getset descriptors and no constructor
// or subclass from Python.
template <class V>
class ValueType {
public:
    using Getter = pybind11::object (*)(const V&);

    // Registers the type as module.<name>; getters are added before with getter().
    ValueType& getter(const char* name, Getter fn) {
        getset_.push_back(PyGetSetDef{name, &get, nullptr, nullptr, reinterpret_cast<void*>(fn)});
        return *this;
    }
    ValueType& repr(Getter fn) {
        repr_ = fn;
        return *this;
    }
    void finish(pybind11::module_& m, const char* qualified_name, const char* doc) {
        getset_.push_back(PyGetSetDef{nullptr, nullptr, nullptr, nullptr, nullptr});
        slots_ = {
            {Py_tp_dealloc, reinterpret_cast<void*>(&dealloc)},
            {Py_tp_getset, getset_.data()},
            {Py_tp_doc, const_cast<char*>(doc)},
        };
        if (repr_) slots_.push_back({Py_tp_repr, reinterpret_cast<void*>(&repr_call)});
        slots_.push_back({0, nullptr});
        spec_ = PyType_Spec{qualified_name, int(sizeof(Object)), 0,
                            Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION, slots_.data()};
        PyObject* type = PyType_FromSpec(&spec_);
        if (!type) throw pybind11::error_already_set();
        type_ = reinterpret_cast<PyTypeObject*>(type);  // kept for the life of the process
        std::string_view qn(qualified_name);
        m.attr(std::string(qn.substr(qn.rfind('.') + 1)).c_str()) = pybind11::reinterpret_borrow<pybind11::object>(type);
    }
    // A method with arguments, after finish(): a pybind11 function whose first parameter is the
    // instance (converted by a type caster for V, see sip.cpp).
    template <class F, class... Extra>
    ValueType& method(const char* name, F&& f, const Extra&... extra) {
        pybind11::handle cls(reinterpret_cast<PyObject*>(type_));
        pybind11::cpp_function fn(std::forward<F>(f), pybind11::name(name), pybind11::is_method(cls),
                                  pybind11::sibling(pybind11::getattr(cls, name, pybind11::none())), extra...);
        cls.attr(name) = fn;
        return *this;
    }

    template <class... Args>
    static pybind11::object make(Args&&... args) {
        Object* o = PyObject_New(Object, type_);
        if (!o) throw pybind11::error_already_set();
        new (&o->value) V{std::forward<Args>(args)...};
        return pybind11::reinterpret_steal<pybind11::object>(reinterpret_cast<PyObject*>(o));
    }
    // The value of an instance of this type, or nullptr for any other object.
    static const V* value_of(PyObject* o) {
        if (!type_ || !PyObject_TypeCheck(o, type_)) return nullptr;
        return &reinterpret_cast<Object*>(o)->value;
    }

private:
    struct Object {
        PyObject_HEAD
        V value;
    };

    static PyObject* call(Getter fn, PyObject* self) {
        try {
            return fn(reinterpret_cast<Object*>(self)->value).release().ptr();
        } catch (pybind11::error_already_set& e) {
            e.restore();
        } catch (...) {
            pybind11::detail::try_translate_exceptions();
        }
        return nullptr;
    }
    static PyObject* get(PyObject* self, void* closure) { return call(reinterpret_cast<Getter>(closure), self); }
    static PyObject* repr_call(PyObject* self) { return call(repr_, self); }
    static void dealloc(PyObject* self) {
        PyTypeObject* tp = Py_TYPE(self);
        reinterpret_cast<Object*>(self)->value.~V();
        PyObject_Free(self);
        Py_DECREF(tp);  // instances of a heap type hold a reference to it
    }

    static inline PyTypeObject* type_ = nullptr;
    static inline Getter repr_ = nullptr;
    std::vector<PyGetSetDef> getset_;
    std::vector<PyType_Slot> slots_;
    PyType_Spec spec_{};
};

// A typed header value with the owner of the octets it points into.
template <class T>
using LightView = ValueType<Held<T>>;

}  // namespace siperb::py
