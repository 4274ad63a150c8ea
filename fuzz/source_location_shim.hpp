#pragma once
// Fuzz builds only (scripts/fuzz, force-included with -include): clang 14 with
// libstdc++ 12 has no std::source_location (it needs __builtin_source_location, from
// clang 15), which sjmt's errors carry. This supplies one from clang's __builtin_FILE
// and __builtin_LINE when, and only when, the standard library did not. Never used by
// the g++ builds, where <source_location> is complete.
#include <source_location>
#if !defined(__cpp_lib_source_location)
#include <cstdint>
namespace std {
struct source_location {
  static constexpr source_location current(const char* file = __builtin_FILE(),
                                           const char* function = __builtin_FUNCTION(),
                                           uint_least32_t line = __builtin_LINE()) noexcept {
    source_location s;
    s.m_file = file;
    s.m_function = function;
    s.m_line = line;
    return s;
  }
  constexpr const char* file_name() const noexcept { return m_file; }
  constexpr const char* function_name() const noexcept { return m_function; }
  constexpr uint_least32_t line() const noexcept { return m_line; }
  constexpr uint_least32_t column() const noexcept { return 0; }

 private:
  const char* m_file = "";
  const char* m_function = "";
  uint_least32_t m_line = 0;
};
}  // namespace std
#endif
