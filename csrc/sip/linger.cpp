#include "sip/linger.hpp"

#include <algorithm>
#include <utility>

namespace siperb::sip {

std::size_t LingerTable::add(std::string_view key, std::uint8_t kind, std::uint64_t flow,
                             std::string_view resend, double deadline, std::string_view note) {
    std::size_t went = 0;
    if (auto it = map_.find(key); it != map_.end()) {
        bytes_ -= it->first.size() + it->second.resend.size() + it->second.note.size();
        map_.erase(it);
    }
    while (max_ > 0 && map_.size() >= max_) {
        drop_stale();
        if (due_.empty()) break;
        pop_due();
        ++went;
    }
    evicted_ += went;
    const std::uint64_t seq = next_seq_++;
    map_.emplace(copy(key), Entry{copy(resend), flow, kind, copy(note), deadline, seq});
    bytes_ += key.size() + resend.size() + note.size();
    due_.push_back(Due{deadline, seq, copy(key)});
    std::push_heap(due_.begin(), due_.end(), std::greater<>{});
    compact();
    return went;
}

const LingerTable::Entry* LingerTable::find(std::string_view key) const {
    auto it = map_.find(key);
    return it == map_.end() ? nullptr : &it->second;
}

bool LingerTable::erase(std::string_view key) {
    auto it = map_.find(key);
    if (it == map_.end()) return false;
    bytes_ -= it->first.size() + it->second.resend.size() + it->second.note.size();
    map_.erase(it);  // its Due goes stale; drop_stale/compact remove it
    compact();
    return true;
}

void LingerTable::pop_due() {
    std::pop_heap(due_.begin(), due_.end(), std::greater<>{});
    const Due& top = due_.back();
    if (auto it = map_.find(std::string_view(top.key)); it != map_.end() && it->second.seq == top.seq) {
        bytes_ -= it->first.size() + it->second.resend.size() + it->second.note.size();
        map_.erase(it);
    }
    due_.pop_back();
}

void LingerTable::drop_stale() {
    while (!due_.empty()) {
        auto it = map_.find(std::string_view(due_.front().key));
        if (it != map_.end() && it->second.seq == due_.front().seq) return;
        std::pop_heap(due_.begin(), due_.end(), std::greater<>{});
        due_.pop_back();
    }
}

void LingerTable::compact() {
    if (due_.size() <= 2 * map_.size() + 64) return;
    std::pmr::vector<Due> live(&pool_);
    live.reserve(map_.size());
    for (const auto& [key, entry] : map_) live.push_back(Due{entry.deadline, entry.seq, copy(key)});
    std::make_heap(live.begin(), live.end(), std::greater<>{});
    due_.swap(live);
}

void LingerTable::shrink() {
    if (map_.empty()) {
        clear();  // the pool's pages go back to the system
        return;
    }
    if (due_.capacity() > 256 && due_.size() < due_.capacity() / 4) due_.shrink_to_fit();
    if (map_.bucket_count() > 256 && map_.size() < map_.bucket_count() / 4) map_.rehash(0);
}

std::size_t LingerTable::expire(double now) {
    std::size_t before = map_.size();
    for (drop_stale(); !due_.empty() && due_.front().deadline <= now; drop_stale()) pop_due();
    if (map_.size() != before) shrink();
    return before - map_.size();
}

std::optional<double> LingerTable::next_deadline() {
    drop_stale();
    if (due_.empty()) return std::nullopt;
    return due_.front().deadline;
}

void LingerTable::clear() {
    decltype(map_)(&pool_).swap(map_);
    decltype(due_)(&pool_).swap(due_);
    pool_.release();
    bytes_ = 0;
}

}  // namespace siperb::sip
