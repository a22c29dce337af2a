// Header names (full and compact forms, RFC 3261 7.3.3 and the IANA SIP header table) and the
// typed header values. Every struct holds views into the message buffer; parsers throw
// SipParseError(header name, reason).
#pragma once

#include "sip/uri.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace siperb::sip {

enum class HeaderId : uint8_t {
    Other,
    Via, From, To, CallId, CSeq, Contact, MaxForwards, ContentLength, ContentType, Route, RecordRoute,
    Expires, Authorization, ProxyAuthorization, WwwAuthenticate, ProxyAuthenticate, ReferTo, ReferredBy,
    Replaces, Event, SubscriptionState, Allow, Supported, Require, ProxyRequire, Unsupported, Reason,
    UserAgent, Server, Date, Subject, AcceptContact, RejectContact, RequestDisposition, ContentEncoding,
    IdentityInfo, Identity, AllowEvents, SessionExpires, Accept, AcceptEncoding, AcceptLanguage, AlertInfo,
    CallInfo, ErrorInfo, InReplyTo, ContentLanguage, Warning, Path, ServiceRoute, PAssertedIdentity,
    PPreferredIdentity, RetryAfter, MinExpires, Timestamp, Organization, Priority,
    Count_
};

HeaderId header_id(std::string_view name);        // full or compact, any case
std::string_view canonical_name(HeaderId id);     // "Call-ID", "" for Other
bool is_list_header(HeaderId id);                 // comma-separated list per its grammar
bool is_single_valued(HeaderId id);               // a second, different value is an error

struct Via {
    std::string_view raw;
    std::string_view protocol;   // "SIP/2.0" (without LWS)  -- name and version
    std::string_view version;
    std::string_view transport;  // "UDP", "TCP", ...
    std::string_view host;       // brackets kept for IPv6
    int32_t port = -1;
    std::string_view params;     // ";branch=...;..." raw
    std::string_view branch, received, maddr;
    bool has_branch = false, has_received = false, has_maddr = false;
    bool has_rport = false;
    int32_t rport = -1;          // -1: flag without value (or absent)
    int32_t ttl = -1;
    std::string sent_protocol() const;    // "SIP/2.0"
    std::string received_address() const;  // received= value, unquoted if it was quoted
};
void parse_via_list(std::string_view value, std::string_view field, std::vector<Via>& out);
Via parse_via(std::string_view element, std::string_view field);

struct NameAddr {
    std::string_view raw;
    std::string_view display;    // raw, quoted if it was; empty if none
    Uri uri;
    std::string_view params;     // header params ";tag=..;..." raw
    std::string_view tag;
    bool has_tag = false;
    bool angle = false;          // written as name-addr (<...>)
    std::string display_name() const;  // unquoted / LWS-normalised
    // Contact parameters (RFC 3261 20.10): ";expires=" as delta-seconds (0-2^32-1) and ";q=" as
    // a number 0-1; nullopt when absent. A present but malformed value (no value, quoted, not a
    // number, out of range) throws SipParseError("Contact", reason).
    std::optional<uint32_t> expires() const;
    std::optional<double> q() const;
};
NameAddr parse_name_addr(std::string_view value, std::string_view field);
void parse_name_addr_list(std::string_view value, std::string_view field, std::vector<NameAddr>& out);

struct CSeq {
    uint32_t number = 0;
    std::string_view method;
};
CSeq parse_cseq(std::string_view value, std::string_view field);

// Authorization / Proxy-Authorization credentials and WWW-/Proxy-Authenticate challenges.
struct AuthParam {
    std::string_view name;
    std::string_view value;  // raw (quoted if it was)
};
struct Auth {
    std::string_view scheme;
    std::vector<AuthParam> params;
    std::string_view token68;  // non-param credentials (e.g. Basic), else empty
    // The params with names lower-cased and quoted values unquoted, in order.
    std::vector<std::pair<std::string, std::string>> normalized_params() const;
};
// One header value may carry several challenges ("Digest ..., Basic ...").
void parse_auth_list(std::string_view value, std::string_view field, std::vector<Auth>& out);

struct Replaces {
    std::string_view call_id, to_tag, from_tag, params;
    bool early_only = false;
};
Replaces parse_replaces(std::string_view value, std::string_view field);

struct Event {
    std::string_view package, id, params;
    bool has_id = false;
};
Event parse_event(std::string_view value, std::string_view field);

struct SubscriptionState {
    std::string_view state, reason, params;
    int64_t expires = -1, retry_after = -1;
};
SubscriptionState parse_subscription_state(std::string_view value, std::string_view field);

struct ReasonValue {
    std::string_view protocol, text, params;
    int32_t cause = -1;
    std::string text_unquoted() const;  // the text= parameter (raw in text)
};
void parse_reason_list(std::string_view value, std::string_view field, std::vector<ReasonValue>& out);

// Header parameters (";name[=value]...", as kept in the params field of the structs above) with
// names lower-cased (parameter names are case-insensitive, RFC 3261 7.3.1) and quoted values
// unquoted, in order; a name given twice appears twice. value is nullopt for a flag parameter.
// Throws SipParseError(field, reason) on a malformed parameter list.
struct NormalizedParam {
    std::string name;
    std::optional<std::string> value;
};
std::vector<NormalizedParam> normalized_params(std::string_view params, std::string_view field);

// Token lists: Allow, Supported, Require, ...
void parse_token_list(std::string_view value, std::string_view field, std::vector<std::string_view>& out);

// RFC 3261 25.1 SIP-date: rfc1123-date with "GMT".
void validate_sip_date(std::string_view value, std::string_view field);

}  // namespace siperb::sip
