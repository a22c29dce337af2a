// A parsed SIP message (RFC 3261 section 7). The message owns one buffer; the start-line,
// every header (name as written, value with folding collapsed) and the body are views into it.
// The headers every transaction needs (Via, From, To, Call-ID, CSeq, Max-Forwards,
// Content-Length; Expires and Date, cheap and rare) are validated and cached at parse time; any
// other typed header, Contact included, is kept as its text and parsed when asked (a malformed
// one throws then, naming the header). Strict: malformed input throws SipParseError(field,
// reason).
#pragma once

#include "sip/headers.hpp"
#include "sip/uri.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace siperb::sip {

struct HeaderField {
    std::string_view name;   // as written (compact or full, any case)
    std::string_view value;  // trimmed, folding turned into spaces
    HeaderId id;
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

class Message {
public:
    // Datagram mode: extra octets after Content-Length are ignored; without Content-Length the
    // body is the rest of the data; a Content-Length larger than the data is an error.
    // require_mandatory=false skips the To/From/Call-ID/CSeq/Via presence check (builders).
    static Message parse(std::string_view data, bool require_mandatory = true);
    static Message parse_owned(std::string&& data, bool require_mandatory = true);
    // parse() straight into shared storage (the bindings' holder), without moving the Message.
    static std::shared_ptr<Message> parse_shared(std::string_view data);

    // Builders: Content-Length is computed (any given one is replaced); header order is kept.
    static Message request(std::string_view method, std::string_view uri, const HeaderList& headers,
                           std::string_view body);
    static Message response(int status, std::string_view reason, const HeaderList& headers,
                            std::string_view body);

    Message(Message&&) noexcept = default;
    Message& operator=(Message&&) noexcept = default;
    Message(const Message&) = delete;  // views point into buf_
    Message& operator=(const Message&) = delete;

    bool is_request() const { return status_ == 0; }
    std::string_view method() const { return method_; }
    const Uri* uri() const { return is_request() ? &uri_ : nullptr; }
    int status() const { return status_; }
    std::string_view reason() const { return reason_; }
    std::string_view version() const { return version_; }
    const std::vector<HeaderField>& headers() const { return headers_; }
    std::string_view body() const { return body_; }
    // The message as bytes (start-line through body, folding collapsed).
    std::string_view wire() const { return wire_; }

    // By full or compact name, any case; first value / all values (list headers split at
    // top-level commas).
    std::optional<std::string_view> header(std::string_view name) const;
    std::vector<std::string_view> header_values(std::string_view name) const;

    const std::vector<Via>& via() const { return via_; }
    const NameAddr& from() const { return from_; }
    const NameAddr& to() const { return to_; }
    bool has_from() const { return has_from_; }
    bool has_to() const { return has_to_; }
    std::string_view call_id() const { return call_id_; }
    bool has_cseq() const { return has_cseq_; }
    const CSeq& cseq() const { return cseq_; }
    // Contact is parsed on each call (deferred: a proxy or a transaction never needs it);
    // throws SipParseError("Contact") for a malformed value or a '*' beside other values.
    std::vector<NameAddr> contact() const;
    bool contact_star() const;  // "Contact: *" (validated like contact())
    std::optional<uint32_t> max_forwards() const { return max_forwards_; }
    std::optional<uint32_t> content_length() const { return content_length_; }
    std::optional<std::string_view> content_type() const;
    std::optional<uint32_t> expires() const { return expires_; }

    std::vector<NameAddr> route() const { return name_addrs(HeaderId::Route); }
    std::vector<NameAddr> record_route() const { return name_addrs(HeaderId::RecordRoute); }
    std::vector<Auth> auth(HeaderId id) const;
    std::optional<NameAddr> refer_to() const { return one_name_addr(HeaderId::ReferTo); }
    std::optional<NameAddr> referred_by() const { return one_name_addr(HeaderId::ReferredBy); }
    std::optional<Replaces> replaces() const;
    std::optional<Event> event() const;
    std::optional<SubscriptionState> subscription_state() const;
    std::vector<std::string_view> tokens(HeaderId id) const;  // Allow, Supported, Require, ...
    std::vector<ReasonValue> reason_header() const;
    std::optional<std::string_view> user_agent() const;

    // Copies with one change (a proxy or UA edits messages this way).
    Message with_header(std::string_view name, std::string_view value) const;  // replace all
    Message with_added_header(std::string_view name, std::string_view value, bool first) const;
    Message without_header(std::string_view name) const;
    Message with_body(std::string_view body, std::optional<std::string_view> content_type) const;

    HeaderList header_list() const;

protected:
    Message() = default;  // parse() and the builders make messages (and parse_shared's subclass)

private:
    void parse_buffer(bool require_mandatory);
    void parse_start_line(std::string_view line);
    void interpret(const HeaderField& h);
    const HeaderField* find(HeaderId id, std::string_view name) const;
    std::vector<NameAddr> name_addrs(HeaderId id) const;
    std::vector<NameAddr> contacts(bool& star) const;
    std::optional<NameAddr> one_name_addr(HeaderId id) const;
    std::string start_line() const;
    static Message build(std::string_view start_line, const HeaderList& headers, std::string_view body);

    std::string buf_;
    std::string_view wire_;
    std::string_view method_, uri_raw_, version_, reason_;
    int status_ = 0;
    Uri uri_;
    std::vector<HeaderField> headers_;
    std::string_view body_;

    std::vector<Via> via_;
    NameAddr from_, to_;
    bool has_from_ = false, has_to_ = false, has_cseq_ = false, has_call_id_ = false;
    std::string_view call_id_;
    CSeq cseq_;
    std::optional<uint32_t> max_forwards_, content_length_, expires_;
    std::string_view cseq_raw_, max_forwards_raw_, content_length_raw_, expires_raw_;
};

// Matches a header field against a name given by a user (full or compact form, any case).
bool header_matches(const HeaderField& h, HeaderId id, std::string_view name);

}  // namespace siperb::sip
