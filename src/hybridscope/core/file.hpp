#pragma once
// Files that hybridscope writes: they appear under their name only when complete, never replace a
// file the user already has, follow the umask and are never world-writable.
#include <cstdio>
#include <string>

namespace hybridscope {

// Throws InputError naming `path` when something exists there.
void refuse_existing(const std::string& path);

// Renames `from` to `to`, failing with EEXIST instead of replacing a file at `to` (also one that
// appeared a moment ago). Returns 0 or an errno value.
int move_without_replacing(const std::string& from, const std::string& to);

// A file written as ".NAME.partial-PID" beside `path`, moved to `path` by commit(); removed if it is
// destroyed uncommitted (an exception, a failed write). With `replace` (a command's --force) it
// replaces a file at `path`; without, it never does.
class NewFile {
 public:
  explicit NewFile(std::string path, bool replace = false);  // InputError: `path` exists; Error: cannot create
  NewFile(const NewFile&) = delete;
  NewFile& operator=(const NewFile&) = delete;
  ~NewFile();

  std::FILE* stream() { return out_; }
  void commit();  // Error: a write, the close or the move failed

 private:
  std::string path_;
  std::string partial_;
  bool replace_ = false;
  std::FILE* out_ = nullptr;
};

// Writes `text` to a new file at `path` through NewFile.
void write_new_file(const std::string& path, const std::string& text, bool replace = false);

}  // namespace hybridscope
