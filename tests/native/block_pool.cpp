// Checks of the BlockPool the media buffers live in (csrc/common/block_pool.hpp): sizes, reuse,
// slabs given back, no growth under a churn of session-like buffer sets, and four threads
// allocating and freeing at once with every block's contents intact. Run by
// tests/unit/test_block_pool.py (and ctest); prints one line per check, exits 0 when all held.
#include "common/block_pool.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <set>
#include <thread>
#include <vector>

namespace {

using siperb::BlockPool;

int failures = 0;

void check(bool ok, const char* what) {
    std::printf("%s %s\n", ok ? "ok" : "FAILED", what);
    if (!ok) ++failures;
}

void sizes() {
    bool fits = true, tight = true;
    for (std::size_t n = BlockPool::kMinBlock; n <= BlockPool::kMaxBlock; ++n) {
        const std::size_t block = BlockPool::block_bytes(BlockPool::class_of(n));
        fits = fits && block >= n && block % BlockPool::kAlignment == 0;
        tight = tight && block * 4 <= n * 5 + 4 * BlockPool::kAlignment;  // at most a quarter more
    }
    check(fits, "every request from 1 KiB to 64 KiB gets a block at least as large, aligned");
    check(tight, "no block is more than a quarter larger than the request");
}

void reuse_and_release() {
    BlockPool pool;
    std::vector<void*> first;
    for (int i = 0; i < 200; ++i) first.push_back(pool.allocate(11520));  // a 120 ms 48 kHz frame
    const auto full = pool.stats();
    bool aligned = true;
    for (void* p : first) aligned = aligned && reinterpret_cast<std::uintptr_t>(p) % BlockPool::kAlignment == 0;
    check(aligned, "blocks are aligned to 64 bytes");
    check(full.blocks == 200 && full.in_use == 200 * BlockPool::block_bytes(BlockPool::class_of(11520)),
          "handed-out blocks and bytes are counted");
    for (void* p : first) pool.deallocate(p, 11520);
    const auto empty = pool.stats();
    check(empty.blocks == 0 && empty.in_use == 0, "every block came back");
    check(empty.slabs == 1 && empty.mapped == BlockPool::kSlabBytes && empty.slabs_freed == full.slabs - 1,
          "all slabs but one kept empty were given back to the system");
    std::set<void*> again;
    for (int i = 0; i < 20; ++i) again.insert(pool.allocate(11000));  // the same class
    check(pool.stats().slabs == 1, "the kept slab is taken again before a new one is mapped");
    for (void* p : again) pool.deallocate(p, 11000);

    void* big = pool.allocate(200000);
    std::memset(big, 7, 200000);
    check(pool.stats().mapped >= BlockPool::kSlabBytes + 200000, "a request past 64 KiB is a mapping of its own");
    pool.deallocate(big, 200000);
    check(pool.stats().mapped == BlockPool::kSlabBytes && pool.stats().blocks == 0, "and it is unmapped when freed");
    void* small = pool.allocate(100);
    check(pool.stats().blocks == 0, "a request under 1 KiB goes to the C heap");
    pool.deallocate(small, 100);
}

// Buffer sets shaped like a PCMU session's (bytes), started and ended at random: the pool must
// not grow past what the most sessions alive at once needed.
void churn_is_flat() {
    const std::size_t shape[] = {11520, 17280, 5760, 5760, 5760, 5888, 11520, 2304, 1560, 3208};
    BlockPool pool;
    std::mt19937 rng(17);
    std::vector<std::vector<void*>> live(1000);
    auto start = [&](std::vector<void*>& s) {
        for (std::size_t b : shape) s.push_back(pool.allocate(b));
    };
    auto end = [&](std::vector<void*>& s) {
        for (std::size_t i = 0; i < s.size(); ++i) pool.deallocate(s[i], shape[i]);
        s.clear();
    };
    for (auto& s : live) start(s);
    const std::size_t warm = pool.stats().mapped;
    std::size_t most = warm;
    for (int round = 0; round < 200000; ++round) {  // each session ended and restarted ~200 times
        auto& s = live[rng() % live.size()];
        end(s);
        start(s);
        most = std::max(most, pool.stats().mapped);
    }
    check(most == warm, "200,000 session restarts at a flat 1,000 sessions map nothing new");
    for (auto& s : live) end(s);
    check(pool.stats().slabs <= std::size(shape) && pool.stats().in_use == 0,
          "with every session ended at most one empty slab a class stays mapped");
}

void threads_keep_contents() {
    BlockPool pool;
    std::vector<std::thread> threads;
    std::vector<int> bad(4, 0);
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&pool, &bad, t] {
            std::mt19937 rng(static_cast<unsigned>(t));
            std::vector<std::pair<std::uint8_t*, std::size_t>> mine;
            for (int i = 0; i < 40000; ++i) {
                if (mine.size() < 64 && (mine.empty() || rng() % 2 == 0)) {
                    const std::size_t n = 1024 + rng() % (70 * 1024);
                    auto* p = static_cast<std::uint8_t*>(pool.allocate(n));
                    std::memset(p, static_cast<int>(reinterpret_cast<std::uintptr_t>(p) >> 6) & 0xff, n);
                    mine.emplace_back(p, n);
                } else {
                    const std::size_t k = rng() % mine.size();
                    auto [p, n] = mine[k];
                    const auto want = static_cast<std::uint8_t>(reinterpret_cast<std::uintptr_t>(p) >> 6);
                    if (std::any_of(p, p + n, [want](std::uint8_t v) { return v != want; })) ++bad[t];
                    pool.deallocate(p, n);
                    mine[k] = mine.back();
                    mine.pop_back();
                }
            }
            for (auto [p, n] : mine) pool.deallocate(p, n);
        });
    }
    for (auto& th : threads) th.join();
    check(std::all_of(bad.begin(), bad.end(), [](int b) { return b == 0; }),
          "four threads allocating and freeing at once: every block kept its contents");
    const auto s = pool.stats();
    check(s.blocks == 0 && s.in_use == 0 && s.slabs <= 25, "and every block came back");
}

}  // namespace

int main() {
    sizes();
    reuse_and_release();
    churn_is_flat();
    threads_keep_contents();
    return failures == 0 ? 0 : 1;
}
