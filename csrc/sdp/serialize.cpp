// RFC 8866 writer: CRLF lines in section 5 order; typed attributes first, then unknown ones.
#include "sdp/attributes.hpp"
#include "sdp/session.hpp"
#include "sdp/text.hpp"

namespace siperb::sdp {

namespace {

class Writer {
public:
    void line(char type, std::string_view value) {
        const char field[2] = {type, 0};
        text::check_line_safe(value, field);
        out_ += type;
        out_ += '=';
        out_ += value;
        out_ += "\r\n";
    }
    void attr(std::string_view name, std::optional<std::string_view> value = std::nullopt) {
        std::string v(name);
        if (value) {
            v += ':';
            v += *value;
        }
        line('a', v);
    }
    std::string take() { return std::move(out_); }

private:
    std::string out_;
};

std::string format(const Connection& c) {
    std::string s = c.nettype + ' ' + c.addrtype + ' ' + c.address;
    if (c.ttl) s += '/' + std::to_string(*c.ttl);
    if (c.count) s += '/' + std::to_string(*c.count);
    return s;
}

std::string format(const Bandwidth& b) { return b.type + ':' + std::to_string(b.value); }

template <class Level>
void write_common(Writer& w, const Level& l) {
    if (l.ice_lite) w.attr("ice-lite");
    if (l.ice_ufrag) w.attr("ice-ufrag", *l.ice_ufrag);
    if (l.ice_pwd) w.attr("ice-pwd", *l.ice_pwd);
    if (!l.ice_options.empty()) {
        std::string o;
        for (const auto& x : l.ice_options) o += (o.empty() ? "" : " ") + x;
        w.attr("ice-options", o);
    }
    for (const auto& f : l.fingerprints) w.attr("fingerprint", attr::format(f));
    if (l.setup) w.attr("setup", to_string(*l.setup));
}

void write_unknown(Writer& w, const std::vector<Attribute>& attrs) {
    for (const auto& a : attrs) {
        if (a.value) w.attr(a.name, *a.value);
        else w.attr(a.name);
    }
}

void write_media(Writer& w, const Media& m) {
    std::string ml = m.kind + ' ' + std::to_string(m.port);
    if (m.port_count) ml += '/' + std::to_string(*m.port_count);
    ml += ' ' + m.proto;
    for (const auto& f : m.formats) ml += ' ' + f;
    w.line('m', ml);
    if (m.information) w.line('i', *m.information);
    if (m.connection) w.line('c', format(*m.connection));
    for (const auto& b : m.bandwidths) w.line('b', format(b));
    if (m.key) w.line('k', *m.key);
    if (m.mid) w.attr("mid", *m.mid);
    std::vector<bool> written(m.fmtps.size(), false);
    for (const auto& r : m.rtpmaps) {
        w.attr("rtpmap", attr::format(r));
        const std::string pt = std::to_string(r.payload_type);
        for (std::size_t i = 0; i < m.fmtps.size(); ++i)
            if (!written[i] && m.fmtps[i].format == pt) {
                w.attr("fmtp", attr::format(m.fmtps[i]));
                written[i] = true;
            }
    }
    for (std::size_t i = 0; i < m.fmtps.size(); ++i)
        if (!written[i]) w.attr("fmtp", attr::format(m.fmtps[i]));
    if (m.ptime) w.attr("ptime", std::to_string(*m.ptime));
    if (m.maxptime) w.attr("maxptime", std::to_string(*m.maxptime));
    if (m.direction) w.attr(to_string(*m.direction));
    if (m.rtcp) w.attr("rtcp", attr::format(*m.rtcp));
    if (m.rtcp_mux) w.attr("rtcp-mux");
    write_common(w, m);
    for (const auto& c : m.crypto) w.attr("crypto", attr::format(c));
    for (const auto& e : m.extmaps) w.attr("extmap", attr::format(e));
    for (const auto& x : m.msids) w.attr("msid", attr::format(x));
    for (const auto& c : m.candidates) w.attr("candidate", attr::format(c));
    if (m.end_of_candidates) w.attr("end-of-candidates");
    for (const auto& s : m.ssrcs) w.attr("ssrc", attr::format(s));
    write_unknown(w, m.attributes);
}

}  // namespace

std::string Session::to_string() const {
    Writer w;
    w.line('v', std::to_string(version));
    w.line('o', origin.username + ' ' + std::to_string(origin.session_id) + ' ' +
                    std::to_string(origin.session_version) + ' ' + origin.nettype + ' ' +
                    origin.addrtype + ' ' + origin.address);
    w.line('s', name.empty() ? std::string(" ") : name);
    if (information) w.line('i', *information);
    if (uri) w.line('u', *uri);
    for (const auto& e : emails) w.line('e', e);
    for (const auto& p : phones) w.line('p', p);
    if (connection) w.line('c', format(*connection));
    for (const auto& b : bandwidths) w.line('b', format(b));
    for (const auto& t : timings) {
        w.line('t', std::to_string(t.start) + ' ' + std::to_string(t.stop));
        for (const auto& r : t.repeats) w.line('r', r);
    }
    if (timings.empty()) w.line('t', "0 0");
    if (zone) w.line('z', *zone);
    if (key) w.line('k', *key);
    for (const auto& g : groups) w.attr("group", attr::format(g));
    write_common(w, *this);
    if (end_of_candidates) w.attr("end-of-candidates");
    if (direction) w.attr(sdp::to_string(*direction));
    write_unknown(w, attributes);
    for (const auto& m : media) write_media(w, m);
    return w.take();
}

}  // namespace siperb::sdp
