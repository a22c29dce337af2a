// Small zero-copy lexing helpers for SDP lines; every failure names the SDP field.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace siperb::sdp::text {

// Splits on runs of spaces/tabs (real endpoints sometimes double them).
std::vector<std::string_view> split_ws(std::string_view s);
// Splits at the first run of whitespace: {head, rest} (rest may be empty).
std::pair<std::string_view, std::string_view> split_first(std::string_view s);
std::string_view trim(std::string_view s) noexcept;
// Decimal digits only, at most `max`; throws SdpParseError(field, "<what> ... not a number").
std::uint64_t to_uint(std::string_view s, std::uint64_t max, const std::string& field,
                      const char* what);
bool is_token(std::string_view s) noexcept;
bool valid_utf8(std::string_view s) noexcept;  // RFC 3629, no overlongs or surrogates  // RFC 8866 token: visible chars, no spaces
bool iequals(std::string_view a, std::string_view b) noexcept;
// Throws SdpParseError(field, reason) if s contains CR, LF or NUL (used when writing).
void check_line_safe(std::string_view s, const char* field);

}  // namespace siperb::sdp::text
