// What SIP transactions keep while they linger after their final response (RFC 3261 17 and
// RFC 6026: timers D, I, J, K, L, M): per transaction key, the bytes to send again when a
// retransmission matches, the flow to send them on and what to do with a match (the kind),
// until a deadline. No I/O and no Python object: back-to-back calls keep ~5,000 calls'
// transactions lingering at once, and as Python objects (the transaction, its timer handles,
// its key) they filled the interpreter's small-object arenas, which a burst then left pinned
// by a few survivors (issue 17). Its memory is its own: a pool over pages mapped for it
// (common/mapped_resource), given back to the system whenever the table is empty, so a burst
// of calls leaves no high-water mark in the C allocator's heap.
#pragma once

#include "common/mapped_resource.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory_resource>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace siperb::sip {

class LingerTable {
public:
    struct Entry {
        std::pmr::string resend;  // the bytes a matching retransmission gets again (may be empty)
        std::uint64_t flow = 0;  // the caller's number for the flow to send them on
        std::uint8_t kind = 0;   // the caller's meaning of a match
        std::pmr::string note;   // a short string the caller keeps beside (a To tag)
        double deadline = 0;
        std::uint64_t seq = 0;  // which add() made it (a key added again gets a new one)
    };

    explicit LingerTable(std::size_t max_entries) : max_(max_entries) {}  // 0: unbounded
    LingerTable(const LingerTable&) = delete;
    LingerTable& operator=(const LingerTable&) = delete;

    // Keeps `key` until `deadline`, replacing an entry of the same key. Past the bound the
    // entries with the earliest deadlines go first (a flood cannot grow the table); returns
    // how many went.
    std::size_t add(std::string_view key, std::uint8_t kind, std::uint64_t flow,
                    std::string_view resend, double deadline, std::string_view note = {});
    const Entry* find(std::string_view key) const;
    bool erase(std::string_view key);
    // Drops every entry whose deadline is at or before `now`; returns how many.
    std::size_t expire(double now);
    // The earliest deadline of the entries kept; nullopt when there are none.
    std::optional<double> next_deadline();

    std::size_t size() const { return map_.size(); }
    std::size_t max_entries() const { return max_; }
    std::uint64_t evicted() const { return evicted_; }
    // The bytes the entries' keys and resends hold, and the bytes mapped for the whole table
    // (for tests and memory checks).
    std::size_t bytes() const { return bytes_; }
    std::size_t mapped() const { return pages_.mapped(); }
    void clear();

private:
    struct Due {
        double deadline;
        std::uint64_t seq;
        std::pmr::string key;
        bool operator>(const Due& o) const {
            return deadline != o.deadline ? deadline > o.deadline : seq > o.seq;
        }
    };
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };
    void pop_due();   // removes the earliest Due and its entry when it is still current
    void drop_stale();
    void compact();   // rebuilds the heap when replaced entries left too many stale Dues
    void shrink();    // gives back what a burst grew the containers to, once it has gone
    std::pmr::string copy(std::string_view s) { return std::pmr::string(s, &pool_); }

    std::size_t max_;
    MappedResource pages_;  // declared before what allocates from it: destroyed after
    std::pmr::unsynchronized_pool_resource pool_{&pages_};
    std::pmr::unordered_map<std::pmr::string, Entry, Hash, std::equal_to<>> map_{&pool_};
    std::pmr::vector<Due> due_{&pool_};  // a min-heap on (deadline, seq) (std::push_heap)
    std::uint64_t next_seq_ = 0, evicted_ = 0;
    std::size_t bytes_ = 0;
};

}  // namespace siperb::sip
