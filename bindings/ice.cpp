// Bindings for csrc/ice/: the STUN codec, the Binding client, the IceAgent and the TurnClient.
// Addresses cross as (host, port) tuples, datagrams as bytes. Glue only: every call is short,
// so none releases the GIL.
#include "bindings.hpp"

#include "ice/ice_agent.hpp"
#include "ice/ice_candidate.hpp"
#include "ice/stun_gather.hpp"
#include "ice/stun_message.hpp"
#include "ice/turn_client.hpp"

#include <pybind11/stl.h>

#include <string_view>

namespace pb = pybind11;

namespace siperb::py {

namespace {

using namespace siperb::ice;
using Addr = std::pair<std::string, std::uint16_t>;

net::SocketAddress addr_in(const Addr& a) { return net::SocketAddress::parse(a.first, a.second); }
Addr addr_out(const net::SocketAddress& a) { return {a.host(), a.port()}; }
std::optional<Addr> addr_opt(const std::optional<net::SocketAddress>& a) {
    if (!a) return std::nullopt;
    return addr_out(*a);
}
pb::bytes bytes_of(const void* p, std::size_t n) { return {static_cast<const char*>(p), n}; }
pb::bytes bytes_of(std::string_view s) { return bytes_of(s.data(), s.size()); }
const std::uint8_t* u8(std::string_view s) { return reinterpret_cast<const std::uint8_t*>(s.data()); }

StunTransactionId tid_in(std::string_view s) {
    if (s.size() != 12) throw StunParseError("transaction_id", "must be 12 bytes, got " + std::to_string(s.size()));
    StunTransactionId t{};
    std::memcpy(t.data(), s.data(), 12);
    return t;
}

template <class T>
std::optional<pb::bytes> opt_bytes(const std::optional<T>& v) {
    if (!v) return std::nullopt;
    return bytes_of(*v);
}
template <class T>
std::optional<pb::str> opt_str(const std::optional<T>& v) {
    if (!v) return std::nullopt;
    PyObject* o = PyUnicode_DecodeUTF8(v->data(), Py_ssize_t(v->size()), "backslashreplace");
    if (!o) throw pb::error_already_set();
    return pb::reinterpret_steal<pb::str>(o);
}

const char* state_name(StunBindingState s) {
    static const char* const n[] = {"idle", "running", "done", "failed"};
    return n[int(s)];
}
const char* state_name(TurnState s) {
    static const char* const n[] = {"new", "allocating", "allocated", "failed", "closed"};
    return n[int(s)];
}
const char* event_name(IceEventType t) {
    static const char* const n[] = {"state_changed", "selected_pair", "role_conflict", "consent_lost", "local_candidate"};
    return n[int(t)];
}

void bind_stun(pb::module_& m) {
    pb::class_<StunMessage>(m, "StunMessage")
        .def_readonly("method", &StunMessage::method)
        .def_property_readonly("cls", [](const StunMessage& s) { return int(s.cls); })
        .def_property_readonly("transaction_id", [](const StunMessage& s) { return bytes_of(s.transaction_id.data(), 12); })
        .def_property_readonly("raw", [](const StunMessage& s) { return bytes_of(s.raw.data(), s.raw.size()); })
        .def_property_readonly("attributes", [](const StunMessage& s) {
            std::vector<std::pair<int, pb::bytes>> v;
            for (const auto& a : s.attributes) v.emplace_back(a.type, bytes_of(s.value(a)));
            return v;
        })
        .def_readonly("has_fingerprint", &StunMessage::has_fingerprint)
        .def_readonly("unknown_required", &StunMessage::unknown_required)
        .def_property_readonly("username", [](const StunMessage& s) { return opt_str(s.username()); })
        .def_property_readonly("realm", [](const StunMessage& s) { return opt_str(s.realm()); })
        .def_property_readonly("nonce", [](const StunMessage& s) { return opt_str(s.nonce()); })
        .def_property_readonly("software", [](const StunMessage& s) { return opt_str(s.software()); })
        .def_property_readonly("data", [](const StunMessage& s) { return opt_bytes(s.data()); })
        .def_property_readonly("priority", &StunMessage::priority)
        .def_property_readonly("lifetime", &StunMessage::lifetime)
        .def_property_readonly("channel_number", &StunMessage::channel_number)
        .def_property_readonly("requested_transport", &StunMessage::requested_transport)
        .def_property_readonly("ice_controlling", &StunMessage::ice_controlling)
        .def_property_readonly("ice_controlled", &StunMessage::ice_controlled)
        .def_property_readonly("use_candidate", &StunMessage::use_candidate)
        .def_property_readonly("error_code", [](const StunMessage& s) -> std::optional<std::pair<unsigned, std::string>> {
            auto e = s.error_code();
            if (!e) return std::nullopt;
            return std::make_pair(e->code, printable_utf8(e->reason));
        })
        .def("address", [](const StunMessage& s, std::uint16_t type) { return addr_opt(s.address(type)); }, pb::arg("type"))
        .def_property_readonly("xor_mapped_address", [](const StunMessage& s) { return addr_opt(s.xor_mapped_address()); })
        .def_property_readonly("mapped_address", [](const StunMessage& s) { return addr_opt(s.mapped_address()); })
        .def("check_integrity", [](const StunMessage& s, std::string_view key) { return s.check_integrity(key); }, pb::arg("key"))
        .def("check_integrity_sha256", [](const StunMessage& s, std::string_view key) { return s.check_integrity_sha256(key); },
             pb::arg("key"));

    m.def("stun_parse", [](std::string_view data) { return StunMessage::parse(u8(data), data.size()); }, pb::arg("data"));
    m.def("stun_long_term_key", [](std::string_view u, std::string_view r, std::string_view p) { return bytes_of(stun_long_term_key(u, r, p)); },
          pb::arg("username"), pb::arg("realm"), pb::arg("password"));
    m.def("stun_crc32", [](std::string_view d) { return stun_crc32(u8(d), d.size()); }, pb::arg("data"));
    m.def("stun_random_transaction_id", [] { auto t = random_transaction_id(); return bytes_of(t.data(), 12); });

    using B = StunBuilder;
    pb::class_<B>(m, "StunBuilder")
        .def(pb::init([](std::uint16_t method, int cls, std::string_view tid) {
                 if (cls < 0 || cls > 3) throw StunParseError("cls", "must be 0..3");
                 return B(method, StunClass(cls), tid_in(tid));
             }),
             pb::arg("method"), pb::arg("cls"), pb::arg("transaction_id"))
        .def("add_bytes", [](B& b, std::uint16_t t, std::string_view v) -> B& { return b.add_bytes(t, v.data(), v.size()); },
             pb::arg("type"), pb::arg("value"), pb::return_value_policy::reference_internal)
        .def("add_u32", &B::add_u32, pb::arg("type"), pb::arg("value"), pb::return_value_policy::reference_internal)
        .def("add_u64", &B::add_u64, pb::arg("type"), pb::arg("value"), pb::return_value_policy::reference_internal)
        .def("add_flag", &B::add_flag, pb::arg("type"), pb::return_value_policy::reference_internal)
        .def("add_channel_number", &B::add_channel_number, pb::arg("channel"), pb::return_value_policy::reference_internal)
        .def("add_requested_transport", &B::add_requested_transport, pb::arg("protocol") = 17,
             pb::return_value_policy::reference_internal)
        .def("add_error_code", [](B& b, unsigned c, std::string_view r) -> B& { return b.add_error_code(c, r); },
             pb::arg("code"), pb::arg("reason"), pb::return_value_policy::reference_internal)
        .def("add_address", [](B& b, std::uint16_t t, const Addr& a) -> B& { return b.add_address(t, addr_in(a)); },
             pb::arg("type"), pb::arg("address"), pb::return_value_policy::reference_internal)
        .def("add_xor_address", [](B& b, std::uint16_t t, const Addr& a) -> B& { return b.add_xor_address(t, addr_in(a)); },
             pb::arg("type"), pb::arg("address"), pb::return_value_policy::reference_internal)
        .def("add_integrity", [](B& b, std::string_view k) -> B& { return b.add_integrity(k); }, pb::arg("key"),
             pb::return_value_policy::reference_internal)
        .def("add_integrity_sha256", [](B& b, std::string_view k) -> B& { return b.add_integrity_sha256(k); }, pb::arg("key"),
             pb::return_value_policy::reference_internal)
        .def("add_fingerprint", &B::add_fingerprint, pb::return_value_policy::reference_internal)
        .def("to_bytes", [](const B& b) { return bytes_of(b.bytes().data(), b.bytes().size()); });

    pb::class_<StunBindingClient>(m, "StunBindingClient")
        .def(pb::init([](std::uint32_t rto, std::uint32_t cap, std::string sw) { return StunBindingClient({rto, cap, std::move(sw)}); }),
             pb::arg("rto_ms") = 100, pb::arg("cap_ms") = 1500, pb::arg("software") = "")
        .def("start", [](StunBindingClient& c, const Addr& a, std::int64_t now) { c.start(addr_in(a), now); }, pb::arg("server"), pb::arg("now_ns"))
        .def("poll_transmit", [](StunBindingClient& c) -> std::optional<std::pair<Addr, pb::bytes>> {
            Transmit t;
            if (!c.poll_transmit(t)) return std::nullopt;
            return std::make_pair(addr_out(t.to), bytes_of(t.data.data(), t.data.size()));
        })
        .def("on_datagram", [](StunBindingClient& c, std::string_view d, const Addr& a, std::int64_t now) { return c.on_datagram(u8(d), d.size(), addr_in(a), now); },
             pb::arg("data"), pb::arg("source"), pb::arg("now_ns"))
        .def("next_deadline", &StunBindingClient::next_deadline)
        .def("on_timeout", &StunBindingClient::on_timeout, pb::arg("now_ns"))
        .def_property_readonly("state", [](const StunBindingClient& c) { return state_name(c.state()); })
        .def_property_readonly("mapped", [](const StunBindingClient& c) { return addr_opt(c.mapped()); })
        .def_property_readonly("failure", &StunBindingClient::failure)
        .def_property_readonly("transmissions", &StunBindingClient::transmissions);
}

void bind_agent(pb::module_& m) {
    pb::class_<Candidate>(m, "IceCandidate")
        .def_readonly("foundation", &Candidate::foundation)
        .def_readonly("component", &Candidate::component)
        .def_readonly("transport", &Candidate::transport)
        .def_readonly("priority", &Candidate::priority)
        .def_property_readonly("address", [](const Candidate& c) { return addr_out(c.address); })
        .def_property_readonly("type", [](const Candidate& c) { return candidate_type_name(c.type); })
        .def_property_readonly("related", [](const Candidate& c) -> std::optional<Addr> {
            if (c.related.empty()) return std::nullopt;
            return addr_out(c.related);
        })
        .def("to_sdp", &Candidate::to_sdp);
    m.def("parse_candidate", &parse_candidate, pb::arg("value"));

    pb::class_<IceAgent>(m, "IceAgent")
        .def(pb::init([](const std::string& role, bool lite, std::string ufrag, std::string pwd, std::uint64_t tie, std::uint32_t ta,
                         std::uint32_t consent_interval, std::uint32_t consent_timeout, std::uint32_t keepalive, std::uint32_t rto,
                         std::uint32_t max_tx, std::uint32_t nomination_delay, std::uint32_t max_remote, std::uint32_t max_pairs) {
                 if (role != "controlling" && role != "controlled")
                     throw MediaError("role", "'" + role + "' is not 'controlling' or 'controlled'");
                 IceConfig c;
                 c.role = role == "controlling" ? IceRole::Controlling : IceRole::Controlled;
                 c.lite = lite;
                 c.local_ufrag = std::move(ufrag);
                 c.local_pwd = std::move(pwd);
                 c.tie_breaker = tie;
                 c.ta_ms = ta;
                 c.consent_interval_ms = consent_interval;
                 c.consent_timeout_ms = consent_timeout;
                 c.keepalive_ms = keepalive;
                 c.check_rto_ms = rto;
                 c.check_max_transmissions = max_tx;
                 c.nomination_delay_ms = nomination_delay;
                 c.max_remote_candidates = max_remote;
                 c.max_pairs = max_pairs;
                 return IceAgent(std::move(c));
             }),
             pb::arg("role") = "controlling", pb::arg("lite") = false, pb::arg("local_ufrag") = "", pb::arg("local_pwd") = "",
             pb::arg("tie_breaker") = 0, pb::arg("ta_ms") = 50, pb::arg("consent_interval_ms") = 5000,
             pb::arg("consent_timeout_ms") = 30000, pb::arg("keepalive_ms") = 15000, pb::arg("check_rto_ms") = 500,
             pb::arg("check_max_transmissions") = 7, pb::arg("nomination_delay_ms") = 200,
             pb::arg("max_remote_candidates") = 100, pb::arg("max_pairs") = 100)
        .def_property_readonly("local_ufrag", &IceAgent::local_ufrag)
        .def_property_readonly("local_pwd", &IceAgent::local_pwd)
        .def_property_readonly("role", [](const IceAgent& a) { return a.role() == IceRole::Controlling ? "controlling" : "controlled"; })
        .def_property_readonly("state", [](const IceAgent& a) { return to_string(a.state()); })
        .def_property_readonly("lite", &IceAgent::lite)
        .def("add_host_candidate", [](IceAgent& a, const Addr& l) { a.add_host_candidate(addr_in(l)); }, pb::arg("local"))
        .def("add_server_reflexive", [](IceAgent& a, const Addr& mp, const Addr& b) { a.add_server_reflexive(addr_in(mp), addr_in(b)); },
             pb::arg("mapped"), pb::arg("base"))
        .def("add_relayed", [](IceAgent& a, const Addr& r, const Addr& b) { a.add_relayed(addr_in(r), addr_in(b)); }, pb::arg("relayed"),
             pb::arg("base"))
        .def("local_candidates", &IceAgent::local_candidates)
        .def("remote_candidates", &IceAgent::remote_candidates)
        .def("set_remote_credentials", &IceAgent::set_remote_credentials, pb::arg("ufrag"), pb::arg("pwd"), pb::arg("now_ns"))
        .def("add_remote_candidate", &IceAgent::add_remote_candidate, pb::arg("candidate"), pb::arg("now_ns"))
        .def("end_of_remote_candidates", &IceAgent::end_of_remote_candidates)
        .def("restart_local_credentials", &IceAgent::restart_local_credentials, pb::arg("ufrag") = "", pb::arg("pwd") = "")
        .def("start", &IceAgent::start, pb::arg("now_ns"))
        .def("close", &IceAgent::close)
        .def("on_stun", [](IceAgent& a, std::string_view d, const Addr& f, bool relayed, std::int64_t now) { a.on_stun(u8(d), d.size(), addr_in(f), relayed, now); },
             pb::arg("data"), pb::arg("source"), pb::arg("relayed"), pb::arg("now_ns"))
        .def("on_media_received", [](IceAgent& a, const Addr& f, std::int64_t now) { a.on_media_received(addr_in(f), now); },
             pb::arg("source"), pb::arg("now_ns"))
        .def("next_deadline", &IceAgent::next_deadline)
        .def("on_timeout", &IceAgent::on_timeout, pb::arg("now_ns"))
        .def("poll_transmit", [](IceAgent& a) -> std::optional<std::tuple<Addr, pb::bytes, bool>> {
            Transmit t;
            if (!a.poll_transmit(t)) return std::nullopt;
            return std::make_tuple(addr_out(t.to), bytes_of(t.data.data(), t.data.size()), t.relayed);
        })
        .def("poll_event", [](IceAgent& a) -> std::optional<std::tuple<std::string, std::string, std::string>> {
            IceEvent e;
            if (!a.poll_event(e)) return std::nullopt;
            return std::make_tuple(event_name(e.type), to_string(e.state), e.detail);
        })
        .def("selected_remote", [](const IceAgent& a) { return addr_opt(a.selected_remote()); })
        .def_property_readonly("selected_is_relayed", &IceAgent::selected_is_relayed)
        .def("is_selected_remote", [](const IceAgent& a, const Addr& f) { return a.is_selected_remote(addr_in(f)); }, pb::arg("source"))
        .def("stats", [](const IceAgent& a) {
            const auto s = a.stats();
            return std::map<std::string, std::uint64_t>{{"checks_sent", s.checks_sent}, {"checks_received", s.checks_received},
                                                        {"responses_received", s.responses_received}, {"dropped", s.dropped},
                                                        {"role_conflicts", s.role_conflicts}, {"refused", s.refused}};
        });
}

void bind_turn(pb::module_& m) {
    pb::class_<TurnClient>(m, "TurnClient")
        .def(pb::init([](const Addr& server, std::string user, std::string pwd, std::uint32_t lifetime, std::uint32_t rto,
                         std::uint32_t max_tx, std::uint32_t max_peers, std::string sw) {
                 return TurnClient({addr_in(server), std::move(user), std::move(pwd), lifetime, rto, max_tx, max_peers, std::move(sw)});
             }),
             pb::arg("server"), pb::arg("username"), pb::arg("password"), pb::arg("lifetime_s") = 600, pb::arg("rto_ms") = 500,
             pb::arg("max_transmissions") = 7, pb::arg("max_peers") = 64, pb::arg("software") = "")
        .def_property_readonly("state", [](const TurnClient& t) { return state_name(t.state()); })
        .def_property_readonly("failure", &TurnClient::failure)
        .def_property_readonly("server", [](const TurnClient& t) { return addr_out(t.server()); })
        .def_property_readonly("relayed", [](const TurnClient& t) { return addr_opt(t.relayed()); })
        .def_property_readonly("mapped", [](const TurnClient& t) { return addr_opt(t.mapped()); })
        .def("start", &TurnClient::start, pb::arg("now_ns"))
        .def("close", &TurnClient::close, pb::arg("now_ns"))
        .def("next_deadline", &TurnClient::next_deadline)
        .def("on_timeout", &TurnClient::on_timeout, pb::arg("now_ns"))
        .def("add_peer", [](TurnClient& t, const Addr& p, bool ch, std::int64_t now) { t.add_peer(addr_in(p), ch, now); }, pb::arg("peer"),
             pb::arg("channel"), pb::arg("now_ns"))
        .def("send_to_peer", [](TurnClient& t, const Addr& p, std::string_view d, std::int64_t now) { t.send_to_peer(addr_in(p), u8(d), d.size(), now); },
             pb::arg("peer"), pb::arg("data"), pb::arg("now_ns"))
        .def("on_datagram", [](TurnClient& t, std::string_view d, std::int64_t now) -> std::optional<std::pair<pb::bytes, Addr>> {
            std::vector<std::uint8_t> out;
            net::SocketAddress peer;
            if (!t.on_datagram(u8(d), d.size(), now, out, peer)) return std::nullopt;
            return std::make_pair(bytes_of(out.data(), out.size()), addr_out(peer));
        }, pb::arg("data"), pb::arg("now_ns"))
        .def("poll_transmit", [](TurnClient& t) -> std::optional<pb::bytes> {
            std::vector<std::uint8_t> out;
            if (!t.poll_transmit(out)) return std::nullopt;
            return bytes_of(out.data(), out.size());
        })
        .def("channel_bound", [](const TurnClient& t, const Addr& p) { return t.channel_bound(addr_in(p)); }, pb::arg("peer"))
        .def("permitted", [](const TurnClient& t, const Addr& p) { return t.permitted(addr_in(p)); }, pb::arg("peer"))
        .def("stats", [](const TurnClient& t) {
            const auto s = t.stats();
            return std::map<std::string, std::uint64_t>{{"requests_sent", s.requests_sent}, {"responses_received", s.responses_received},
                                                        {"dropped", s.dropped}, {"data_in", s.data_in}, {"data_out", s.data_out}};
        });
}

}  // namespace

void bind_ice(pb::module_& m) {
    bind_stun(m);
    bind_agent(m);
    bind_turn(m);
}

}  // namespace siperb::py
