#include "rtp/rtp_packet.hpp"

#include "common/error.hpp"

#include <string>

namespace siperb::rtp {

namespace {
constexpr std::size_t kHeaderSize = 12;
std::string n(std::size_t v) { return std::to_string(v); }
}  // namespace

RtpView RtpView::parse(Bytes data) {
    if (data.size() < kHeaderSize)
        throw RtpError("header", "truncated: " + n(data.size()) + " bytes, the fixed header needs 12");
    const std::uint8_t* p = data.data();
    if ((p[0] >> 6) != 2) throw RtpError("version", "must be 2, got " + n(p[0] >> 6));
    RtpView v;
    const bool padding = (p[0] & 0x20) != 0;
    v.has_extension = (p[0] & 0x10) != 0;
    const std::size_t cc = p[0] & 0x0F;
    v.marker = (p[1] & 0x80) != 0;
    v.payload_type = p[1] & 0x7F;
    v.sequence_number = read16(p + 2);
    v.timestamp = read32(p + 4);
    v.ssrc = read32(p + 8);
    std::size_t pos = kHeaderSize;
    if (data.size() < pos + 4 * cc)
        throw RtpError("csrc count", "truncated: " + n(cc) + " CSRCs do not fit in " + n(data.size()) + " bytes");
    v.csrc_bytes = data.subspan(pos, 4 * cc);
    pos += 4 * cc;
    if (v.has_extension) {
        if (data.size() < pos + 4) throw RtpError("extension", "truncated: no room for the extension header");
        v.extension_profile = read16(p + pos);
        const std::size_t len = std::size_t{read16(p + pos + 2)} * 4;
        pos += 4;
        if (data.size() < pos + len)
            throw RtpError("extension length", n(len) + " bytes exceed the packet (" + n(data.size() - pos) + " left)");
        v.extension_data = data.subspan(pos, len);
        pos += len;
    }
    std::size_t end = data.size();
    if (padding) {
        if (end == pos) throw RtpError("padding", "padding bit set but no padding count byte");
        const std::size_t count = p[end - 1];
        if (count == 0) throw RtpError("padding", "padding count is 0");
        if (count > end - pos)
            throw RtpError("padding", "count " + n(count) + " exceeds the " + n(end - pos) + " bytes after the header");
        v.padding_size = static_cast<std::uint8_t>(count);
        end -= count;
    }
    v.payload = data.subspan(pos, end - pos);
    return v;
}

std::vector<RtpExtensionElement> parse_extension_elements(std::uint16_t profile, Bytes data) {
    std::vector<RtpExtensionElement> out;
    const bool one_byte = profile == kOneByteProfile;
    if (!one_byte && (profile & 0xFFF0) != kTwoByteProfile)
        throw RtpError("extension profile", "not an RFC 8285 profile (0xBEDE or 0x100X)");
    std::size_t i = 0;
    while (i < data.size()) {
        const std::uint8_t b = data[i];
        if (b == 0) {  // padding between elements
            ++i;
            continue;
        }
        std::uint8_t id;
        std::size_t len;
        if (one_byte) {
            id = b >> 4;
            if (id == 15) break;  // reserved: stop processing (RFC 8285 section 4.2)
            len = std::size_t(b & 0x0F) + 1;
            i += 1;
        } else {
            if (i + 2 > data.size()) throw RtpError("extension element", "truncated two-byte element header");
            id = b;
            len = data[i + 1];
            i += 2;
        }
        if (i + len > data.size())
            throw RtpError("extension element", "element " + n(id) + " of " + n(len) + " bytes runs past the block");
        out.push_back({id, std::vector<std::uint8_t>(data.begin() + i, data.begin() + i + len)});
        i += len;
    }
    return out;
}

RtpExtension build_extension_elements(const std::vector<RtpExtensionElement>& elements, bool force_two_byte) {
    bool one_byte = !force_two_byte;
    for (const auto& e : elements) {
        if (e.id == 0) throw RtpError("extension element", "id 0 is reserved for padding");
        if (e.data.size() > 255) throw RtpError("extension element", "longer than 255 bytes");
        if (e.id > 14 || e.data.empty() || e.data.size() > 16) one_byte = false;
    }
    RtpExtension ext;
    ext.profile = one_byte ? kOneByteProfile : kTwoByteProfile;
    for (const auto& e : elements) {
        if (one_byte) {
            ext.data.push_back(static_cast<std::uint8_t>((e.id << 4) | (e.data.size() - 1)));
        } else {
            ext.data.push_back(e.id);
            ext.data.push_back(static_cast<std::uint8_t>(e.data.size()));
        }
        ext.data.insert(ext.data.end(), e.data.begin(), e.data.end());
    }
    while (ext.data.size() % 4 != 0) ext.data.push_back(0);
    return ext;
}

RtpPacket RtpPacket::from_view(const RtpView& v) {
    RtpPacket pk;
    pk.marker = v.marker;
    pk.payload_type = v.payload_type;
    pk.sequence_number = v.sequence_number;
    pk.timestamp = v.timestamp;
    pk.ssrc = v.ssrc;
    for (std::size_t i = 0; i < v.csrc_count(); ++i) pk.csrc.push_back(v.csrc(i));
    if (v.has_extension)
        pk.extension = RtpExtension{v.extension_profile, {v.extension_data.begin(), v.extension_data.end()}};
    pk.payload.assign(v.payload.begin(), v.payload.end());
    pk.padding_size = v.padding_size;
    return pk;
}

RtpPacket RtpPacket::parse(Bytes data) { return from_view(RtpView::parse(data)); }

std::vector<std::uint8_t> RtpPacket::build() const {
    if (payload_type > 127) throw RtpError("payload type", "must be 0-127, got " + n(payload_type));
    if (csrc.size() > 15) throw RtpError("csrc count", "at most 15 CSRCs, got " + n(csrc.size()));
    if (extension && extension->data.size() % 4 != 0)
        throw RtpError("extension length", "extension data must be a multiple of 4 bytes");
    if (extension && extension->data.size() / 4 > 0xFFFF) throw RtpError("extension length", "too long");
    std::vector<std::uint8_t> out;
    out.reserve(kHeaderSize + 4 * csrc.size() + (extension ? 4 + extension->data.size() : 0) + payload.size() +
                padding_size);
    out.push_back(static_cast<std::uint8_t>(0x80 | (padding_size ? 0x20 : 0) | (extension ? 0x10 : 0) | csrc.size()));
    out.push_back(static_cast<std::uint8_t>((marker ? 0x80 : 0) | payload_type));
    write16(out, sequence_number);
    write32(out, timestamp);
    write32(out, ssrc);
    for (auto c : csrc) write32(out, c);
    if (extension) {
        write16(out, extension->profile);
        write16(out, static_cast<std::uint16_t>(extension->data.size() / 4));
        out.insert(out.end(), extension->data.begin(), extension->data.end());
    }
    out.insert(out.end(), payload.begin(), payload.end());
    if (padding_size) {
        out.insert(out.end(), padding_size - 1, 0);
        out.push_back(padding_size);
    }
    return out;
}

}  // namespace siperb::rtp
