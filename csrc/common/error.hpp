// The native exception hierarchy. Each class maps one-to-one onto a Python class in
// siperb.errors (see bindings/module.cpp); every error names the field and the reason.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace siperb {

// Field and reason often quote the input (a header name, a version, an SDP line), which may
// hold any octet: the text is made printable UTF-8 (invalid sequences and control characters
// become \xHH) so that every message crosses into Python as a str without a decode error.
std::string printable_utf8(std::string text);

class Error : public std::runtime_error {
public:
    Error(std::string field, std::string reason)
        : Error(Printable{}, printable_utf8(std::move(field)), printable_utf8(std::move(reason))) {}

    const std::string& field() const noexcept { return field_; }
    const std::string& reason() const noexcept { return reason_; }
    // The class name, shared with siperb.errors, so bindings translate without a cast chain.
    virtual const char* kind() const noexcept { return "SiperbError"; }

private:
    struct Printable {};
    Error(Printable, std::string field, std::string reason)
        : std::runtime_error(field.empty() ? reason : field + ": " + reason),
          field_(std::move(field)), reason_(std::move(reason)) {}

    std::string field_;
    std::string reason_;
};

// Malformed SIP message, header or URI (field = header name, "start-line", "URI", "framing").
class SipParseError : public Error {
public:
    using Error::Error;
    const char* kind() const noexcept override { return "SipParseError"; }
};
// Malformed SDP (field = line type or attribute name).
class SdpParseError : public Error {
public:
    using Error::Error;
    const char* kind() const noexcept override { return "SdpParseError"; }
};
// An SDP offer that cannot be answered (maps to SIP 488).
class SdpNegotiationError : public Error {
public:
    using Error::Error;
    const char* kind() const noexcept override { return "SdpNegotiationError"; }
};
// Malformed or inconsistent RTP/RTCP/telephone-event packet.
class RtpError : public Error {
public:
    using Error::Error;
    const char* kind() const noexcept override { return "RtpError"; }
};
// Codec failure (libopus message as reason) or bad codec parameter.
class CodecError : public Error {
public:
    using Error::Error;
    const char* kind() const noexcept override { return "CodecError"; }
};
// Malformed WAV file or audio format mismatch.
class WavError : public Error {
public:
    using Error::Error;
    const char* kind() const noexcept override { return "WavError"; }
};
// Media engine or audio device failure.
class MediaError : public Error {
public:
    using Error::Error;
    const char* kind() const noexcept override { return "MediaError"; }
};

// Malformed STUN message (field = attribute name such as "XOR-MAPPED-ADDRESS", or "header").
class StunParseError : public Error {
public:
    using Error::Error;
    const char* kind() const noexcept override { return "StunParseError"; }
};

}  // namespace siperb
