// Credentials and challenges (RFC 3261 25.1, RFC 7616 auth-params).
#include "sip/headers.hpp"

#include "sip/text.hpp"

namespace siperb::sip {

std::vector<std::pair<std::string, std::string>> Auth::normalized_params() const {
    std::vector<std::pair<std::string, std::string>> out;
    out.reserve(params.size());
    for (const AuthParam& p : params) out.emplace_back(to_lower(p.name), unquote_if_quoted(p.value));
    return out;
}

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

}  // namespace siperb::sip
