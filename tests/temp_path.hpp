#pragma once
// Test helper: a temporary path that no other test process uses (the suite may
// run twice at once, plain and sanitized).

#include <chrono>
#include <filesystem>
#include <string>

namespace sjmt::test {

inline std::filesystem::path unique_temp(const std::string& name) {
  const auto tick = std::chrono::steady_clock::now().time_since_epoch().count();
  return std::filesystem::temp_directory_path() / (std::to_string(tick) + "_" + name);
}

}  // namespace sjmt::test
