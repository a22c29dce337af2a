// An owned POSIX file descriptor (RAII) with exact pread/pwrite; errors become WavError
// naming the path and errno's text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace siperb::audio {

class FileHandle {
public:
    FileHandle() = default;
    // flags as for open(2); throws WavError("path", "<path>: <strerror>").
    FileHandle(const std::string& path, int flags, int mode = 0644);
    FileHandle(FileHandle&& o) noexcept : fd_(o.fd_), path_(std::move(o.path_)) { o.fd_ = -1; }
    FileHandle& operator=(FileHandle&& o) noexcept;
    FileHandle(const FileHandle&) = delete;
    FileHandle& operator=(const FileHandle&) = delete;
    ~FileHandle() { close_quietly(); }

    bool is_open() const noexcept { return fd_ >= 0; }
    const std::string& path() const noexcept { return path_; }
    std::uint64_t size() const;
    // Reads as many bytes as the file holds at offset (up to out.size()); returns the count.
    std::size_t pread_some(std::uint64_t offset, std::span<std::uint8_t> out) const;
    void pwrite_all(std::uint64_t offset, std::span<const std::uint8_t> in) const;
    // Closes, reporting a failure (a full disk shows up here on some filesystems).
    void close();

private:
    void close_quietly() noexcept;
    int fd_ = -1;
    std::string path_;
};

}  // namespace siperb::audio
