// A BIO that keeps datagram boundaries. A memory BIO joins what is written into one byte
// stream, and OpenSSL 3.0 has no BIO_s_dgram_pair: here every write (a flight chunk that the
// record layer has already cut to the MTU) becomes one datagram and every read hands out one
// whole received datagram, as a UDP socket would.
#include "dtls/dtls_internal.hpp"

#include <algorithm>
#include <cstring>
#include <mutex>

namespace siperb::dtls {
namespace {

DatagramQueues* queues(BIO* b) { return static_cast<DatagramQueues*>(BIO_get_data(b)); }

int dgram_write(BIO* b, const char* data, int len) {
    BIO_clear_retry_flags(b);
    if (len <= 0) return 0;
    auto* q = queues(b);
    if (q->out.size() >= DatagramQueues::kMaxOut) {
        ++q->out_dropped;  // as a full socket buffer would: lost, and the timer resends it
        return len;
    }
    const auto* p = reinterpret_cast<const std::uint8_t*>(data);
    q->out.emplace_back(p, p + len);
    return len;
}

int dgram_read(BIO* b, char* out, int size) {
    BIO_clear_retry_flags(b);
    auto* q = queues(b);
    if (q->in.empty()) {
        BIO_set_retry_read(b);
        return -1;
    }
    const Datagram& d = q->in.front();
    // A datagram longer than the buffer is truncated, as recv() truncates one.
    const auto n = std::min<std::size_t>(d.size(), size > 0 ? std::size_t(size) : 0);
    if (n) std::memcpy(out, d.data(), n);
    q->in.pop_front();
    return int(n);
}

long dgram_ctrl(BIO* b, int cmd, long, void*) {
    switch (cmd) {
    case BIO_CTRL_FLUSH: return 1;
    case BIO_CTRL_PENDING: {
        auto* q = queues(b);
        return q->in.empty() ? 0 : long(q->in.front().size());
    }
    case BIO_CTRL_WPENDING: return 0;  // nothing is held back: each write is a datagram
    case BIO_CTRL_DGRAM_QUERY_MTU: return 0;  // the session sets the MTU itself
    case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD: return 0;  // the MTU given is the UDP payload
    default: return 0;
    }
}

int dgram_create(BIO* b) {
    BIO_set_init(b, 1);
    return 1;
}
int dgram_destroy(BIO* b) {
    BIO_set_data(b, nullptr);
    return 1;
}

BIO_METHOD* method() {
    static BIO_METHOD* m = [] {
        BIO_METHOD* bm = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "siperb datagram");
        BIO_meth_set_write(bm, dgram_write);
        BIO_meth_set_read(bm, dgram_read);
        BIO_meth_set_ctrl(bm, dgram_ctrl);
        BIO_meth_set_create(bm, dgram_create);
        BIO_meth_set_destroy(bm, dgram_destroy);
        return bm;
    }();  // one per process, never freed (OpenSSL keeps using it until exit)
    return m;
}

}  // namespace

BIO* make_datagram_bio(DatagramQueues* q) {
    BIO* b = BIO_new(method());
    if (b) BIO_set_data(b, q);
    return b;
}

}  // namespace siperb::dtls
