#pragma once
// Writing a file so that a reader never sees half of it: the contents go to a
// temporary file in the same folder, are flushed to disk, and the temporary is
// renamed over the target (atomic on POSIX file systems). On any failure the
// temporary is removed and an io_error names the path and the reason.
//
//   sjmt::io::write_file_atomic("runs/a.md", text);
//   std::string again = sjmt::io::read_file("runs/a.md");

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <system_error>

#if __has_include(<unistd.h>)
#include <unistd.h>
#endif

#include "../error.hpp"

namespace sjmt::detail {

inline std::filesystem::path temporary_sibling(const std::filesystem::path& path) {
  static std::atomic<unsigned long> counter{0};
  long pid = 0;
#if __has_include(<unistd.h>)
  pid = static_cast<long>(::getpid());
#endif
  // Appended piece by piece: GCC 12 warns (-Wrestrict, a false positive) on "literal" + std::string&&.
  std::string name = ".";
  name += path.filename().string();
  name += ".tmp.";
  name += std::to_string(pid);
  name += '.';
  name += std::to_string(counter.fetch_add(1));
  std::filesystem::path tmp = path;
  tmp.replace_filename(name);
  return tmp;
}

}  // namespace sjmt::detail

namespace sjmt::io {

/// Replaces the file at `path` by `contents`, atomically. Throws io_error.
inline void write_file_atomic(const std::filesystem::path& path, std::string_view contents) {
  SJMT_CHECK(io_error, !path.filename().empty(), "write_file_atomic: '", path.string(),
             "' names no file");
  const std::filesystem::path tmp = detail::temporary_sibling(path);
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  SJMT_CHECK(io_error, f != nullptr, "cannot write '", path.string(), "': cannot create '",
             tmp.string(), "': ", std::strerror(errno));
  bool ok = std::fwrite(contents.data(), 1, contents.size(), f) == contents.size();
  ok = std::fflush(f) == 0 && ok;
#if __has_include(<unistd.h>)
  ok = ::fsync(::fileno(f)) == 0 && ok;
#endif
  const int saved = errno;
  ok = std::fclose(f) == 0 && ok;
  std::error_code ec;
  if (!ok) {
    std::filesystem::remove(tmp, ec);
    detail::throw_error<io_error>(std::source_location::current(), "cannot write '", path.string(),
                                  "': ", std::strerror(saved != 0 ? saved : errno));
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    detail::throw_error<io_error>(std::source_location::current(), "cannot write '", path.string(),
                                  "': renaming '", tmp.string(), "' over it failed: ", ec.message());
  }
}

/// The whole contents of a file. Throws io_error naming the path.
inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  SJMT_CHECK(io_error, in.good(), "cannot read '", path.string(), "': ", std::strerror(errno));
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  SJMT_CHECK(io_error, !in.bad(), "cannot read '", path.string(), "': read error");
  return s;
}

}  // namespace sjmt::io
