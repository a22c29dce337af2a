// Memory for the media sessions' long-lived buffers (decoded and resampled PCM, jitter slots,
// concealment history), kept out of the C heap. A thousand sessions' 1-33 KB buffers, made
// and freed at different times, left holes in the heap that it never gave back: resident
// memory grew 1-1.6 MB a minute at a flat load of 500 calls (issue 17). Here a block of a size
// class is carved from a 256 KiB slab mapped from the kernel for that class alone, so a freed
// block is taken again by the next buffer of its class, and a slab whose blocks are all free
// goes back to the system. Blocks are allocated at setup and freed at teardown, never per
// packet; one mutex guards the pool.
#pragma once

#include <array>
#include <cstddef>
#include <limits>
#include <mutex>
#include <new>
#include <vector>

namespace siperb {

class BlockPool {
public:
    static constexpr std::size_t kSlabBytes = std::size_t{256} * 1024;
    static constexpr std::size_t kMinBlock = 1024;       // smaller: the C heap (holes that small get reused)
    static constexpr std::size_t kMaxBlock = 64 * 1024;  // larger: a mapping of its own
    static constexpr std::size_t kAlignment = 64;        // every block is aligned to a cache line

    struct Stats {
        std::size_t mapped = 0;  // bytes mapped now: slabs and large blocks
        std::size_t in_use = 0;  // bytes handed out (rounded up to the block size)
        std::size_t slabs = 0;
        std::size_t blocks = 0;       // blocks handed out, large ones included
        std::size_t slabs_freed = 0;  // slabs given back to the system so far
    };

    BlockPool();
    ~BlockPool();
    BlockPool(const BlockPool&) = delete;
    BlockPool& operator=(const BlockPool&) = delete;

    // The process's pool, never destroyed: buffers may be freed by threads still running at exit.
    static BlockPool& shared();

    void* allocate(std::size_t bytes);
    void deallocate(void* p, std::size_t bytes) noexcept;
    Stats stats() const;

    // The size class of a request and its block size (requests of kMinBlock to kMaxBlock bytes).
    static std::size_t class_of(std::size_t bytes) noexcept;
    static std::size_t block_bytes(std::size_t cls) noexcept;

private:
    struct Slab;
    struct SizeClass {
        Slab* partial = nullptr;  // slabs with a free or uncarved block, most recently used first
        Slab* empty = nullptr;    // at most one wholly free slab, kept against map/unmap churn
    };
    static constexpr std::size_t kClasses = 25;  // four a doubling, 1 KiB to 64 KiB

    Slab* map_slab(std::size_t cls);
    void unmap_slab(Slab* s) noexcept;
    void unlink(Slab* s) noexcept;
    void push_partial(Slab* s) noexcept;

    mutable std::mutex mu_;
    std::array<SizeClass, kClasses> classes_{};
    Stats stats_{};
};

// A stateless allocator for std containers whose storage should come from BlockPool::shared().
template <class T>
struct BufferAllocator {
    using value_type = T;
    static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);  // small requests: operator new

    BufferAllocator() noexcept = default;
    template <class U>
    BufferAllocator(const BufferAllocator<U>&) noexcept {}  // NOLINT: rebinding is implicit

    T* allocate(std::size_t n) {
        if (n > std::numeric_limits<std::size_t>::max() / sizeof(T)) throw std::bad_array_new_length();
        return static_cast<T*>(BlockPool::shared().allocate(n * sizeof(T)));
    }
    void deallocate(T* p, std::size_t n) noexcept { BlockPool::shared().deallocate(p, n * sizeof(T)); }

    template <class U>
    bool operator==(const BufferAllocator<U>&) const noexcept {
        return true;
    }
};

// A base for classes whose objects are large and live as long as a session (a jitter buffer's
// slots are inline): `new` takes them from the pool too.
struct PoolAllocated {
    static void* operator new(std::size_t bytes) { return BlockPool::shared().allocate(bytes); }
    static void operator delete(void* p, std::size_t bytes) noexcept { BlockPool::shared().deallocate(p, bytes); }
};

// A vector whose storage is a pool block: the media buffers' type.
template <class T>
using PooledVector = std::vector<T, BufferAllocator<T>>;

}  // namespace siperb
