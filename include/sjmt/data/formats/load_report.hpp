#pragma once
// What a loader did: how many records it loaded, and, in skip-bad mode, which records
// it skipped and why, and how many it left out as asked. Nothing is lost: for every
// loader, loaded + skipped + filtered is the number of records in the input. Without
// skip-bad, the first bad record throws instead.

#include <cstddef>
#include <source_location>
#include <sstream>
#include <string>
#include <vector>

#include "../../error.hpp"
#include "../sample.hpp"

namespace sjmt::data {

struct load_options {
  bool skip_bad = false;  ///< count and report bad records instead of throwing
};

struct load_report {
  std::size_t loaded = 0;
  std::size_t skipped = 0;
  std::size_t filtered = 0;  ///< records left out as asked (fer2013_options::usage, ckplus_options::labelled_only)
  std::vector<std::string> problems;  ///< "file:line: what", one per skipped record

  std::string summary() const {
    std::ostringstream out;
    out << loaded << " loaded, " << skipped << " skipped";
    if (filtered) out << ", " << filtered << " filtered";
    for (const std::string& p : problems) out << "\n  " << p;
    return out.str();
  }
};

/// A loaded dataset: its faces and the report.
struct loaded_faces {
  std::vector<labelled_face> faces;
  load_report report;
};

}  // namespace sjmt::data

namespace sjmt::detail {

/// A bad record at `where` ("file:line"): throws Error, or in skip-bad mode records it.
template <class Error, class... Parts>
void bad_record(const data::load_options& o, data::load_report& r, const std::string& where,
                std::source_location loc, const Parts&... parts) {
  std::ostringstream msg;
  msg << where << ": ";
  (msg << ... << parts);
  if (!o.skip_bad) throw Error(msg.str(), loc);
  ++r.skipped;
  r.problems.push_back(msg.str());
}

}  // namespace sjmt::detail
