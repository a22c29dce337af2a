#include "common/block_pool.hpp"

#include <pthread.h>
#include <sanitizer/asan_interface.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <utility>

namespace siperb {

namespace {

constexpr std::size_t kHeader = BlockPool::kAlignment;  // the slab's header, before its first block

std::size_t page_size() {
    static const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    return page;
}

std::size_t whole_pages(std::size_t bytes) { return (bytes + page_size() - 1) / page_size() * page_size(); }

}  // namespace
}  // namespace siperb

// LeakSanitizer's, when its runtime is in the process: built in (an ASan build) or preloaded
// into a process running the ordinary build (the integration tests' CLI subprocesses). Weak,
// so that they are null without it.
extern "C" {
__attribute__((weak)) void __lsan_register_root_region(const void* p, std::size_t size);
__attribute__((weak)) void __lsan_unregister_root_region(const void* p, std::size_t size);
}

namespace siperb {
namespace {

// LeakSanitizer looks for pointers in the heap, stacks and globals, not in mappings of our own:
// under it, what a block points to (a session's codec, its chain) would be reported as leaked.
void scanned(void* p, std::size_t bytes) {
    if (__lsan_register_root_region != nullptr) __lsan_register_root_region(p, bytes);
}

void unmap(void* p, std::size_t bytes) {
    if (__lsan_unregister_root_region != nullptr) __lsan_unregister_root_region(p, bytes);
    ASAN_UNPOISON_MEMORY_REGION(p, bytes);  // whoever maps these addresses next
    ::munmap(p, bytes);
}

void* map_pages(std::size_t bytes) {
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    return p;
}

}  // namespace

struct BlockPool::Slab {
    Slab* prev = nullptr;
    Slab* next = nullptr;
    void* free = nullptr;  // freed blocks, each holding the address of the next
    std::uint32_t cls = 0;
    std::uint32_t used = 0;      // blocks handed out
    std::uint32_t carved = 0;    // blocks ever handed out since the slab was (re)started
    std::uint32_t capacity = 0;  // blocks that fit

    static Slab* of(void* block) noexcept {
        return reinterpret_cast<Slab*>(reinterpret_cast<std::uintptr_t>(block) & ~(kSlabBytes - 1));
    }
    std::byte* block(std::size_t i) noexcept {
        return reinterpret_cast<std::byte*>(this) + kHeader + i * block_bytes(cls);
    }
};

std::size_t BlockPool::block_bytes(std::size_t cls) noexcept {
    // Four classes a doubling (x1, x1.25, x1.5, x1.75): a request wastes at most a fifth.
    return (kMinBlock << (cls / 4)) / 4 * (4 + cls % 4);
}

std::size_t BlockPool::class_of(std::size_t bytes) noexcept {
    std::size_t cls = 0;
    while (block_bytes(cls) < bytes) ++cls;
    return cls;
}

BlockPool::BlockPool() = default;

BlockPool::~BlockPool() {
    // Slabs still full of live blocks are not in any list: a pool is destroyed only when empty
    // (the shared one never is).
    for (SizeClass& c : classes_) {
        while (c.partial != nullptr) {
            Slab* s = c.partial;
            unlink(s);
            unmap_slab(s);
        }
        if (c.empty != nullptr) unmap_slab(c.empty);
    }
}

namespace {
// A union's member is not destroyed with it: the shared pool outlives every static destructor.
union Forever {
    Forever() : pool() {}
    ~Forever() {}
    BlockPool pool;
};
}  // namespace

BlockPool& BlockPool::shared() {
    static Forever forever;
    static const bool fork_safe = [] {
        // A fork while another thread holds the lock would leave the child's pool locked.
        ::pthread_atfork([] { forever.pool.mu_.lock(); }, [] { forever.pool.mu_.unlock(); },
                         [] { forever.pool.mu_.unlock(); });
        return true;
    }();
    (void)fork_safe;
    return forever.pool;
}

BlockPool::Slab* BlockPool::map_slab(std::size_t cls) {
    // Twice the size, then the unaligned ends given back: a block finds its slab by masking.
    auto* raw = static_cast<std::byte*>(map_pages(2 * kSlabBytes));
    const auto addr = reinterpret_cast<std::uintptr_t>(raw);
    auto* base = reinterpret_cast<std::byte*>((addr + kSlabBytes - 1) & ~(kSlabBytes - 1));
    if (base != raw) ::munmap(raw, static_cast<std::size_t>(base - raw));
    if (base + kSlabBytes != raw + 2 * kSlabBytes)
        ::munmap(base + kSlabBytes, static_cast<std::size_t>(raw + 2 * kSlabBytes - (base + kSlabBytes)));
    static_assert(sizeof(Slab) <= kHeader);
    scanned(base, kSlabBytes);
    auto* s = new (base) Slab;
    s->cls = static_cast<std::uint32_t>(cls);
    s->capacity = static_cast<std::uint32_t>((kSlabBytes - kHeader) / block_bytes(cls));
    // Under ASan a block is addressable only while it is handed out, and only as far as asked.
    ASAN_POISON_MEMORY_REGION(base + kHeader, kSlabBytes - kHeader);
    stats_.mapped += kSlabBytes;
    ++stats_.slabs;
    return s;
}

void BlockPool::unmap_slab(Slab* s) noexcept {
    unmap(s, kSlabBytes);
    stats_.mapped -= kSlabBytes;
    --stats_.slabs;
    ++stats_.slabs_freed;
}

void BlockPool::unlink(Slab* s) noexcept {
    SizeClass& c = classes_[s->cls];
    if (s->prev != nullptr) s->prev->next = s->next;
    else if (c.partial == s) c.partial = s->next;
    if (s->next != nullptr) s->next->prev = s->prev;
    s->prev = s->next = nullptr;
}

void BlockPool::push_partial(Slab* s) noexcept {
    SizeClass& c = classes_[s->cls];
    s->prev = nullptr;
    s->next = c.partial;
    if (c.partial != nullptr) c.partial->prev = s;
    c.partial = s;
}

void* BlockPool::allocate(std::size_t bytes) {
    if (bytes < kMinBlock) return ::operator new(bytes == 0 ? 1 : bytes);
    if (bytes > kMaxBlock) {
        const std::size_t size = whole_pages(bytes);
        void* p = map_pages(size);
        scanned(p, size);
        const std::lock_guard lock(mu_);
        stats_.mapped += size;
        stats_.in_use += size;
        ++stats_.blocks;
        return p;
    }
    const std::size_t cls = class_of(bytes);
    const std::lock_guard lock(mu_);
    SizeClass& c = classes_[cls];
    Slab* s = c.partial;
    if (s == nullptr) {
        s = c.empty != nullptr ? std::exchange(c.empty, nullptr) : map_slab(cls);
        push_partial(s);
    }
    void* p;
    if (s->free != nullptr) {
        p = s->free;
        ASAN_UNPOISON_MEMORY_REGION(p, sizeof(void*));
        s->free = *static_cast<void**>(p);
    } else {
        p = s->block(s->carved++);
    }
    if (++s->used == s->capacity) unlink(s);  // full: out of the list until a block comes back
    ASAN_UNPOISON_MEMORY_REGION(p, bytes);
    stats_.in_use += block_bytes(cls);
    ++stats_.blocks;
    return p;
}

void BlockPool::deallocate(void* p, std::size_t bytes) noexcept {
    if (p == nullptr) return;
    if (bytes < kMinBlock) {
        ::operator delete(p);
        return;
    }
    if (bytes > kMaxBlock) {
        const std::size_t size = whole_pages(bytes);
        unmap(p, size);
        const std::lock_guard lock(mu_);
        stats_.mapped -= size;
        stats_.in_use -= size;
        --stats_.blocks;
        return;
    }
    const std::lock_guard lock(mu_);
    Slab* s = Slab::of(p);
    SizeClass& c = classes_[s->cls];
    ASAN_UNPOISON_MEMORY_REGION(p, sizeof(void*));
    *static_cast<void**>(p) = s->free;
    ASAN_POISON_MEMORY_REGION(p, block_bytes(s->cls));
    s->free = p;
    if (s->used-- == s->capacity) push_partial(s);
    stats_.in_use -= block_bytes(s->cls);
    --stats_.blocks;
    if (s->used != 0) return;
    unlink(s);
    if (c.empty != nullptr) {
        unmap_slab(s);
        return;
    }
    // Kept mapped for the next burst, its pages given back (all but the header's first).
    ::madvise(reinterpret_cast<std::byte*>(s) + page_size(), kSlabBytes - page_size(), MADV_DONTNEED);
    s->free = nullptr;
    s->carved = 0;
    c.empty = s;
}

BlockPool::Stats BlockPool::stats() const {
    const std::lock_guard lock(mu_);
    return stats_;
}

}  // namespace siperb
