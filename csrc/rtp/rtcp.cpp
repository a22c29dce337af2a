#include "rtp/rtcp.hpp"

#include "common/error.hpp"
#include "rtp/ntp.hpp"

#include <algorithm>

namespace siperb::rtp {

namespace {

std::string n(std::size_t v) { return std::to_string(v); }

std::vector<RtcpReportBlock> parse_blocks(Bytes body, std::size_t count, const char* what) {
    if (body.size() < count * 24)
        throw RtpError(what, "report count " + n(count) + " exceeds the packet length");
    std::vector<RtcpReportBlock> out;
    for (std::size_t i = 0; i < count; ++i) {
        const std::uint8_t* p = body.data() + 24 * i;
        RtcpReportBlock b;
        b.ssrc = read32(p);
        b.fraction_lost = p[4];
        std::int32_t lost = (p[5] << 16) | (p[6] << 8) | p[7];
        if (lost & 0x800000) lost -= 0x1000000;
        b.cumulative_lost = lost;
        b.extended_highest_seq = read32(p + 8);
        b.jitter = read32(p + 12);
        b.lsr = read32(p + 16);
        b.dlsr = read32(p + 20);
        out.push_back(b);
    }
    return out;
}

RtcpSdes parse_sdes(Bytes body, std::size_t count) {
    RtcpSdes sdes;
    std::size_t i = 0;
    for (std::size_t c = 0; c < count; ++c) {
        if (i + 4 > body.size()) throw RtpError("SDES", "chunk " + n(c) + " truncated");
        RtcpSdesChunk chunk;
        chunk.ssrc = read32(body.data() + i);
        i += 4;
        for (;;) {
            if (i >= body.size()) throw RtpError("SDES", "chunk without terminating null item");
            const std::uint8_t type = body[i];
            if (type == 0) {
                i = (i + 4) & ~std::size_t{3};  // the null item and padding up to 32 bits
                break;
            }
            if (i + 2 > body.size()) throw RtpError("SDES", "item header truncated");
            const std::size_t len = body[i + 1];
            if (i + 2 + len > body.size()) throw RtpError("SDES", "item of " + n(len) + " bytes truncated");
            chunk.items.push_back({type, std::string(body.begin() + i + 2, body.begin() + i + 2 + len)});
            i += 2 + len;
        }
        if (i > body.size()) throw RtpError("SDES", "chunk padding truncated");
        sdes.chunks.push_back(std::move(chunk));
    }
    return sdes;
}

RtcpPacket parse_one(std::uint8_t pt, std::size_t count, Bytes body) {
    switch (pt) {
    case kRtcpSr: {
        if (body.size() < 24) throw RtpError("SR", "truncated sender info");
        RtcpSenderReport sr;
        sr.ssrc = read32(body.data());
        sr.ntp_timestamp = (std::uint64_t{read32(body.data() + 4)} << 32) | read32(body.data() + 8);
        sr.rtp_timestamp = read32(body.data() + 12);
        sr.packet_count = read32(body.data() + 16);
        sr.octet_count = read32(body.data() + 20);
        sr.reports = parse_blocks(body.subspan(24), count, "SR");
        sr.extension.assign(body.begin() + 24 + 24 * count, body.end());
        return sr;
    }
    case kRtcpRr: {
        if (body.size() < 4) throw RtpError("RR", "truncated: no SSRC");
        RtcpReceiverReport rr;
        rr.ssrc = read32(body.data());
        rr.reports = parse_blocks(body.subspan(4), count, "RR");
        rr.extension.assign(body.begin() + 4 + 24 * count, body.end());
        return rr;
    }
    case kRtcpSdes: return parse_sdes(body, count);
    case kRtcpBye: {
        if (body.size() < 4 * count) throw RtpError("BYE", "source count " + n(count) + " exceeds the packet");
        RtcpBye bye;
        for (std::size_t i = 0; i < count; ++i) bye.sources.push_back(read32(body.data() + 4 * i));
        const std::size_t pos = 4 * count;
        if (pos < body.size()) {
            const std::size_t len = body[pos];
            if (pos + 1 + len > body.size()) throw RtpError("BYE", "reason of " + n(len) + " bytes truncated");
            bye.reason = std::string(body.begin() + pos + 1, body.begin() + pos + 1 + len);
        }
        return bye;
    }
    case kRtcpApp: {
        if (body.size() < 8) throw RtpError("APP", "truncated: needs SSRC and name");
        RtcpApp app;
        app.subtype = static_cast<std::uint8_t>(count);
        app.ssrc = read32(body.data());
        app.name.assign(body.begin() + 4, body.begin() + 8);
        for (const char c : app.name)
            if (static_cast<unsigned char>(c) >= 0x80) throw RtpError("APP", "name must be 4 ASCII characters");
        app.data.assign(body.begin() + 8, body.end());
        return app;
    }
    default: return RtcpUnknown{pt, static_cast<std::uint8_t>(count), {body.begin(), body.end()}};
    }
}

void write_header(std::vector<std::uint8_t>& out, std::size_t count, std::uint8_t pt) {
    if (count > 31) throw RtpError("count", "at most 31 items per RTCP packet, got " + n(count));
    out.push_back(static_cast<std::uint8_t>(0x80 | count));
    out.push_back(pt);
    write16(out, 0);  // length, patched by finish()
}

void finish(std::vector<std::uint8_t>& out, std::size_t start) {
    while ((out.size() - start) % 4) out.push_back(0);
    const std::size_t words = (out.size() - start) / 4 - 1;
    if (words > 0xFFFF) throw RtpError("length", "RTCP packet too long");
    put16(out.data() + start + 2, static_cast<std::uint16_t>(words));
}

void write_blocks(std::vector<std::uint8_t>& out, const std::vector<RtcpReportBlock>& blocks) {
    for (const auto& b : blocks) {
        write32(out, b.ssrc);
        const std::int32_t lost = std::clamp(b.cumulative_lost, -0x800000, 0x7FFFFF);
        write32(out, (std::uint32_t{b.fraction_lost} << 24) | (static_cast<std::uint32_t>(lost) & 0xFFFFFF));
        write32(out, b.extended_highest_seq);
        write32(out, b.jitter);
        write32(out, b.lsr);
        write32(out, b.dlsr);
    }
}

struct Builder {
    std::vector<std::uint8_t>& out;
    void operator()(const RtcpSenderReport& sr) {
        write_header(out, sr.reports.size(), kRtcpSr);
        write32(out, sr.ssrc);
        write32(out, static_cast<std::uint32_t>(sr.ntp_timestamp >> 32));
        write32(out, static_cast<std::uint32_t>(sr.ntp_timestamp));
        write32(out, sr.rtp_timestamp);
        write32(out, sr.packet_count);
        write32(out, sr.octet_count);
        write_blocks(out, sr.reports);
        if (sr.extension.size() % 4) throw RtpError("SR", "profile extension must be a multiple of 4 bytes");
        out.insert(out.end(), sr.extension.begin(), sr.extension.end());
    }
    void operator()(const RtcpReceiverReport& rr) {
        write_header(out, rr.reports.size(), kRtcpRr);
        write32(out, rr.ssrc);
        write_blocks(out, rr.reports);
        if (rr.extension.size() % 4) throw RtpError("RR", "profile extension must be a multiple of 4 bytes");
        out.insert(out.end(), rr.extension.begin(), rr.extension.end());
    }
    void operator()(const RtcpSdes& s) {
        write_header(out, s.chunks.size(), kRtcpSdes);
        for (const auto& c : s.chunks) {
            const std::size_t chunk_start = out.size();
            write32(out, c.ssrc);
            for (const auto& it : c.items) {
                if (it.type == 0) throw RtpError("SDES", "item type 0 is the terminator");
                if (it.value.size() > 255) throw RtpError("SDES", "item longer than 255 bytes");
                out.push_back(it.type);
                out.push_back(static_cast<std::uint8_t>(it.value.size()));
                out.insert(out.end(), it.value.begin(), it.value.end());
            }
            out.push_back(0);
            while ((out.size() - chunk_start) % 4) out.push_back(0);
        }
    }
    void operator()(const RtcpBye& b) {
        write_header(out, b.sources.size(), kRtcpBye);
        for (auto s : b.sources) write32(out, s);
        if (b.reason) {
            if (b.reason->size() > 255) throw RtpError("BYE", "reason longer than 255 bytes");
            out.push_back(static_cast<std::uint8_t>(b.reason->size()));
            out.insert(out.end(), b.reason->begin(), b.reason->end());
        }
    }
    void operator()(const RtcpApp& a) {
        if (a.subtype > 31) throw RtpError("APP", "subtype must be 0-31");
        if (a.name.size() != 4) throw RtpError("APP", "name must be 4 characters");
        if (a.data.size() % 4) throw RtpError("APP", "data must be a multiple of 4 bytes");
        write_header(out, a.subtype, kRtcpApp);
        write32(out, a.ssrc);
        out.insert(out.end(), a.name.begin(), a.name.end());
        out.insert(out.end(), a.data.begin(), a.data.end());
    }
    void operator()(const RtcpUnknown& u) {
        if (u.body.size() % 4) throw RtpError("length", "RTCP body must be a multiple of 4 bytes");
        write_header(out, u.count, u.packet_type);
        out.insert(out.end(), u.body.begin(), u.body.end());
    }
};

}  // namespace

std::vector<RtcpPacket> parse_rtcp_compound(Bytes data, bool strict) {
    std::vector<RtcpPacket> out;
    if (data.size() < 4) throw RtpError("header", "truncated: " + n(data.size()) + " bytes, RTCP needs 4");
    std::size_t pos = 0;
    while (pos < data.size()) {
        if (data.size() - pos < 4) throw RtpError("length", "trailing " + n(data.size() - pos) + " bytes after the last packet");
        const std::uint8_t* p = data.data() + pos;
        if ((p[0] >> 6) != 2) throw RtpError("version", "must be 2, got " + n(p[0] >> 6));
        const std::size_t count = p[0] & 0x1F;
        const std::uint8_t pt = p[1];
        const std::size_t len = (std::size_t{read16(p + 2)} + 1) * 4;
        if (len > data.size() - pos)
            throw RtpError("length", "packet of " + n(len) + " bytes exceeds the " + n(data.size() - pos) + " left");
        if (strict && out.empty() && pt != kRtcpSr && pt != kRtcpRr)
            throw RtpError("packet type", "a compound packet must start with SR or RR, got " + n(pt));
        std::size_t body_len = len - 4;
        if (p[0] & 0x20) {
            if (strict && pos + len != data.size())
                throw RtpError("padding", "only the last packet of a compound may be padded");
            const std::size_t pad = p[len - 1];
            if (pad == 0 || pad > body_len) throw RtpError("padding", "invalid padding count " + n(pad));
            body_len -= pad;
        }
        out.push_back(parse_one(pt, count, data.subspan(pos + 4, body_len)));
        pos += len;
    }
    return out;
}

std::vector<std::uint8_t> build_rtcp_compound(const std::vector<RtcpPacket>& packets) {
    std::vector<std::uint8_t> out;
    for (const auto& pk : packets) {
        const std::size_t start = out.size();
        std::visit(Builder{out}, pk);
        finish(out, start);
    }
    return out;
}

std::optional<double> rtcp_round_trip_time(const RtcpReportBlock& block, std::uint64_t arrival_ntp) {
    if (block.lsr == 0) return std::nullopt;
    const std::uint32_t a = ntp_middle32(arrival_ntp);
    const auto rtt = static_cast<std::int32_t>(a - block.lsr - block.dlsr);
    return rtt / 65536.0;
}

}  // namespace siperb::rtp
