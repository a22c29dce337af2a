// A memory resource that takes each allocation straight from the kernel (mmap) and gives it
// straight back (munmap). Under a std::pmr pool it keeps a table's memory out of the C
// allocator's heaps: what a burst grew the table to goes back to the system once the pool is
// released, whatever else the process allocated in between (the heap's pages stay pinned by
// the allocations made around a burst's, issue 17).
#pragma once

#include <cstddef>
#include <memory_resource>

namespace siperb {

class MappedResource final : public std::pmr::memory_resource {
public:
    std::size_t mapped() const noexcept { return mapped_; }  // bytes mapped now

private:
    void* do_allocate(std::size_t bytes, std::size_t alignment) override;
    void do_deallocate(void* p, std::size_t bytes, std::size_t alignment) override;
    bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
        return this == &other;
    }
    std::size_t mapped_ = 0;
};

}  // namespace siperb
