// Bindings for csrc/sip/. Typed header objects are views into the message buffer; each Python
// object holds a shared_ptr to the buffer's owner (Held<T>) so views never outlive it. Via,
// NameAddr and CSeq, read on every message, are light views (views.hpp); the rest are pybind11
// classes.
#include "bindings.hpp"
#include "views.hpp"

#include "sip/framer.hpp"
#include "sip/linger.hpp"
#include "sip/message.hpp"
#include "sip/text.hpp"

#include <pybind11/stl.h>

#include <memory>
#include <type_traits>

namespace pb = pybind11;

namespace siperb::py {
using MessagePtr = std::shared_ptr<sip::Message>;
// The Python face of a parsed message: the shared message, and the views of deferred list
// headers once read (parsed on first access, kept after; each read returns a new list of the
// same immutable views, so a caller's edits to its list change nothing here).
struct MessageRef : MessagePtr {
    mutable pybind11::object contact{}, route{}, record_route{};
};
using MessageType = ValueType<MessageRef>;
}  // namespace siperb::py

// A Message crosses into Python as a MessageType instance (views.hpp), not a pybind11 class:
// this caster lets bound functions take and return MessagePtr as before.
namespace pybind11::detail {
template <>
struct type_caster<siperb::py::MessagePtr> {
    PYBIND11_TYPE_CASTER(siperb::py::MessagePtr, const_name("Message"));
    bool load(handle src, bool) {
        const auto* p = siperb::py::MessageType::value_of(src.ptr());
        if (!p) return false;
        value = *p;
        return true;
    }
    static handle cast(const siperb::py::MessagePtr& m, return_value_policy, handle) {
        return siperb::py::MessageType::make(m).release();
    }
};
}  // namespace pybind11::detail

namespace siperb::py {

namespace {

using sip::Message;


// Header text is UTF-8 in practice but any octet may arrive: undecodable octets become lone
// surrogates (as os.fsdecode does) instead of raising.
pybind11::object str(std::string_view s) {
    PyObject* o = PyUnicode_DecodeUTF8(s.data(), Py_ssize_t(s.size()), "surrogateescape");
    if (!o) throw pybind11::error_already_set();
    return pybind11::reinterpret_steal<pybind11::object>(o);
}
// For __repr__: undecodable octets shown as \xHH, so that printing a repr never fails.
pybind11::object repr_str(std::string_view s) {
    PyObject* o = PyUnicode_DecodeUTF8(s.data(), Py_ssize_t(s.size()), "backslashreplace");
    if (!o) throw pybind11::error_already_set();
    return pybind11::reinterpret_steal<pybind11::object>(o);
}
pybind11::object opt_str(bool present, std::string_view s) { return present ? str(s) : pybind11::none(); }
pybind11::object opt_int(int64_t v) { return v < 0 ? pybind11::object(pybind11::none()) : pybind11::int_(v); }

// Header parameters as a dict (csrc/sip lower-cases the names and unquotes the values).
pybind11::dict params_dict(std::string_view params, std::string_view field) {
    pybind11::dict d;
    for (const auto& p : sip::normalized_params(params, field))
        d[str(p.name)] = p.value ? str(*p.value) : pybind11::none();
    return d;
}

template <class T>
constexpr bool kLight = std::is_same_v<T, sip::Via> || std::is_same_v<T, sip::NameAddr> || std::is_same_v<T, sip::CSeq>;

template <class O, class T>
pybind11::object held(const std::shared_ptr<O>& owner, const T& v) {
    if constexpr (kLight<T>) return LightView<T>::make(owner, v);
    else return pybind11::cast(Held<T>{owner, v});
}

template <class O, class T>
pybind11::list held_list(const std::shared_ptr<O>& owner, const std::vector<T>& items) {
    PyObject* out = PyList_New(Py_ssize_t(items.size()));
    if (!out) throw pybind11::error_already_set();
    auto list = pybind11::reinterpret_steal<pybind11::list>(out);
    for (size_t i = 0; i < items.size(); ++i) PyList_SET_ITEM(out, Py_ssize_t(i), held(owner, items[i]).release().ptr());
    return list;
}

pybind11::list str_list(const std::vector<std::string_view>& items) {
    pybind11::list out(items.size());
    for (size_t i = 0; i < items.size(); ++i) out[i] = str(items[i]);
    return out;
}

template <class O, class T>
pybind11::object held_opt(const std::shared_ptr<O>& owner, const std::optional<T>& v) {
    if (!v) return pybind11::none();
    return held(owner, *v);
}

sip::HeaderList header_list(const std::vector<std::pair<std::string, std::string>>& h) { return h; }

// sip_parse(data, /): a plain METH_O function, without pybind11's dispatcher (argument
// conversion, overload loop), which costs about as much as parsing a short message.
PyObject* parse_bytes(PyObject*, PyObject* data) {
    try {
        if (!PyBytes_Check(data)) {
            PyErr_Format(PyExc_TypeError, "sip_parse() argument must be bytes, not %.100s", Py_TYPE(data)->tp_name);
            return nullptr;
        }
        std::string_view v(PyBytes_AS_STRING(data), size_t(PyBytes_GET_SIZE(data)));
        MessagePtr m;
        if (v.size() > 4096) {
            pybind11::gil_scoped_release nogil;
            m = Message::parse_shared(v);
        } else {
            m = Message::parse_shared(v);
        }
        return MessageType::make(std::move(m)).release().ptr();
    } catch (pybind11::error_already_set& e) {
        e.restore();
    } catch (...) {
        pybind11::detail::try_translate_exceptions();
    }
    return nullptr;
}
PyMethodDef parse_def{"sip_parse", &parse_bytes, METH_O,
                      "sip_parse(data, /)\n--\n\nParse one SIP message (a datagram) into a Message."};

template <sip::HeaderId id>
pybind11::object auth_of(const MessageRef& m) { return held_list(m, m->auth(id)); }
template <sip::HeaderId id>
pybind11::object tokens_of(const MessageRef& m) { return str_list(m->tokens(id)); }

// A deferred list header: parsed into slot on first read (a parse error propagates and nothing
// is kept), then a new list of the kept views on every read.
template <class F>
pybind11::object cached_list(pybind11::object& slot, F&& make) {
    if (!slot) slot = make();
    PyObject* copy = PyList_GetSlice(slot.ptr(), 0, PY_SSIZE_T_MAX);
    if (!copy) throw pybind11::error_already_set();
    return pybind11::reinterpret_steal<pybind11::object>(copy);
}
template <class T>
pybind11::object opt_uint(const std::optional<T>& v) { return v ? pybind11::object(pybind11::int_(*v)) : pybind11::none(); }

using HUri = Held<sip::Uri>;

HUri uri_from_text(const std::string& text) {
    auto owner = std::make_shared<std::string>(text);
    if (owner->capacity() < 32) owner->reserve(32);
    return HUri{owner, sip::Uri::parse(*owner)};
}

pybind11::object uri_user(const HUri& u) {
    if (u.v.user.empty()) return pybind11::none();
    return sip::has_escape(u.v.user) ? str(u.v.user_decoded()) : str(u.v.user);
}

}  // namespace

void bind_sip(pybind11::module_& m) {
    using namespace pybind11::literals;

    pb::class_<HUri>(m, "Uri", "A SIP/SIPS/tel URI; other schemes are kept opaque.")
        .def_static("parse", &uri_from_text, "text"_a)
        .def_property_readonly("raw", [](const HUri& u) { return str(u.v.raw); })
        .def_property_readonly("scheme", [](const HUri& u) { return str(u.v.scheme_lower()); })
        .def_property_readonly("user", &uri_user)
        .def_property_readonly("password", [](const HUri& u) {
            return u.v.has_password ? str(u.v.password_decoded()) : pb::object(pb::none());
        })
        .def_property_readonly("host", [](const HUri& u) {
            return u.v.has_host() ? str(u.v.host) : pb::object(pb::none());
        })
        .def_property_readonly("port", [](const HUri& u) { return opt_int(u.v.port); })
        .def_property_readonly("opaque", [](const HUri& u) {
            return u.v.kind == sip::UriScheme::Other ? str(u.v.opaque) : pb::object(pb::none());
        })
        .def_property_readonly("params", [](const HUri& u) {
            pb::dict d;
            for (const auto& p : u.v.param_list()) d[str(p.name)] = p.has_value ? str(p.value) : pb::object(pb::none());
            return d;
        })
        .def_property_readonly("headers", [](const HUri& u) {
            pb::dict d;
            for (const auto& [n, v] : u.v.header_list()) d[str(n)] = str(v);
            return d;
        })
        .def("param", [](const HUri& u, std::string_view name) {
            auto p = u.v.param(name);
            return p ? str(*p) : pb::object(pb::none());
        }, "name"_a)
        .def("equals", [](const HUri& a, const HUri& b) { return sip::uri_equal(a.v, b.v); }, "other"_a)
        .def("__eq__", [](const HUri& a, const pb::object& b) -> pb::object {
            if (!pb::isinstance<HUri>(b)) return pb::reinterpret_borrow<pb::object>(Py_NotImplemented);
            return pb::bool_(sip::uri_equal(a.v, b.cast<const HUri&>().v));
        })
        .def("__hash__", [](const HUri& u) { return pb::hash(str(sip::uri_equality_key(u.v))); })
        .def("__str__", [](const HUri& u) { return str(u.v.raw); })
        .def("__repr__", [](const HUri& u) { return repr_str("Uri(" + std::string(u.v.raw) + ")"); });

    using HVia = Held<sip::Via>;
    using Obj = pb::object;
    static LightView<sip::Via> via;
    via.getter("raw", [](const HVia& v) { return str(v.v.raw); })
        .getter("protocol", [](const HVia& v) { return str(v.v.sent_protocol()); })
        .getter("transport", [](const HVia& v) { return str(v.v.transport); })
        .getter("host", [](const HVia& v) { return str(v.v.host); })
        .getter("port", [](const HVia& v) { return opt_int(v.v.port); })
        .getter("branch", [](const HVia& v) { return opt_str(v.v.has_branch, v.v.branch); })
        .getter("received", [](const HVia& v) {
            return v.v.has_received ? str(v.v.received_address()) : Obj(pb::none());
        })
        .getter("rport", [](const HVia& v) -> Obj {
            if (!v.v.has_rport) return pb::none();
            if (v.v.rport < 0) return pb::bool_(true);
            return pb::int_(v.v.rport);
        })
        .getter("maddr", [](const HVia& v) { return opt_str(v.v.has_maddr, v.v.maddr); })
        .getter("ttl", [](const HVia& v) { return opt_int(v.v.ttl); })
        .getter("params", [](const HVia& v) -> Obj { return params_dict(v.v.params, "Via"); })
        .repr([](const HVia& v) { return repr_str("Via(" + std::string(v.v.raw) + ")"); })
        .finish(m, "siperb._core.Via", "One Via value (a header line may hold several).");

    using HNA = Held<sip::NameAddr>;
    static LightView<sip::NameAddr> name_addr;
    name_addr.getter("raw", [](const HNA& n) { return str(n.v.raw); })
        .getter("display_name", [](const HNA& n) {
            return n.v.display.empty() ? Obj(pb::none()) : str(n.v.display_name());
        })
        .getter("uri", [](const HNA& n) { return pb::cast(HUri{n.owner, n.v.uri}); })
        .getter("tag", [](const HNA& n) { return opt_str(n.v.has_tag, n.v.tag); })
        .getter("params", [](const HNA& n) -> Obj { return params_dict(n.v.params, "name-addr"); })
        .getter("expires", [](const HNA& n) { return pb::cast(n.v.expires()); })
        .getter("q", [](const HNA& n) { return pb::cast(n.v.q()); })
        .repr([](const HNA& n) { return repr_str("NameAddr(" + std::string(n.v.raw) + ")"); })
        .finish(m, "siperb._core.NameAddr", "name-addr or addr-spec with header parameters (From, To, Contact, ...).");

    using HCSeq = Held<sip::CSeq>;
    static LightView<sip::CSeq> cseq;
    cseq.getter("number", [](const HCSeq& c) -> Obj { return pb::int_(c.v.number); })
        .getter("method", [](const HCSeq& c) { return str(c.v.method); })
        .repr([](const HCSeq& c) {
            return repr_str("CSeq(" + std::to_string(c.v.number) + ", " + std::string(c.v.method) + ")");
        })
        .finish(m, "siperb._core.CSeq", nullptr);

    using HAuth = Held<sip::Auth>;
    pb::class_<HAuth>(m, "Challenge", "Credentials or challenge: scheme and parameters (quoted values unquoted).")
        .def_property_readonly("scheme", [](const HAuth& a) { return str(a.v.scheme); })
        .def_property_readonly("params", [](const HAuth& a) {
            pb::dict d;
            for (const auto& [name, value] : a.v.normalized_params()) d[str(name)] = str(value);
            return d;
        })
        .def_property_readonly("token68", [](const HAuth& a) {
            return a.v.token68.empty() ? pb::object(pb::none()) : str(a.v.token68);
        })
        .def("__repr__", [](const HAuth& a) { return repr_str("Challenge(" + std::string(a.v.scheme) + ")"); });

    using HRep = Held<sip::Replaces>;
    pb::class_<HRep>(m, "Replaces")
        .def_property_readonly("call_id", [](const HRep& r) { return str(r.v.call_id); })
        .def_property_readonly("to_tag", [](const HRep& r) { return str(r.v.to_tag); })
        .def_property_readonly("from_tag", [](const HRep& r) { return str(r.v.from_tag); })
        .def_property_readonly("early_only", [](const HRep& r) { return r.v.early_only; })
        .def_property_readonly("params", [](const HRep& r) { return params_dict(r.v.params, "Replaces"); });

    using HEv = Held<sip::Event>;
    pb::class_<HEv>(m, "Event")
        .def_property_readonly("package", [](const HEv& e) { return str(e.v.package); })
        .def_property_readonly("id", [](const HEv& e) { return opt_str(e.v.has_id, e.v.id); })
        .def_property_readonly("params", [](const HEv& e) { return params_dict(e.v.params, "Event"); });

    using HSS = Held<sip::SubscriptionState>;
    pb::class_<HSS>(m, "SubscriptionState")
        .def_property_readonly("state", [](const HSS& s) { return str(s.v.state); })
        .def_property_readonly("expires", [](const HSS& s) { return opt_int(s.v.expires); })
        .def_property_readonly("retry_after", [](const HSS& s) { return opt_int(s.v.retry_after); })
        .def_property_readonly("reason", [](const HSS& s) { return opt_str(!s.v.reason.empty(), s.v.reason); })
        .def_property_readonly("params", [](const HSS& s) { return params_dict(s.v.params, "Subscription-State"); });

    using HReason = Held<sip::ReasonValue>;
    pb::class_<HReason>(m, "Reason")
        .def_property_readonly("protocol", [](const HReason& r) { return str(r.v.protocol); })
        .def_property_readonly("cause", [](const HReason& r) { return opt_int(r.v.cause); })
        .def_property_readonly("text", [](const HReason& r) {
            return r.v.text.empty() ? pb::object(pb::none()) : str(r.v.text_unquoted());
        })
        .def_property_readonly("params", [](const HReason& r) { return params_dict(r.v.params, "Reason"); });

    // The message: its attributes are plain getset descriptors, its methods pybind11 functions.
    static MessageType message;
    using H = sip::HeaderId;
    message.getter("is_request", [](const MessageRef& m) -> Obj { return pb::bool_(m->is_request()); })
        .getter("method", [](const MessageRef& m) { return m->is_request() ? str(m->method()) : Obj(pb::none()); })
        .getter("status", [](const MessageRef& m) { return m->is_request() ? Obj(pb::none()) : pb::int_(m->status()); })
        .getter("via", [](const MessageRef& m) -> Obj { return held_list(m, m->via()); })
        .getter("from_", [](const MessageRef& m) { return m->has_from() ? held(m, m->from()) : Obj(pb::none()); })
        .getter("to", [](const MessageRef& m) { return m->has_to() ? held(m, m->to()) : Obj(pb::none()); })
        .getter("call_id", [](const MessageRef& m) { return m->call_id().empty() ? Obj(pb::none()) : str(m->call_id()); })
        .getter("cseq", [](const MessageRef& m) { return m->has_cseq() ? held(m, m->cseq()) : Obj(pb::none()); })
        .getter("contact", [](const MessageRef& m) {
            return cached_list(m.contact, [&] { return held_list(m, m->contact()); });
        })
        .getter("uri", [](const MessageRef& m) -> Obj {
            if (!m->uri()) return pb::none();
            return pb::cast(HUri{m, *m->uri()});
        })
        .getter("reason", [](const MessageRef& m) { return m->is_request() ? Obj(pb::none()) : str(m->reason()); })
        .getter("version", [](const MessageRef& m) { return str(m->version()); })
        .getter("headers", [](const MessageRef& m) -> Obj {
            const auto& hs = m->headers();
            pb::list out(hs.size());
            for (size_t i = 0; i < hs.size(); ++i) out[i] = pb::make_tuple(str(hs[i].name), str(hs[i].value));
            return out;
        })
        .getter("contact_star", [](const MessageRef& m) -> Obj {
            if (!m.contact) m.contact = held_list(m, m->contact());  // validates every Contact value
            return pb::bool_(m->contact_star());
        })
        .getter("route", [](const MessageRef& m) {
            return cached_list(m.route, [&] { return held_list(m, m->route()); });
        })
        .getter("record_route", [](const MessageRef& m) {
            return cached_list(m.record_route, [&] { return held_list(m, m->record_route()); });
        })
        .getter("max_forwards", [](const MessageRef& m) { return opt_uint(m->max_forwards()); })
        .getter("content_length", [](const MessageRef& m) { return opt_uint(m->content_length()); })
        .getter("content_type", [](const MessageRef& m) {
            auto v = m->content_type();
            return v ? str(*v) : Obj(pb::none());
        })
        .getter("expires", [](const MessageRef& m) { return opt_uint(m->expires()); })
        .getter("authorization", &auth_of<H::Authorization>)
        .getter("proxy_authorization", &auth_of<H::ProxyAuthorization>)
        .getter("www_authenticate", &auth_of<H::WwwAuthenticate>)
        .getter("proxy_authenticate", &auth_of<H::ProxyAuthenticate>)
        .getter("refer_to", [](const MessageRef& m) { return held_opt(m, m->refer_to()); })
        .getter("referred_by", [](const MessageRef& m) { return held_opt(m, m->referred_by()); })
        .getter("replaces", [](const MessageRef& m) { return held_opt(m, m->replaces()); })
        .getter("event", [](const MessageRef& m) { return held_opt(m, m->event()); })
        .getter("subscription_state", [](const MessageRef& m) { return held_opt(m, m->subscription_state()); })
        .getter("allow", &tokens_of<H::Allow>)
        .getter("supported", &tokens_of<H::Supported>)
        .getter("require", &tokens_of<H::Require>)
        .getter("proxy_require", &tokens_of<H::ProxyRequire>)
        .getter("reason_header", [](const MessageRef& m) -> Obj { return held_list(m, m->reason_header()); })
        .getter("user_agent", [](const MessageRef& m) {
            auto v = m->user_agent();
            return v ? str(*v) : Obj(pb::none());
        })
        .getter("body", [](const MessageRef& m) -> Obj { return pb::bytes(m->body().data(), m->body().size()); })
        .repr([](const MessageRef& m) {
            if (m->is_request()) return repr_str("<sip.Message " + std::string(m->method()) + " " + std::string(m->uri()->raw) + ">");
            return repr_str("<sip.Message " + std::to_string(m->status()) + " " + std::string(m->reason()) + ">");
        })
        .finish(m, "siperb._core.Message", "A parsed SIP request or response (immutable).");
    message
        .method("header", [](const MessagePtr& m, std::string_view name) {
            auto v = m->header(name);
            return v ? str(*v) : pb::object(pb::none());
        }, "name"_a)
        .method("header_values", [](const MessagePtr& m, std::string_view name) {
            return str_list(m->header_values(name));
        }, "name"_a)
        .method("__bytes__", [](const MessagePtr& m) { return pb::bytes(m->wire().data(), m->wire().size()); })
        .method("with_header", [](const MessagePtr& m, std::string_view n, std::string_view v) {
            return std::make_shared<Message>(m->with_header(n, v));
        }, "name"_a, "value"_a)
        .method("with_added_header", [](const MessagePtr& m, std::string_view n, std::string_view v, bool first) {
            return std::make_shared<Message>(m->with_added_header(n, v, first));
        }, "name"_a, "value"_a, pb::kw_only(), "first"_a = false)
        .method("without_header", [](const MessagePtr& m, std::string_view n) {
            return std::make_shared<Message>(m->without_header(n));
        }, "name"_a)
        .method("with_body", [](const MessagePtr& m, const pb::bytes& body, std::optional<std::string> ct) {
            std::optional<std::string_view> ctv;
            if (ct) ctv = *ct;
            return std::make_shared<Message>(m->with_body(bytes_view(body), ctv));
        }, "body"_a, "content_type"_a = pb::none());

    m.attr("sip_parse") = pb::reinterpret_steal<pb::object>(PyCFunction_NewEx(&parse_def, nullptr, m.attr("__name__").ptr()));
    m.def("sip_request", [](std::string_view method, std::string_view uri,
                            const std::vector<std::pair<std::string, std::string>>& headers, const pb::bytes& body) {
        return std::make_shared<Message>(Message::request(method, uri, header_list(headers), bytes_view(body)));
    }, "method"_a, "uri"_a, "headers"_a, "body"_a);
    m.def("sip_response", [](int status, std::string_view reason,
                             const std::vector<std::pair<std::string, std::string>>& headers, const pb::bytes& body) {
        return std::make_shared<Message>(Message::response(status, reason, header_list(headers), bytes_view(body)));
    }, "status"_a, "reason"_a, "headers"_a, "body"_a);

    pb::class_<sip::StreamFramer>(m, "StreamFramer", "Frames SIP messages out of a TCP/TLS byte stream.")
        .def(pb::init<size_t>(), "max_message_size"_a = 65536)
        .def("feed", [](sip::StreamFramer& f, const pb::bytes& chunk) {
            std::string_view v = bytes_view(chunk);
            std::vector<Message> msgs;
            if (v.size() > 4096) {
                pb::gil_scoped_release nogil;
                msgs = f.feed(v);
            } else {
                msgs = f.feed(v);
            }
            pb::list out(msgs.size());
            for (size_t i = 0; i < msgs.size(); ++i) out[i] = pb::cast(std::make_shared<Message>(std::move(msgs[i])));
            return out;
        }, "chunk"_a)
        .def_property_readonly("keepalives", &sip::StreamFramer::keepalives)
        .def("take_keepalives", &sip::StreamFramer::take_keepalives)
        .def_property_readonly("buffered", &sip::StreamFramer::buffered)
        .def_property_readonly("rejected", [](const sip::StreamFramer& f) {
            return pb::bytes(f.rejected().data(), f.rejected().size());
        })
        .def_property_readonly("max_message_size", &sip::StreamFramer::max_message_size)
        .def("reset", &sip::StreamFramer::reset);

    pb::class_<sip::LingerTable>(m, "LingerTable",
                                 "What transactions keep while they linger: key -> (kind, flow, bytes to send again).")
        .def(pb::init<size_t>(), "max_entries"_a)
        .def("add", [](sip::LingerTable& t, std::string_view key, std::uint8_t kind, std::uint64_t flow,
                       const pb::bytes& resend, double deadline, std::string_view note) {
            return t.add(key, kind, flow, bytes_view(resend), deadline, note);
        }, "key"_a, "kind"_a, "flow"_a, "resend"_a, "deadline"_a, "note"_a = "")
        .def("find", [](const sip::LingerTable& t, std::string_view key) -> pb::object {
            const auto* e = t.find(key);
            if (!e) return pb::none();
            return pb::make_tuple(e->kind, e->flow, pb::bytes(e->resend.data(), e->resend.size()),
                                  pb::str(e->note.data(), e->note.size()));
        }, "key"_a)
        .def("erase", &sip::LingerTable::erase, "key"_a)
        .def("expire", &sip::LingerTable::expire, "now"_a)
        .def("next_deadline", &sip::LingerTable::next_deadline)
        .def("__len__", &sip::LingerTable::size)
        .def_property_readonly("max_entries", &sip::LingerTable::max_entries)
        .def_property_readonly("evicted", &sip::LingerTable::evicted)
        .def_property_readonly("bytes", &sip::LingerTable::bytes)
        .def_property_readonly("mapped", &sip::LingerTable::mapped)
        .def("clear", &sip::LingerTable::clear);
}

}  // namespace siperb::py
