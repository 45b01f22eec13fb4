#include "hybridscope/core/file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "hybridscope/core/error.hpp"

namespace hybridscope {

namespace {

std::string partial_name(const std::string& path) {
  const std::filesystem::path p(path);
  return (p.parent_path() / fmt::format(".{}.partial-{}", p.filename().string(), ::getpid())).string();
}

}  // namespace

void refuse_existing(const std::string& path) {
  std::error_code ignored;
  if (std::filesystem::exists(std::filesystem::symlink_status(path, ignored)))
    throw InputError(fmt::format("output '{}' exists (accepted: a new path; remove it first)", path));
}

int move_without_replacing(const std::string& from, const std::string& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL) return errno;
  // File systems without RENAME_NOREPLACE: a hard link fails just as surely on an existing name.
  if (::link(from.c_str(), to.c_str()) != 0) return errno;
  ::unlink(from.c_str());
  return 0;
}

NewFile::NewFile(std::string path, bool replace)
    : path_(std::move(path)), partial_(partial_name(path_)), replace_(replace) {
  if (!replace_) refuse_existing(path_);
  // 0664 less the umask: the user's umask decides, but a umask of 0 does not make it world-writable.
  const int fd = ::open(partial_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0664);
  if (fd < 0) throw Error(fmt::format("cannot create '{}': {}", partial_, std::strerror(errno)));
  out_ = ::fdopen(fd, "w");
  if (!out_) {
    ::close(fd);
    ::unlink(partial_.c_str());
    throw Error(fmt::format("cannot write '{}': {}", partial_, std::strerror(errno)));
  }
}

NewFile::~NewFile() {
  if (out_) std::fclose(out_);
  if (!partial_.empty()) ::unlink(partial_.c_str());
}

void NewFile::commit() {
  const bool written = std::fflush(out_) == 0 && !std::ferror(out_);
  const int error = errno;
  const bool closed = std::fclose(out_) == 0;
  out_ = nullptr;
  if (!written || !closed)
    throw Error(fmt::format("cannot write '{}': {}", path_, std::strerror(written ? errno : error)));
  const int failed = replace_ ? (::rename(partial_.c_str(), path_.c_str()) == 0 ? 0 : errno)
                              : move_without_replacing(partial_, path_);
  if (failed)
    throw Error(fmt::format("cannot move '{}' to '{}': {}", partial_, path_, std::strerror(failed)));
  partial_.clear();
}

void write_new_file(const std::string& path, const std::string& text, bool replace) {
  NewFile file(path, replace);
  std::fwrite(text.data(), 1, text.size(), file.stream());
  file.commit();
}

}  // namespace hybridscope
