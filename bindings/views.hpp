// Light view types: Python objects that hold a C++ value and a shared_ptr to the buffer its
// string_views point into (Held<T>), made without pybind11's instance machinery. A pybind11
// instance costs a heap copy, a holder and an entry in pybind11's instance registry (inserted
// and erased again) on every access; the typed SIP headers a transaction reads on every message
// (Via, From/To, CSeq) are built often enough for that to cost more than the parse itself.
// Here creating one is one allocation and a placement copy. Glue only: each getter is a plain
// function of the held value, and C++ exceptions go through pybind11's registered translators
// (siperb::Error -> siperb.errors), as for any bound function.
#pragma once

#include <pybind11/pybind11.h>

#include <deque>
#include <memory>
#include <new>
#include <vector>

namespace siperb::py {

template <class T>
struct Held {
    std::shared_ptr<const void> owner;
    T v;
};

template <class T>
class LightView {
public:
    using Getter = pybind11::object (*)(const Held<T>&);

    // Registers the type as module.<name>; getters are added before with getter().
    LightView& getter(const char* name, Getter fn) {
        getset_.push_back(PyGetSetDef{name, &get, nullptr, nullptr, reinterpret_cast<void*>(fn)});
        return *this;
    }
    LightView& repr(Getter fn) {
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

    static pybind11::object make(const std::shared_ptr<const void>& owner, const T& value) {
        Object* o = PyObject_New(Object, type_);
        if (!o) throw pybind11::error_already_set();
        new (&o->held) Held<T>{owner, value};
        return pybind11::reinterpret_steal<pybind11::object>(reinterpret_cast<PyObject*>(o));
    }

private:
    struct Object {
        PyObject_HEAD
        Held<T> held;
    };

    static PyObject* call(Getter fn, PyObject* self) {
        try {
            return fn(reinterpret_cast<Object*>(self)->held).release().ptr();
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
        reinterpret_cast<Object*>(self)->held.~Held<T>();
        PyObject_Free(self);
        Py_DECREF(tp);  // instances of a heap type hold a reference to it
    }

    static inline PyTypeObject* type_ = nullptr;
    static inline Getter repr_ = nullptr;
    std::vector<PyGetSetDef> getset_;
    std::vector<PyType_Slot> slots_;
    PyType_Spec spec_{};
};

}  // namespace siperb::py

namespace siperb::py {

// Read-only properties of a pybind11 class (holder type Holder) as plain getset descriptors:
// a property read then skips pybind11's dispatcher (argument casting, overload loop), about
// 100 ns of the ~150 ns a pybind11 property costs. For the attributes read on every message.
template <class Holder>
class FastProperties {
public:
    using Getter = pybind11::object (*)(const Holder&);

    explicit FastProperties(pybind11::handle cls) : cls_(cls) {}
    FastProperties& add(const char* name, Getter fn) {
        defs_.push_back(PyGetSetDef{name, &get, nullptr, nullptr, reinterpret_cast<void*>(fn)});
        PyObject* d = PyDescr_NewGetSet(reinterpret_cast<PyTypeObject*>(cls_.ptr()), &defs_.back());
        if (!d) throw pybind11::error_already_set();
        int rc = PyObject_SetAttrString(cls_.ptr(), name, d);
        Py_DECREF(d);
        if (rc < 0) throw pybind11::error_already_set();
        return *this;
    }

private:
    static PyObject* get(PyObject* self, void* closure) {
        try {
            // The descriptor checked that self is an instance of the class; its first (only)
            // value-and-holder is the C++ object's.
            auto v_h = reinterpret_cast<pybind11::detail::instance*>(self)->get_value_and_holder();
            return reinterpret_cast<Getter>(closure)(v_h.template holder<Holder>()).release().ptr();
        } catch (pybind11::error_already_set& e) {
            e.restore();
        } catch (...) {
            pybind11::detail::try_translate_exceptions();
        }
        return nullptr;
    }

    pybind11::handle cls_;
    std::deque<PyGetSetDef> defs_;  // descriptors point into it: never reallocated
};

}  // namespace siperb::py
