#include "sip/headers.hpp"

#include "sip/text.hpp"

#include <array>

namespace siperb::sip {

namespace {

struct NameEntry {
    std::string_view name;
    HeaderId id;
};

constexpr NameEntry kNames[] = {
    {"Via", HeaderId::Via}, {"From", HeaderId::From}, {"To", HeaderId::To}, {"Call-ID", HeaderId::CallId},
    {"CSeq", HeaderId::CSeq}, {"Contact", HeaderId::Contact}, {"Max-Forwards", HeaderId::MaxForwards},
    {"Content-Length", HeaderId::ContentLength}, {"Content-Type", HeaderId::ContentType},
    {"Route", HeaderId::Route}, {"Record-Route", HeaderId::RecordRoute}, {"Expires", HeaderId::Expires},
    {"Authorization", HeaderId::Authorization}, {"Proxy-Authorization", HeaderId::ProxyAuthorization},
    {"WWW-Authenticate", HeaderId::WwwAuthenticate}, {"Proxy-Authenticate", HeaderId::ProxyAuthenticate},
    {"Refer-To", HeaderId::ReferTo}, {"Referred-By", HeaderId::ReferredBy}, {"Replaces", HeaderId::Replaces},
    {"Event", HeaderId::Event}, {"Subscription-State", HeaderId::SubscriptionState},
    {"Allow", HeaderId::Allow}, {"Supported", HeaderId::Supported}, {"Require", HeaderId::Require},
    {"Proxy-Require", HeaderId::ProxyRequire}, {"Unsupported", HeaderId::Unsupported},
    {"Reason", HeaderId::Reason}, {"User-Agent", HeaderId::UserAgent}, {"Server", HeaderId::Server},
    {"Date", HeaderId::Date}, {"Subject", HeaderId::Subject}, {"Accept-Contact", HeaderId::AcceptContact},
    {"Reject-Contact", HeaderId::RejectContact}, {"Request-Disposition", HeaderId::RequestDisposition},
    {"Content-Encoding", HeaderId::ContentEncoding}, {"Identity-Info", HeaderId::IdentityInfo},
    {"Identity", HeaderId::Identity}, {"Allow-Events", HeaderId::AllowEvents},
    {"Session-Expires", HeaderId::SessionExpires}, {"Accept", HeaderId::Accept},
    {"Accept-Encoding", HeaderId::AcceptEncoding}, {"Accept-Language", HeaderId::AcceptLanguage},
    {"Alert-Info", HeaderId::AlertInfo}, {"Call-Info", HeaderId::CallInfo}, {"Error-Info", HeaderId::ErrorInfo},
    {"In-Reply-To", HeaderId::InReplyTo}, {"Content-Language", HeaderId::ContentLanguage},
    {"Warning", HeaderId::Warning}, {"Path", HeaderId::Path}, {"Service-Route", HeaderId::ServiceRoute},
    {"P-Asserted-Identity", HeaderId::PAssertedIdentity}, {"P-Preferred-Identity", HeaderId::PPreferredIdentity},
    {"Retry-After", HeaderId::RetryAfter}, {"Min-Expires", HeaderId::MinExpires},
    {"Timestamp", HeaderId::Timestamp}, {"Organization", HeaderId::Organization},
    {"Priority", HeaderId::Priority},
};

// Compact forms (RFC 3261 7.3.3 and the IANA "Header Fields" registry).
HeaderId compact(char c) {
    switch (lower(c)) {
        case 'a': return HeaderId::AcceptContact;
        case 'b': return HeaderId::ReferredBy;
        case 'c': return HeaderId::ContentType;
        case 'd': return HeaderId::RequestDisposition;
        case 'e': return HeaderId::ContentEncoding;
        case 'f': return HeaderId::From;
        case 'i': return HeaderId::CallId;
        case 'j': return HeaderId::RejectContact;
        case 'k': return HeaderId::Supported;
        case 'l': return HeaderId::ContentLength;
        case 'm': return HeaderId::Contact;
        case 'n': return HeaderId::IdentityInfo;
        case 'o': return HeaderId::Event;
        case 'r': return HeaderId::ReferTo;
        case 's': return HeaderId::Subject;
        case 't': return HeaderId::To;
        case 'u': return HeaderId::AllowEvents;
        case 'v': return HeaderId::Via;
        case 'x': return HeaderId::SessionExpires;
        case 'y': return HeaderId::Identity;
        default: return HeaderId::Other;
    }
}

constexpr size_t kMaxNameLen = 24;

// Candidates by (length, lower-case first letter): at most a few names share a slot.
struct NameIndex {
    std::array<std::array<std::array<HeaderId, 3>, 26>, kMaxNameLen + 1> ids{};
    std::array<std::string_view, size_t(HeaderId::Count_)> canonical{};
    NameIndex() {
        for (const auto& e : kNames) {
            auto& slot = ids[e.name.size()][size_t(lower(e.name[0]) - 'a')];
            size_t k = 0;
            while (slot[k] != HeaderId::Other) ++k;  // a 4th collision would be a table bug
            slot[k] = e.id;
            canonical[size_t(e.id)] = e.name;
        }
    }
};
const NameIndex& name_index() {
    static const NameIndex t;
    return t;
}

bool is_word_char(char c) {
    if (is_token_char(c)) return true;
    switch (c) {
        case '(': case ')': case '<': case '>': case ':': case '\\': case '"': case '/': case '[': case ']':
        case '?': case '{': case '}':
            return true;
        default:
            return false;
    }
}

size_t skip_ws(std::string_view s, size_t i) {
    while (i < s.size() && is_wsp(s[i])) ++i;
    return i;
}

size_t scan_token(std::string_view s, size_t i) {
    while (i < s.size() && is_token_char(s[i])) ++i;
    return i;
}

int32_t port_value(std::string_view s, std::string_view field) {
    auto v = parse_uint(s, 65535);
    if (!v) fail(field, "invalid port '" + std::string(s) + "'");
    return int32_t(*v);
}

}  // namespace

HeaderId header_id(std::string_view name) {
    if (name.size() == 1) return compact(name[0]);
    if (name.size() > kMaxNameLen || name.empty()) return HeaderId::Other;
    char f = lower(name[0]);
    if (f < 'a' || f > 'z') return HeaderId::Other;
    const auto& t = name_index();
    for (HeaderId id : t.ids[name.size()][size_t(f - 'a')]) {
        if (id == HeaderId::Other) break;
        std::string_view c = t.canonical[size_t(id)];
        if (c == name || iequals(c, name)) return id;  // most senders use the canonical case
    }
    return HeaderId::Other;
}

std::string_view canonical_name(HeaderId id) { return name_index().canonical[size_t(id)]; }

bool is_list_header(HeaderId id) {
    switch (id) {
        case HeaderId::Via: case HeaderId::Contact: case HeaderId::Route: case HeaderId::RecordRoute:
        case HeaderId::Allow: case HeaderId::Supported: case HeaderId::Require: case HeaderId::ProxyRequire:
        case HeaderId::Unsupported: case HeaderId::Reason: case HeaderId::AcceptContact:
        case HeaderId::RejectContact: case HeaderId::RequestDisposition: case HeaderId::ContentEncoding:
        case HeaderId::AllowEvents: case HeaderId::Accept: case HeaderId::AcceptEncoding:
        case HeaderId::AcceptLanguage: case HeaderId::AlertInfo: case HeaderId::CallInfo:
        case HeaderId::ErrorInfo: case HeaderId::InReplyTo: case HeaderId::ContentLanguage:
        case HeaderId::Warning: case HeaderId::Path: case HeaderId::ServiceRoute:
        case HeaderId::PAssertedIdentity: case HeaderId::PPreferredIdentity:
            return true;
        default:
            return false;
    }
}

bool is_single_valued(HeaderId id) {
    switch (id) {
        case HeaderId::From: case HeaderId::To: case HeaderId::CallId: case HeaderId::CSeq:
        case HeaderId::MaxForwards: case HeaderId::ContentLength: case HeaderId::ContentType:
        case HeaderId::Expires:
            return true;
        default:
            return false;
    }
}

// ---- Via ----

Via parse_via(std::string_view s, std::string_view field) {
    Via v;
    v.raw = s;
    size_t i = skip_ws(s, 0);
    size_t b = i;
    i = scan_token(s, i);
    if (i == b) fail(field, "missing sent-protocol");
    v.protocol = s.substr(b, i - b);
    i = skip_ws(s, i);
    if (i >= s.size() || s[i] != '/') fail(field, "malformed sent-protocol");
    i = skip_ws(s, i + 1);
    b = i;
    i = scan_token(s, i);
    if (i == b) fail(field, "missing protocol version");
    v.version = s.substr(b, i - b);
    i = skip_ws(s, i);
    if (i >= s.size() || s[i] != '/') fail(field, "malformed sent-protocol");
    i = skip_ws(s, i + 1);
    b = i;
    i = scan_token(s, i);
    if (i == b) fail(field, "missing transport");
    v.transport = s.substr(b, i - b);
    size_t ws = skip_ws(s, i);
    if (ws == i) fail(field, "missing LWS before sent-by");
    i = ws;
    b = i;
    if (i < s.size() && s[i] == '[') {
        size_t e = s.find(']', i);
        if (e == std::string_view::npos || !is_valid_ipv6(s.substr(i + 1, e - i - 1)))
            fail(field, "invalid IPv6 reference in sent-by");
        i = e + 1;
    } else {
        while (i < s.size() && (is_alnum(s[i]) || s[i] == '-' || s[i] == '.' || s[i] == '_')) ++i;
    }
    if (i == b) fail(field, "missing sent-by host");
    v.host = s.substr(b, i - b);
    i = skip_ws(s, i);
    if (i < s.size() && s[i] == ':') {
        i = skip_ws(s, i + 1);
        b = i;
        while (i < s.size() && is_digit(s[i])) ++i;
        v.port = port_value(s.substr(b, i - b), field);
        i = skip_ws(s, i);
    }
    v.params = s.substr(i);
    ParamList pl(v.params, field);
    Param p;
    while (pl.next(p)) {
        if (iequals(p.name, "branch")) {
            if (!p.has_value) fail(field, "branch without value");
            v.branch = p.value;
            v.has_branch = true;
        } else if (iequals(p.name, "received")) {
            if (!p.has_value) fail(field, "received without value");
            v.received = p.value;
            v.has_received = true;
        } else if (iequals(p.name, "rport")) {
            v.has_rport = true;
            if (p.has_value) v.rport = port_value(p.value, field);
        } else if (iequals(p.name, "maddr")) {
            if (!p.has_value) fail(field, "maddr without value");
            v.maddr = p.value;
            v.has_maddr = true;
        } else if (iequals(p.name, "ttl")) {
            auto t = p.has_value ? parse_uint(p.value, 255) : std::nullopt;
            if (!t) fail(field, "ttl must be 0-255");
            v.ttl = int32_t(*t);
        }
    }
    return v;
}

void parse_via_list(std::string_view value, std::string_view field, std::vector<Via>& out) {
    CommaList cl(value, field);
    std::string_view item;
    bool any = false;
    while (cl.next(item)) {
        out.push_back(parse_via(item, field));
        any = true;
    }
    if (!any) fail(field, "empty Via");
}

// ---- name-addr / addr-spec ----

std::string NameAddr::display_name() const {
    if (display.empty()) return {};
    if (display.front() == '"') return unquote(display);
    std::string out;
    bool space = false;
    for (char c : display) {
        if (is_wsp(c)) {
            space = true;
            continue;
        }
        if (space && !out.empty()) out.push_back(' ');
        space = false;
        out.push_back(c);
    }
    return out;
}

NameAddr parse_name_addr(std::string_view value, std::string_view field) {
    NameAddr na;
    std::string_view s = trim(value);
    na.raw = s;
    if (s.empty()) fail(field, "empty value");
    size_t i = 0;
    size_t laquot = std::string_view::npos;
    if (s[0] == '"') {
        size_t n = quoted_length(s);
        if (n == 0) fail(field, "unterminated quoted display name");
        na.display = s.substr(0, n);
        i = skip_ws(s, n);
        if (i >= s.size() || s[i] != '<') fail(field, "quoted display name not followed by '<'");
        laquot = i;
    } else {
        size_t lt = s.find('<');
        if (lt != std::string_view::npos) {
            std::string_view disp = trim(s.substr(0, lt));
            for (char c : disp)
                if (!is_token_char(c) && !is_wsp(c))
                    fail(field, "invalid character in unquoted display name (use a quoted string)");
            na.display = disp;
            laquot = lt;
        }
    }
    std::string_view rest;
    if (laquot != std::string_view::npos) {
        size_t gt = s.find('>', laquot);
        if (gt == std::string_view::npos) fail(field, "unterminated '<'");
        na.angle = true;
        std::string_view inner = s.substr(laquot + 1, gt - laquot - 1);
        if (!inner.empty() && (is_wsp(inner.front()) || is_wsp(inner.back())))
            fail(field, "whitespace inside '<' '>' around the URI");
        na.uri = Uri::parse(inner, field);
        rest = s.substr(gt + 1);
    } else {
        size_t semi = s.find(';');
        std::string_view spec = trim(s.substr(0, semi));
        if (spec.find_first_of(",?") != std::string_view::npos)
            fail(field, "a URI with ',' or '?' must be enclosed in '<' '>'");
        na.uri = Uri::parse(spec, field);
        rest = semi == std::string_view::npos ? std::string_view() : s.substr(semi);
    }
    na.params = trim(rest);
    ParamList pl(na.params, field);
    Param p;
    while (pl.next(p)) {
        if (iequals(p.name, "tag")) {
            if (!p.has_value) fail(field, "tag without value");
            na.tag = p.value;
            na.has_tag = true;
        }
    }
    return na;
}

void parse_name_addr_list(std::string_view value, std::string_view field, std::vector<NameAddr>& out) {
    CommaList cl(value, field);
    std::string_view item;
    while (cl.next(item)) out.push_back(parse_name_addr(item, field));
}

// ---- CSeq ----

CSeq parse_cseq(std::string_view value, std::string_view field) {
    std::string_view s = trim(value);
    size_t i = 0;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == 0) fail(field, "sequence number is not a number");
    auto n = parse_uint(s.substr(0, i), 0xFFFFFFFFull);
    if (!n) fail(field, "sequence number exceeds 2^32-1");
    size_t j = skip_ws(s, i);
    if (j == i) fail(field, j >= s.size() ? "missing method" : "junk after sequence number");
    std::string_view m = s.substr(j);
    if (!is_token(m)) fail(field, "invalid method");
    return CSeq{uint32_t(*n), m};
}

// ---- Authorization & challenges ----

void parse_auth_list(std::string_view value, std::string_view field, std::vector<Auth>& out) {
    std::string_view s = trim(value);
    size_t i = 0;
    while (i < s.size()) {
        i = skip_ws(s, i);
        while (i < s.size() && (s[i] == ',' || is_wsp(s[i]))) ++i;
        if (i >= s.size()) break;
        size_t b = i;
        i = scan_token(s, i);
        if (i == b) fail(field, "missing authentication scheme");
        Auth a;
        a.scheme = s.substr(b, i - b);
        i = skip_ws(s, i);
        // auth-params: name=value pairs separated by commas, until a new "scheme name=" starts.
        while (true) {
            size_t nb = skip_ws(s, i);
            if (nb >= s.size()) {
                i = nb;
                break;
            }
            size_t ne = scan_token(s, nb);
            size_t after = skip_ws(s, ne);
            if (ne > nb && after < s.size() && s[after] == '=') {
                size_t vb = skip_ws(s, after + 1);
                size_t ve = vb;
                if (vb < s.size() && s[vb] == '"') {
                    size_t n = quoted_length(s.substr(vb));
                    if (n == 0) fail(field, "unterminated quoted string");
                    ve = vb + n;
                } else {
                    while (ve < s.size() && !is_wsp(s[ve]) && s[ve] != ',') ++ve;
                    if (ve == vb) fail(field, "empty value of '" + std::string(s.substr(nb, ne - nb)) + "'");
                }
                a.params.push_back({s.substr(nb, ne - nb), s.substr(vb, ve - vb)});
                i = skip_ws(s, ve);
                if (i < s.size()) {
                    if (s[i] != ',') fail(field, "expected ',' between parameters");
                    ++i;
                }
                continue;
            }
            if (a.params.empty() && a.token68.empty() && s[nb] != ',') {  // e.g. Basic credentials
                size_t te = nb;
                while (te < s.size() && s[te] != ',') ++te;
                a.token68 = trim(s.substr(nb, te - nb));
                i = te;
                continue;
            }
            i = nb;  // a new challenge starts here
            break;
        }
        out.push_back(std::move(a));
    }
    if (out.empty()) fail(field, "empty value");
}

// ---- Replaces, Event, Subscription-State, Reason, token lists ----

Replaces parse_replaces(std::string_view value, std::string_view field) {
    std::string_view s = trim(value);
    size_t i = 0;
    while (i < s.size() && s[i] != ';' && !is_wsp(s[i])) {
        if (!is_word_char(s[i]) && s[i] != '@') fail(field, "invalid character in call-id");
        ++i;
    }
    if (i == 0) fail(field, "missing call-id");
    Replaces r;
    r.call_id = s.substr(0, i);
    r.params = trim(s.substr(i));
    ParamList pl(r.params, field);
    Param p;
    bool to = false, from = false;
    while (pl.next(p)) {
        if (iequals(p.name, "to-tag") && p.has_value) {
            r.to_tag = p.value;
            to = true;
        } else if (iequals(p.name, "from-tag") && p.has_value) {
            r.from_tag = p.value;
            from = true;
        } else if (iequals(p.name, "early-only")) {
            r.early_only = true;
        }
    }
    if (!to || !from) fail(field, "to-tag and from-tag are required");
    return r;
}

Event parse_event(std::string_view value, std::string_view field) {
    std::string_view s = trim(value);
    size_t i = scan_token(s, 0);
    if (i == 0) fail(field, "missing event package");
    Event e;
    e.package = s.substr(0, i);
    e.params = trim(s.substr(i));
    ParamList pl(e.params, field);
    Param p;
    while (pl.next(p)) {
        if (iequals(p.name, "id")) {
            if (!p.has_value) fail(field, "id without value");
            e.id = p.value;
            e.has_id = true;
        }
    }
    return e;
}

SubscriptionState parse_subscription_state(std::string_view value, std::string_view field) {
    std::string_view s = trim(value);
    size_t i = scan_token(s, 0);
    if (i == 0) fail(field, "missing subscription state");
    SubscriptionState st;
    st.state = s.substr(0, i);
    st.params = trim(s.substr(i));
    ParamList pl(st.params, field);
    Param p;
    while (pl.next(p)) {
        if (iequals(p.name, "expires") || iequals(p.name, "retry-after")) {
            auto n = p.has_value ? parse_uint(p.value, 0xFFFFFFFFull) : std::nullopt;
            if (!n) fail(field, std::string(p.name) + " must be a number");
            (iequals(p.name, "expires") ? st.expires : st.retry_after) = int64_t(*n);
        } else if (iequals(p.name, "reason")) {
            if (!p.has_value) fail(field, "reason without value");
            st.reason = p.value;
        }
    }
    return st;
}

void parse_reason_list(std::string_view value, std::string_view field, std::vector<ReasonValue>& out) {
    CommaList cl(value, field);
    std::string_view item;
    while (cl.next(item)) {
        size_t i = scan_token(item, 0);
        if (i == 0) fail(field, "missing protocol");
        ReasonValue r;
        r.protocol = item.substr(0, i);
        r.params = trim(item.substr(i));
        ParamList pl(r.params, field);
        Param p;
        while (pl.next(p)) {
            if (iequals(p.name, "cause")) {
                auto n = p.has_value ? parse_uint(p.value, 0x7FFFFFFF) : std::nullopt;
                if (!n) fail(field, "cause must be a number");
                r.cause = int32_t(*n);
            } else if (iequals(p.name, "text")) {
                if (!p.has_value) fail(field, "text without value");
                r.text = p.value;
            }
        }
        out.push_back(r);
    }
}

void parse_token_list(std::string_view value, std::string_view field, std::vector<std::string_view>& out) {
    CommaList cl(value, field);
    std::string_view item;
    while (cl.next(item)) {
        if (!is_token(item)) fail(field, std::string(item).append(" is not a token"));
        out.push_back(item);
    }
}

void validate_sip_date(std::string_view value, std::string_view field) {
    // wkday "," SP 2DIGIT SP month SP 4DIGIT SP 2DIGIT ":" 2DIGIT ":" 2DIGIT SP "GMT"
    std::string_view s = trim(value);
    static const std::string_view days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    static const std::string_view months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    auto in = [](std::string_view x, const std::string_view* list, size_t n) {
        for (size_t k = 0; k < n; ++k)
            if (list[k] == x) return true;
        return false;
    };
    auto digits = [&](size_t at, size_t n) {
        for (size_t k = at; k < at + n; ++k)
            if (!is_digit(s[k])) return false;
        return true;
    };
    bool ok = s.size() == 29 && in(s.substr(0, 3), days, 7) && s.substr(3, 2) == ", " && digits(5, 2) &&
              s[7] == ' ' && in(s.substr(8, 3), months, 12) && s[11] == ' ' && digits(12, 4) && s[16] == ' ' &&
              digits(17, 2) && s[19] == ':' && digits(20, 2) && s[22] == ':' && digits(23, 2) &&
              s.substr(25) == " GMT";
    if (!ok) fail(field, "not an RFC 1123 date in GMT");
}

}  // namespace siperb::sip
