// Header names: full and compact forms, list and single-valued classification.
#include "sip/headers.hpp"

#include "sip/text.hpp"

#include <array>
#include <cstdint>
#include <cstring>

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

// A perfect hash of the full names: (length + 30 * first + 25 * last letter, lower-cased) mod
// 256 gives each of them its own slot (the constructor checks it at compile time). A name is
// then one table read and one comparison, in which (c | case bit) folds an upper-case letter
// onto its lower-case form and leaves every other octet as it is.
constexpr size_t slot_of(size_t len, char first, char last) {
    return (len + 30 * size_t(static_cast<unsigned char>(lower(first))) +
            25 * size_t(static_cast<unsigned char>(lower(last)))) & 255;
}

struct NameIndex {
    std::array<HeaderId, 256> slots{};
    std::array<std::string_view, size_t(HeaderId::Count_)> canonical{};
    std::array<std::array<char, kMaxNameLen>, size_t(HeaderId::Count_)> lowered{}, case_bit{};
    constexpr NameIndex() {
        for (const auto& e : kNames) {
            auto& slot = slots[slot_of(e.name.size(), e.name.front(), e.name.back())];
            if (slot != HeaderId::Other || e.name.size() > kMaxNameLen) throw "header name table: hash collision";
            slot = e.id;
            canonical[size_t(e.id)] = e.name;
            for (size_t i = 0; i < e.name.size(); ++i) {
                lowered[size_t(e.id)][i] = lower(e.name[i]);
                case_bit[size_t(e.id)][i] = is_alpha(e.name[i]) ? 0x20 : 0;
            }
        }
    }
};
constexpr NameIndex kIndex;

// (name | case bits) == lower-case spelling, a machine word at a time (overlapping words for
// the tail). n >= 2 is the length of both; the tables are kMaxNameLen long.
template <class W>
bool folded_equal_at(const char* name, const char* lc, const char* bit, size_t off) {
    W a, l, b;
    std::memcpy(&a, name + off, sizeof a);
    std::memcpy(&l, lc + off, sizeof l);
    std::memcpy(&b, bit + off, sizeof b);
    return W(a | b) == l;
}
bool folded_equal(const char* name, size_t n, const char* lc, const char* bit) {
    if (n >= 8) {
        for (size_t off = 0; off + 8 < n; off += 8)
            if (!folded_equal_at<uint64_t>(name, lc, bit, off)) return false;
        return folded_equal_at<uint64_t>(name, lc, bit, n - 8);
    }
    if (n >= 4) return folded_equal_at<uint32_t>(name, lc, bit, 0) && folded_equal_at<uint32_t>(name, lc, bit, n - 4);
    return folded_equal_at<uint16_t>(name, lc, bit, 0) && folded_equal_at<uint16_t>(name, lc, bit, n - 2);
}

}  // namespace

HeaderId header_id(std::string_view name) {
    const size_t n = name.size();
    if (n == 1) return compact(name[0]);
    if (n > kMaxNameLen || n == 0) return HeaderId::Other;
    const HeaderId id = kIndex.slots[slot_of(n, name.front(), name.back())];
    if (id == HeaderId::Other || kIndex.canonical[size_t(id)].size() != n) return HeaderId::Other;
    return folded_equal(name.data(), n, kIndex.lowered[size_t(id)].data(), kIndex.case_bit[size_t(id)].data())
               ? id
               : HeaderId::Other;
}

std::string_view canonical_name(HeaderId id) { return kIndex.canonical[size_t(id)]; }

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

}  // namespace siperb::sip
