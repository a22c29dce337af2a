#include "sip/message.hpp"

#include "sip/scan.hpp"
#include "sip/text.hpp"

#include <algorithm>
#include <cstring>

namespace siperb::sip {

namespace {

std::string_view field_name(const HeaderField& h) {
    std::string_view c = canonical_name(h.id);
    return c.empty() ? h.name : c;
}

// call-id = word ["@" word]
bool is_call_id(std::string_view s) {
    size_t at = s.find('@');
    auto word = [](std::string_view w) { return !w.empty() && kWordChars.all(w); };
    if (at == std::string_view::npos) return word(s);
    return word(s.substr(0, at)) && word(s.substr(at + 1));
}


// Position of the CR of the next CRLF at or after pos, or npos. A CR or LF that is not part of
// a CRLF pair is malformed (and would let a header value smuggle a line break).
size_t next_crlf(std::string_view all, size_t pos, const char* field) {
    size_t lf = all.find('\n', pos);
    size_t cr = all.find('\r', pos);
    if (lf == std::string_view::npos) {
        if (cr != std::string_view::npos && cr + 1 < all.size()) fail(field, "bare CR in the header section");
        return std::string_view::npos;
    }
    if (lf == pos || cr != lf - 1) fail(field, "bare CR or LF in the header section");
    return cr;
}

}  // namespace

bool header_matches(const HeaderField& h, HeaderId id, std::string_view name) {
    if (id != HeaderId::Other) return h.id == id;
    return h.id == HeaderId::Other && iequals(h.name, name);
}

Message Message::parse(std::string_view data, bool require_mandatory) {
    std::string buf;
    // Reserve beyond the small-string buffer so moving the Message never moves the octets the
    // views point to.
    buf.reserve(std::max<size_t>(data.size(), 32));
    buf.assign(data.data(), data.size());
    return parse_owned(std::move(buf), require_mandatory);
}

std::shared_ptr<Message> Message::parse_shared(std::string_view data) {
    struct Shared : Message {};  // Message() is private; make_shared needs a public one
    std::shared_ptr<Message> m = std::make_shared<Shared>();
    m->buf_.reserve(std::max<size_t>(data.size(), 32));  // see parse()
    m->buf_.assign(data.data(), data.size());
    m->parse_buffer(true);
    return m;
}

Message Message::parse_owned(std::string&& data, bool require_mandatory) {
    Message m;
    if (data.capacity() < 32) data.reserve(32);
    m.buf_ = std::move(data);
    m.parse_buffer(require_mandatory);
    return m;
}

void Message::parse_start_line(std::string_view line) {
    if (line.size() >= 4 && iequals(line.substr(0, 4), "SIP/")) {
        // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
        size_t sp = line.find(' ');
        if (sp == std::string_view::npos) fail("start-line", "missing status code");
        version_ = line.substr(0, sp);
        std::string_view rest = line.substr(sp + 1);
        size_t sp2 = rest.find(' ');
        std::string_view code = rest.substr(0, sp2);
        auto n = code.size() == 3 ? parse_uint(code, 999) : std::nullopt;
        if (!n || *n < 100 || *n > 699) fail("start-line", "status code must be 100-699");
        status_ = int(*n);
        reason_ = sp2 == std::string_view::npos ? std::string_view() : rest.substr(sp2 + 1);
        for (char c : reason_)
            if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f)
                fail("start-line", "control character in reason phrase");
    } else {
        // Request-Line = Method SP Request-URI SP SIP-Version (single spaces, nothing else)
        size_t sp1 = line.find(' ');
        if (sp1 == std::string_view::npos) fail("start-line", "not a SIP request or status line");
        size_t sp2 = line.find(' ', sp1 + 1);
        if (sp2 == std::string_view::npos) fail("start-line", "missing SIP version");
        if (line.find(' ', sp2 + 1) != std::string_view::npos || line.find('\t') != std::string_view::npos)
            fail("start-line", "extra whitespace in Request-Line");
        method_ = line.substr(0, sp1);
        if (!is_token(method_)) fail("start-line", "method is not a token");
        uri_raw_ = line.substr(sp1 + 1, sp2 - sp1 - 1);
        if (uri_raw_.empty()) fail("Request-URI", "empty Request-URI");
        uri_ = Uri::parse(uri_raw_, "Request-URI");
        if (!uri_.headers.empty()) fail("Request-URI", "URI headers are not allowed in a Request-URI");
        version_ = line.substr(sp2 + 1);
    }
    if (!iequals(version_, "SIP/2.0")) fail("start-line", "unsupported SIP version '" + std::string(version_) + "'");
}

void Message::parse_buffer(bool require_mandatory) {
    char* base = buf_.data();
    const size_t size = buf_.size();
    std::string_view all(base, size);
    size_t pos = 0;
    while (pos + 1 < size && base[pos] == '\r' && base[pos + 1] == '\n') pos += 2;  // RFC 3261 7.5
    size_t begin = pos;
    size_t eol = next_crlf(all, pos, "start-line");
    if (eol == std::string_view::npos) fail("start-line", "no CRLF after the start-line");
    parse_start_line(all.substr(pos, eol - pos));
    pos = eol + 2;

    // The CR of the CRLF ending the line that starts at from: one vector scan when the line is
    // well formed, the exact checks of next_crlf otherwise.
    auto crlf_from = [&](size_t from) {
        size_t p = find_cr_or_lf(base, from, size);
        if (p + 1 < size && base[p] == '\r' && base[p + 1] == '\n') return p;
        return next_crlf(all, from, "headers");
    };
    headers_.reserve(16);
    while (true) {
        if (pos + 1 < size && base[pos] == '\r' && base[pos + 1] == '\n') {
            pos += 2;
            break;
        }
        size_t line_end = crlf_from(pos);
        while (line_end != std::string_view::npos && line_end + 2 < size &&
               (base[line_end + 2] == ' ' || base[line_end + 2] == '\t')) {
            base[line_end] = ' ';  // fold: CRLF followed by WSP is LWS, equivalent to spaces
            base[line_end + 1] = ' ';
            line_end = crlf_from(line_end + 2);
        }
        if (line_end == std::string_view::npos) fail("headers", "header section not terminated by an empty line");
        std::string_view line = all.substr(pos, line_end - pos);
        pos = line_end + 2;
        // field-name = token, then optional whitespace, then ':'
        size_t ne = kTokenChars.span(line, 0);
        size_t colon = ne;
        while (colon < line.size() && is_wsp(line[colon])) ++colon;
        if (colon >= line.size() || line[colon] != ':') {
            if (line.find(':') == std::string_view::npos) fail("headers", "header line without ':'");
            fail("headers", "invalid header name '" + std::string(line.substr(0, line.find(':'))) + "'");
        }
        if (ne == 0) fail("headers", "empty header name");
        std::string_view name = line.substr(0, ne);
        HeaderField h{name, trim(line.substr(colon + 1)), header_id(name)};
        headers_.push_back(h);
        interpret(headers_.back());
    }

    size_t avail = size - pos;
    if (content_length_) {
        if (*content_length_ > avail) fail("Content-Length", "larger than the message body received");
        body_ = all.substr(pos, *content_length_);
    } else {
        body_ = all.substr(pos);
    }
    wire_ = all.substr(begin, pos + body_.size() - begin);

    if (require_mandatory) {
        if (!has_to_) fail("To", "missing mandatory header");
        if (!has_from_) fail("From", "missing mandatory header");
        if (!has_call_id_) fail("Call-ID", "missing mandatory header");
        if (!has_cseq_) fail("CSeq", "missing mandatory header");
        if (via_.empty()) fail("Via", "missing mandatory header");
    }
    if (is_request() && has_cseq_ && cseq_.method != method_)
        fail("CSeq", "method '" + std::string(cseq_.method) + "' does not match the request method");
}

void Message::interpret(const HeaderField& h) {
    auto dup = [&](std::string_view& seen, bool present) {
        if (present) {
            if (seen != h.value) fail(field_name(h), "repeated with a different value");
            return true;
        }
        seen = h.value;
        return false;
    };
    auto number = [&](std::optional<uint32_t>& slot, std::string_view& seen, uint64_t max, const char* what) {
        if (dup(seen, slot.has_value())) return;
        auto n = parse_uint(h.value, max);
        if (!n) fail(field_name(h), what);
        slot = uint32_t(*n);
    };
    switch (h.id) {
        case HeaderId::Via:
            if (via_.empty()) via_.reserve(4);  // one allocation for the usual 1-4 hops
            parse_via_list(h.value, "Via", via_);
            break;
        case HeaderId::From:
            if (has_from_) {
                if (from_.raw != trim(h.value)) fail("From", "repeated with a different value");
                break;
            }
            from_ = parse_name_addr(h.value, "From");
            has_from_ = true;
            break;
        case HeaderId::To:
            if (has_to_) {
                if (to_.raw != trim(h.value)) fail("To", "repeated with a different value");
                break;
            }
            to_ = parse_name_addr(h.value, "To");
            has_to_ = true;
            break;
        case HeaderId::CallId:
            if (dup(call_id_, has_call_id_)) break;
            if (!is_call_id(h.value)) fail("Call-ID", "not a valid call-id (word [\"@\" word])");
            has_call_id_ = true;
            break;
        case HeaderId::CSeq:
            if (dup(cseq_raw_, has_cseq_)) break;
            cseq_ = parse_cseq(h.value, "CSeq");
            has_cseq_ = true;
            break;
        case HeaderId::MaxForwards:
            number(max_forwards_, max_forwards_raw_, 255, "must be a number 0-255");
            break;
        case HeaderId::ContentLength:
            number(content_length_, content_length_raw_, 0xFFFFFFFFull, "must be a non-negative number");
            break;
        case HeaderId::Expires:
            number(expires_, expires_raw_, 0xFFFFFFFFull, "must be a number of seconds (0-2^32-1)");
            break;
        case HeaderId::Date:
            validate_sip_date(h.value, "Date");
            break;
        default:
            break;
    }
}

const HeaderField* Message::find(HeaderId id, std::string_view name) const {
    for (const auto& h : headers_)
        if (header_matches(h, id, name)) return &h;
    return nullptr;
}

std::optional<std::string_view> Message::header(std::string_view name) const {
    const HeaderField* h = find(header_id(name), name);
    if (!h) return std::nullopt;
    return h->value;
}

std::vector<std::string_view> Message::header_values(std::string_view name) const {
    HeaderId id = header_id(name);
    std::vector<std::string_view> out;
    bool split = is_list_header(id);
    for (const auto& h : headers_) {
        if (!header_matches(h, id, name)) continue;
        if (split) {
            CommaList cl(h.value, field_name(h));
            std::string_view item;
            while (cl.next(item)) out.push_back(item);
        } else {
            out.push_back(h.value);
        }
    }
    return out;
}

std::optional<std::string_view> Message::content_type() const {
    const HeaderField* h = find(HeaderId::ContentType, {});
    if (!h) return std::nullopt;
    return h->value;
}

std::optional<std::string_view> Message::user_agent() const {
    const HeaderField* h = find(HeaderId::UserAgent, {});
    if (!h) return std::nullopt;
    return h->value;
}

std::vector<NameAddr> Message::name_addrs(HeaderId id) const {
    std::vector<NameAddr> out;
    for (const auto& h : headers_)
        if (h.id == id) parse_name_addr_list(h.value, field_name(h), out);
    return out;
}

std::vector<NameAddr> Message::contacts(bool& star) const {
    std::vector<NameAddr> out;
    star = false;
    for (const auto& h : headers_) {
        if (h.id != HeaderId::Contact) continue;
        if (h.value == "*") {  // values are trimmed
            star = true;
        } else {
            parse_name_addr_list(h.value, "Contact", out);
        }
    }
    if (star && !out.empty()) fail("Contact", "'*' must be the only Contact value");
    return out;
}

std::vector<NameAddr> Message::contact() const {
    bool star = false;
    return contacts(star);
}

bool Message::contact_star() const {
    bool star = false;
    (void)contacts(star);
    return star;
}

std::optional<NameAddr> Message::one_name_addr(HeaderId id) const {
    const HeaderField* h = find(id, {});
    if (!h) return std::nullopt;
    return parse_name_addr(h->value, field_name(*h));
}

std::vector<Auth> Message::auth(HeaderId id) const {
    std::vector<Auth> out;
    for (const auto& h : headers_)
        if (h.id == id) parse_auth_list(h.value, field_name(h), out);
    return out;
}

std::optional<Replaces> Message::replaces() const {
    const HeaderField* h = find(HeaderId::Replaces, {});
    if (!h) return std::nullopt;
    return parse_replaces(h->value, "Replaces");
}

std::optional<Event> Message::event() const {
    const HeaderField* h = find(HeaderId::Event, {});
    if (!h) return std::nullopt;
    return parse_event(h->value, "Event");
}

std::optional<SubscriptionState> Message::subscription_state() const {
    const HeaderField* h = find(HeaderId::SubscriptionState, {});
    if (!h) return std::nullopt;
    return parse_subscription_state(h->value, "Subscription-State");
}

std::vector<std::string_view> Message::tokens(HeaderId id) const {
    std::vector<std::string_view> out;
    for (const auto& h : headers_)
        if (h.id == id) parse_token_list(h.value, field_name(h), out);
    return out;
}

std::vector<ReasonValue> Message::reason_header() const {
    std::vector<ReasonValue> out;
    for (const auto& h : headers_)
        if (h.id == HeaderId::Reason) parse_reason_list(h.value, "Reason", out);
    return out;
}

}  // namespace siperb::sip
