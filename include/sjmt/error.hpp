#pragma once
// Errors of the second tier (STYLE.md 12): bad user data or shapes. Always on,
// never compiled out; each carries the source location of the check and a
// message that names the argument, the value and what was expected.

#include <source_location>
#include <sstream>
#include <stdexcept>
#include <string>

namespace sjmt {

/// Base of every exception sjmt throws.
class error : public std::runtime_error {
 public:
  error(const std::string& what, std::source_location where)
      : std::runtime_error(what + " [" + where.file_name() + ":" + std::to_string(where.line()) + "]"),
        m_where(where) {}
  const std::source_location& where() const noexcept { return m_where; }

 private:
  std::source_location m_where;
};

/// A tensor or span has the wrong shape or size.
class shape_error : public error {
  using error::error;
};

/// A value is out of its domain: an index out of range, a label that is not 0/1.
class value_error : public error {
  using error::error;
};

/// A file could not be read or written, or its contents are malformed.
class io_error : public error {
  using error::error;
};

namespace detail {

template <class Error, class... Parts>
[[noreturn, gnu::cold, gnu::noinline]] void throw_error(std::source_location where,
                                                       const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  throw Error(out.str(), where);
}

}  // namespace detail
}  // namespace sjmt

/// Always-on check: if `cond` is false, throws `Error` built from the streamed
/// message parts, e.g. SJMT_CHECK(shape_error, n == m, "logits: ", n, " rows, expected ", m).
#define SJMT_CHECK(Error, cond, ...)                                                   \
  do {                                                                                 \
    if (!(cond)) [[unlikely]]                                                          \
      ::sjmt::detail::throw_error<::sjmt::Error>(std::source_location::current(),      \
                                                 __VA_ARGS__);                         \
  } while (0)
