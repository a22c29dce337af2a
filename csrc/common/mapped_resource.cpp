#include "common/mapped_resource.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <new>

namespace siperb {

namespace {
std::size_t whole_pages(std::size_t bytes) {
    static const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    return (bytes + page - 1) / page * page;
}
}  // namespace

void* MappedResource::do_allocate(std::size_t bytes, std::size_t alignment) {
    const std::size_t size = whole_pages(bytes == 0 ? 1 : bytes);
    if (alignment > whole_pages(1)) throw std::bad_alloc();  // pages are as aligned as it gets
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    mapped_ += size;
    return p;
}

void MappedResource::do_deallocate(void* p, std::size_t bytes, std::size_t) {
    const std::size_t size = whole_pages(bytes == 0 ? 1 : bytes);
    ::munmap(p, size);
    mapped_ -= size;
}

}  // namespace siperb
