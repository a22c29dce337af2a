// Bindings for csrc/dtls/: the process certificate and a sans-IO DtlsSession, so that Python
// tests can drive two sessions (or one against another DTLS stack) in memory. Glue only; every
// call is short and never blocks, so the GIL is kept.
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "common/error.hpp"
#include "dtls/dtls_session.hpp"

namespace siperb::py {

namespace pb = pybind11;
using namespace siperb::dtls;

namespace {

DtlsRole role_in(const std::string& s) {
    if (s == "client") return DtlsRole::Client;
    if (s == "server") return DtlsRole::Server;
    throw MediaError("role", "must be 'client' or 'server', got '" + s + "'");
}

std::vector<media::SrtpSuite> suites_in(const std::vector<std::string>& names) {
    std::vector<media::SrtpSuite> out;
    for (const auto& n : names) {
        auto s = media::srtp_suite_from(n);
        if (!s) throw MediaError("srtp_profiles", "unknown SRTP suite '" + n + "'");
        out.push_back(*s);
    }
    return out;
}

pb::bytes bytes_of(const std::vector<std::uint8_t>& v) {
    return pb::bytes(reinterpret_cast<const char*>(v.data()), v.size());
}

}  // namespace

void bind_dtls(pb::module_& m) {
    pb::class_<DtlsCertificate, std::shared_ptr<DtlsCertificate>>(m, "DtlsCertificate")
        .def_static("process", [] { return std::const_pointer_cast<DtlsCertificate>(DtlsCertificate::process()); })
        .def_static("generate", [] { return std::const_pointer_cast<DtlsCertificate>(DtlsCertificate::generate()); })
        .def_property_readonly("fingerprint_algorithm", &DtlsCertificate::fingerprint_algorithm)
        .def_property_readonly("fingerprint", &DtlsCertificate::fingerprint);

    m.def("srtp_suite_supported", [](const std::string& suite) {
        auto s = media::srtp_suite_from(suite);
        if (!s) throw MediaError("srtp_suite", "unknown SRTP suite '" + suite + "'");
        return media::srtp_suite_supported(*s);
    }, pb::arg("suite"));

    pb::class_<DtlsSession>(m, "DtlsSession")
        .def(pb::init([](std::shared_ptr<DtlsCertificate> cert, const std::string& role, unsigned mtu,
                         std::optional<std::vector<std::string>> profiles, unsigned initial_timeout_ms,
                         unsigned handshake_timeout_ms) {
                 DtlsConfig cfg;
                 cfg.role = role_in(role);
                 cfg.mtu = mtu;
                 if (profiles) cfg.srtp_profiles = suites_in(*profiles);
                 cfg.initial_timeout_ms = initial_timeout_ms;
                 cfg.handshake_timeout_ms = handshake_timeout_ms;
                 return std::make_unique<DtlsSession>(std::move(cert), std::move(cfg));
             }),
             pb::arg("cert"), pb::arg("role"), pb::arg("mtu") = 1200, pb::arg("srtp_profiles") = pb::none(),
             pb::arg("initial_timeout_ms") = 400, pb::arg("handshake_timeout_ms") = 30000)
        .def_property_readonly("role", [](const DtlsSession& s) {
            return s.role() == DtlsRole::Client ? "client" : "server";
        })
        .def_property_readonly("state", [](const DtlsSession& s) { return to_string(s.state()); })
        .def_property_readonly("failure", &DtlsSession::failure)
        .def("set_remote_fingerprint", &DtlsSession::set_remote_fingerprint, pb::arg("algorithm"), pb::arg("hex"))
        .def("start", &DtlsSession::start, pb::arg("now_ns"))
        .def("on_datagram", [](DtlsSession& s, const pb::bytes& data, std::int64_t now_ns) {
            const std::string_view v = data;
            s.on_datagram(reinterpret_cast<const std::uint8_t*>(v.data()), v.size(), now_ns);
        }, pb::arg("data"), pb::arg("now_ns"))
        .def("next_deadline", &DtlsSession::next_deadline)
        .def("on_timeout", &DtlsSession::on_timeout, pb::arg("now_ns"))
        .def("poll_transmit", [](DtlsSession& s) -> std::optional<pb::bytes> {
            std::vector<std::uint8_t> out;
            if (!s.poll_transmit(out)) return std::nullopt;
            return bytes_of(out);
        })
        .def("close", &DtlsSession::close)
        .def("srtp_keys", [](const DtlsSession& s) -> std::optional<pb::tuple> {
            auto k = s.srtp_keys();
            if (!k) return std::nullopt;
            return pb::make_tuple(media::to_string(k->local.suite), bytes_of(k->local.master), bytes_of(k->remote.master));
        })
        .def("stats", [](const DtlsSession& s) {
            const auto st = s.stats();
            pb::dict d;
            d["datagrams_in"] = st.datagrams_in;
            d["datagrams_out"] = st.datagrams_out;
            d["dropped"] = st.dropped;
            d["retransmits"] = st.retransmits;
            return d;
        });
}

}  // namespace siperb::py
