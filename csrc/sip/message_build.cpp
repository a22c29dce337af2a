// Serialisation, builders and edited copies of messages: every path goes through one
// serialiser (build) and the parser, so a built message is exactly what a peer would parse.
#include "sip/message.hpp"

#include "sip/text.hpp"

#include <algorithm>

namespace siperb::sip {

namespace {

constexpr std::string_view kCrlf = "\r\n";

// A user-supplied header value must not smuggle a line break (header injection).
void check_value(std::string_view name, std::string_view value) {
    if (!is_token(name)) fail(name, "header name is not a token");
    if (value.find_first_of("\r\n") != std::string_view::npos) fail(name, "line break in header value");
}

}  // namespace

std::string Message::start_line() const {
    std::string s;
    if (is_request()) {
        s.append(method_).append(" ").append(uri_raw_).append(" ").append(version_);
    } else {
        s.append(version_).append(" ").append(std::to_string(status_)).append(" ").append(reason_);
    }
    return s;
}

HeaderList Message::header_list() const {
    HeaderList out;
    out.reserve(headers_.size());
    for (const auto& h : headers_) out.emplace_back(std::string(h.name), std::string(h.value));
    return out;
}

Message Message::build(std::string_view start_line, const HeaderList& headers, std::string_view body) {
    size_t total = start_line.size() + body.size() + 40;
    for (const auto& [n, v] : headers) total += n.size() + v.size() + 4;
    std::string out;
    out.reserve(std::max<size_t>(total, 32));
    out.append(start_line).append(kCrlf);
    for (const auto& [n, v] : headers) {
        check_value(n, v);
        if (header_id(n) == HeaderId::ContentLength) continue;
        out.append(n).append(": ").append(v).append(kCrlf);
    }
    out.append("Content-Length: ").append(std::to_string(body.size())).append(kCrlf).append(kCrlf);
    out.append(body);
    return parse_owned(std::move(out), false);
}

Message Message::request(std::string_view method, std::string_view uri, const HeaderList& headers,
                         std::string_view body) {
    if (!is_token(method)) fail("start-line", "method is not a token");
    std::string line;
    line.append(method).append(" ").append(uri).append(" SIP/2.0");
    return build(line, headers, body);
}

Message Message::response(int status, std::string_view reason, const HeaderList& headers, std::string_view body) {
    if (status < 100 || status > 699) fail("start-line", "status code must be 100-699");
    if (reason.find_first_of("\r\n") != std::string_view::npos) fail("start-line", "line break in reason phrase");
    std::string line = "SIP/2.0 " + std::to_string(status) + " ";
    line.append(reason);
    return build(line, headers, body);
}

Message Message::with_header(std::string_view name, std::string_view value) const {
    HeaderId id = header_id(name);
    HeaderList out;
    bool placed = false;
    for (const auto& h : headers_) {
        if (header_matches(h, id, name)) {
            if (!placed) out.emplace_back(std::string(name), std::string(value));
            placed = true;
            continue;
        }
        out.emplace_back(std::string(h.name), std::string(h.value));
    }
    if (!placed) out.emplace_back(std::string(name), std::string(value));
    return build(start_line(), out, body_);
}

Message Message::with_added_header(std::string_view name, std::string_view value, bool first) const {
    HeaderId id = header_id(name);
    HeaderList out = header_list();
    size_t at = out.size();
    for (size_t i = 0; i < headers_.size(); ++i) {
        if (!header_matches(headers_[i], id, name)) continue;
        at = first ? i : i + 1;
        if (first) break;
    }
    if (first && at == out.size()) at = 0;
    out.insert(out.begin() + std::ptrdiff_t(at), {std::string(name), std::string(value)});
    return build(start_line(), out, body_);
}

Message Message::without_header(std::string_view name) const {
    HeaderId id = header_id(name);
    HeaderList out;
    for (const auto& h : headers_)
        if (!header_matches(h, id, name)) out.emplace_back(std::string(h.name), std::string(h.value));
    return build(start_line(), out, body_);
}

Message Message::with_body(std::string_view body, std::optional<std::string_view> content_type) const {
    HeaderList out;
    for (const auto& h : headers_) {
        if (content_type && h.id == HeaderId::ContentType) continue;
        out.emplace_back(std::string(h.name), std::string(h.value));
    }
    if (content_type) out.emplace_back("Content-Type", std::string(*content_type));
    return build(start_line(), out, body);
}

}  // namespace siperb::sip
