#include "sip/framer.hpp"

#include "common/error.hpp"
#include "sip/text.hpp"

namespace siperb::sip {

namespace {

// Content-Length (or "l") of the header section hdr (start-line excluded or not: the
// start-line never matches), folded continuation lines included. -1 if absent.
int64_t find_content_length(std::string_view hdr) {
    size_t pos = 0;
    int64_t found = -1;
    while (pos < hdr.size()) {
        size_t eol = hdr.find("\r\n", pos);
        if (eol == std::string_view::npos) eol = hdr.size();
        while (eol + 2 < hdr.size() && is_wsp(hdr[eol + 2])) {
            size_t next = hdr.find("\r\n", eol + 2);
            eol = next == std::string_view::npos ? hdr.size() : next;
        }
        std::string_view line = hdr.substr(pos, eol - pos);
        pos = eol + 2;
        size_t colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        if (header_id(trim(line.substr(0, colon))) != HeaderId::ContentLength) continue;
        std::string value;
        for (char c : line.substr(colon + 1))
            if (c != '\r' && c != '\n') value.push_back(c);
        auto n = parse_uint(trim(value), 0xFFFFFFFFull);
        if (!n) throw SipParseError("Content-Length", "not a non-negative number");
        found = int64_t(*n);
    }
    return found;
}

}  // namespace

void StreamFramer::reset() {
    buf_.clear();
    start_ = 0;
    crlf_run_ = 0;
    searched_ = 0;
}

void StreamFramer::framing_error(std::string field, std::string reason) {
    reset();
    throw SipParseError(std::move(field), std::move(reason));
}

size_t StreamFramer::take_keepalives() {
    size_t n = pings_ - pings_taken_;
    pings_taken_ = pings_;
    return n;
}

std::vector<Message> StreamFramer::feed(std::string_view chunk) {
    rejected_.clear();
    buf_.append(chunk);
    std::vector<Message> out;
    while (true) {
        while (buf_.size() - start_ >= 2 && buf_[start_] == '\r' && buf_[start_ + 1] == '\n') {
            start_ += 2;
            if (++crlf_run_ == 2) {
                ++pings_;
                crlf_run_ = 0;
            }
        }
        std::string_view pending(buf_.data() + start_, buf_.size() - start_);
        if (pending.empty() || pending == "\r") break;
        size_t he = pending.find("\r\n\r\n", searched_);
        if (he == std::string_view::npos) {
            if (pending.size() > max_) framing_error("framing", "header section exceeds the maximum message size");
            searched_ = pending.size() < 3 ? 0 : pending.size() - 3;  // never rescan a long header section
            break;
        }
        searched_ = he;  // a body still arriving does not make us search the headers again
        int64_t cl = -1;
        try {
            cl = find_content_length(pending.substr(0, he + 2));
        } catch (const SipParseError& e) {
            framing_error(e.field(), e.reason());
        }
        size_t total = he + 4 + size_t(cl < 0 ? 0 : cl);
        if (total > max_) framing_error("framing", "message exceeds the maximum message size");
        if (pending.size() < total) break;
        if (!out.empty()) {
            // Parse it on the next call if it is malformed, so these messages are not lost.
            try {
                out.push_back(Message::parse(pending.substr(0, total)));
            } catch (const SipParseError&) {
                break;
            }
        } else {
            std::string_view one = pending.substr(0, total);
            start_ += total;
            crlf_run_ = 0;
            searched_ = 0;
            try {
                out.push_back(Message::parse(one));
            } catch (const SipParseError&) {
                rejected_.assign(one);  // consumed: the stream goes on after it
                throw;
            }
            if (start_ > 4096 && start_ * 2 > buf_.size()) {
                buf_.erase(0, start_);
                start_ = 0;
            }
            continue;
        }
        start_ += total;
        crlf_run_ = 0;
        searched_ = 0;
    }
    if (start_ == buf_.size()) {
        buf_.clear();
        start_ = 0;
    }
    return out;
}

}  // namespace siperb::sip
