#pragma once
// JSON files through nlohmann::json: read whole, written atomically
// (atomic_file.hpp), indented by two spaces with a final newline.
//
//   sjmt::io::write_json("runs/settings.json", {{"steps", 1000}});
//   nlohmann::json j = sjmt::io::read_json("runs/settings.json");
//
// Errors: io_error naming the path, for a file that cannot be read or written,
// text that is not JSON, or a value that cannot be written (a string that is
// not UTF-8). No nlohmann exception escapes.

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "../error.hpp"
#include "atomic_file.hpp"

namespace sjmt::io {

/// Replaces the file at `path` by `j`, atomically. Throws io_error.
inline void write_json(const std::filesystem::path& path, const nlohmann::json& j) {
  std::string text;
  try {
    text = j.dump(2);
  } catch (const nlohmann::json::exception& e) {
    detail::throw_error<io_error>(std::source_location::current(), "cannot write '", path.string(),
                                  "': the value is not writable as JSON: ", e.what());
  }
  text.push_back('\n');
  write_file_atomic(path, text);
}

/// The JSON value in the file at `path`. Throws io_error.
inline nlohmann::json read_json(const std::filesystem::path& path) {
  const std::string text = read_file(path);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    detail::throw_error<io_error>(std::source_location::current(), "cannot read '", path.string(),
                                  "': not valid JSON: ", e.what());
  }
}

}  // namespace sjmt::io
