// CSeq, Replaces, Event, Subscription-State, Reason, token lists and SIP-date.
#include "sip/headers.hpp"

#include "sip/text.hpp"

#include <tuple>
#include <utility>

namespace siperb::sip {

std::vector<NormalizedParam> normalized_params(std::string_view params, std::string_view field) {
    std::vector<NormalizedParam> out;
    ParamList pl(params, field);
    Param p;
    while (pl.next(p)) {
        NormalizedParam& n = out.emplace_back();
        n.name = to_lower(p.name);
        if (p.has_value) n.value = unquote_if_quoted(p.value);
    }
    return out;
}

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

namespace {
// "token *(;param)": the leading token and the raw parameter section.
std::pair<std::string_view, std::string_view> token_and_params(std::string_view value, std::string_view field,
                                                               const char* what) {
    std::string_view s = trim(value);
    size_t i = scan_token(s, 0);
    if (i == 0) fail(field, std::string("missing ") + what);
    return {s.substr(0, i), trim(s.substr(i))};
}
}  // namespace

Event parse_event(std::string_view value, std::string_view field) {
    Event e;
    std::tie(e.package, e.params) = token_and_params(value, field, "event package");
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
    SubscriptionState st;
    std::tie(st.state, st.params) = token_and_params(value, field, "subscription state");
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

std::string ReasonValue::text_unquoted() const { return unquote_if_quoted(text); }

void parse_reason_list(std::string_view value, std::string_view field, std::vector<ReasonValue>& out) {
    CommaList cl(value, field);
    std::string_view item;
    while (cl.next(item)) {
        ReasonValue r;
        std::tie(r.protocol, r.params) = token_and_params(item, field, "protocol");
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
