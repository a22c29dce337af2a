// POSIX file I/O behind RAII.
#include "audio/file_handle.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "common/error.hpp"

namespace siperb::audio {
namespace {

[[noreturn]] void fail(const std::string& path, const char* what) {
    throw WavError("path", path + ": " + what + ": " + std::strerror(errno));
}

}  // namespace

FileHandle::FileHandle(const std::string& path, int flags, int mode) : path_(path) {
    fd_ = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    if (fd_ < 0) fail(path, "open");
}

FileHandle& FileHandle::operator=(FileHandle&& o) noexcept {
    if (this != &o) {
        close_quietly();
        fd_ = std::exchange(o.fd_, -1);
        path_ = std::move(o.path_);
    }
    return *this;
}

std::uint64_t FileHandle::size() const {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) fail(path_, "stat");
    if (!S_ISREG(st.st_mode)) throw WavError("path", path_ + ": not a regular file");
    return static_cast<std::uint64_t>(st.st_size);
}

std::size_t FileHandle::pread_some(std::uint64_t offset, std::span<std::uint8_t> out) const {
    std::size_t done = 0;
    while (done < out.size()) {
        const ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR) continue;
            fail(path_, "read");
        }
        if (n == 0) break;
        done += static_cast<std::size_t>(n);
    }
    return done;
}

void FileHandle::pwrite_all(std::uint64_t offset, std::span<const std::uint8_t> in) const {
    std::size_t done = 0;
    while (done < in.size()) {
        const ssize_t n = ::pwrite(fd_, in.data() + done, in.size() - done, static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR) continue;
            fail(path_, "write");
        }
        done += static_cast<std::size_t>(n);
    }
}

void FileHandle::close() {
    if (fd_ < 0) return;
    const int fd = std::exchange(fd_, -1);
    if (::close(fd) != 0) fail(path_, "close");
}

void FileHandle::close_quietly() noexcept {
    if (fd_ >= 0) ::close(std::exchange(fd_, -1));
}

}  // namespace siperb::audio
