#pragma once
// A training run's output folder: a time-stamped log (log.txt) and the
// settings the runs in it were trained with (settings.json), so that a
// checkpoint is only ever resumed under the settings it was trained with.
//
//   sjmt::run_folder out("runs/table2");
//   out.keep_settings({{"steps", 2500}, {"lr", 0.05}}, fresh);   // throws if they differ
//   out.log("table2-sjmt-resnet8-s1 resuming at step 1200");

#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "../error.hpp"
#include "../io/json.hpp"

namespace sjmt {

class run_folder {
 public:
  /// Creates the folder if needed.
  explicit run_folder(std::filesystem::path path) : m_path(std::move(path)) {
    std::filesystem::create_directories(m_path);
  }

  const std::filesystem::path& path() const { return m_path; }

  /// Appends "<UTC time> <text>" to log.txt. Throws io_error if it cannot.
  void log(const std::string& text) const {
    const std::time_t now = std::time(nullptr);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    std::ofstream out(m_path / "log.txt", std::ios::app);
    out << stamp << ' ' << text << '\n';
    SJMT_CHECK(io_error, out.good(), "cannot append to ", (m_path / "log.txt").string());
  }

  /// Records `settings` in settings.json. Unless `fresh`, a folder that holds
  /// other settings is refused: value_error listing each difference.
  void keep_settings(const nlohmann::json& settings, bool fresh) const {
    const std::filesystem::path file = m_path / "settings.json";
    if (!fresh && std::filesystem::exists(file)) {
      const nlohmann::json before = io::read_json(file);
      std::string diff;
      for (const auto& [k, v] : settings.items())
        if (!before.contains(k) || before[k] != v)
          diff += "\n  " + k + ": " + (before.contains(k) ? before[k].dump() : "absent") + " there, " + v.dump() +
                  " now";
      SJMT_CHECK(value_error, diff.empty(), file.string(),
                 ": this output folder holds runs made with other settings; pass another output folder, or start "
                 "from scratch (--fresh):",
                 diff);
    }
    io::write_json(file, settings);
  }

 private:
  std::filesystem::path m_path;
};

}  // namespace sjmt
