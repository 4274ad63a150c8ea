#pragma once
// A terminal progress bar: count, percentage, rate, elapsed time and time left.
//
// On a terminal it redraws one line in place ('\r', at most every
// min_interval_s); elsewhere (a log file, a pipe, CI) it writes a plain line
// every plain_interval_s and a last one at the end, so logs stay readable.
//
//   sjmt::progress_options o;
//   o.label = "train";
//   sjmt::progress_bar bar(stderr, steps, o);        // detects a TTY
//   for (std::size_t s = 0; s < steps; ++s) { ...; bar.advance(); }
//   bar.finish();
//
//   train [############------------------]  400/1000  40.0%  25.1 it/s  elapsed 00:16  left 00:24
//
// rate = (done - done at construction) / elapsed; left = (total - done) / rate.
// total = 0 means unknown: no bar, percentage or time left.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

#if __has_include(<unistd.h>)
#include <unistd.h>
#endif

namespace sjmt {

struct progress_options {
  std::string label;                ///< printed first, e.g. "train"
  std::string unit = "it";          ///< rate unit, e.g. "it", "img"
  std::size_t bar_width = 30;       ///< characters between the brackets
  double min_interval_s = 0.1;      ///< terminal: least time between redraws
  double plain_interval_s = 10.0;   ///< not a terminal: time between lines
  std::size_t start = 0;            ///< steps already done (a resumed run)
};

}  // namespace sjmt

namespace sjmt::detail {

/// "MM:SS", or "H:MM:SS" from one hour, or "--:--" when unknown.
inline std::string clock_text(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  const long s = std::lround(seconds);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%02ld:%02ld", s / 60, s % 60);
  return buf;
}

inline bool is_terminal(std::FILE* f) {
#if __has_include(<unistd.h>)
  return f != nullptr && ::isatty(::fileno(f)) == 1;
#else
  (void)f;
  return false;
#endif
}

}  // namespace sjmt::detail

namespace sjmt {

class progress_bar {
 public:
  using sink = std::function<void(std::string_view)>;

  /// Writes to `out`; `terminal` says whether it is a TTY (a stream cannot tell).
  progress_bar(std::ostream& out, std::size_t total, bool terminal, progress_options options = {})
      : progress_bar([&out](std::string_view s) { out << s << std::flush; }, total, terminal,
                     std::move(options)) {}

  /// Writes to `f` (stderr, stdout, a log file); a TTY is detected with isatty.
  progress_bar(std::FILE* f, std::size_t total, progress_options options = {})
      : progress_bar(
            [f](std::string_view s) {
              std::fwrite(s.data(), 1, s.size(), f);
              std::fflush(f);
            },
            total, detail::is_terminal(f), std::move(options)) {}

  progress_bar(sink write, std::size_t total, bool terminal, progress_options options = {})
      : m_write(std::move(write)),
        m_total(total),
        m_terminal(terminal),
        m_options(std::move(options)),
        m_done(m_options.start),
        m_begin(std::chrono::steady_clock::now()) {}

  progress_bar(const progress_bar&) = delete;
  progress_bar& operator=(const progress_bar&) = delete;

  ~progress_bar() {
    if (m_terminal && m_drawn && !m_finished) {
      try {
        m_write("\n");
      } catch (...) {
      }
    }
  }

  std::size_t done() const { return m_done; }
  bool terminal() const { return m_terminal; }

  /// Seconds since construction.
  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - m_begin).count();
  }

  void advance(std::size_t n = 1) { update(m_done + n); }
  void update(std::size_t done) { update(done, elapsed()); }

  /// `done` steps after `elapsed_s` seconds (an explicit clock: tests, replays).
  void update(std::size_t done, double elapsed_s) {
    m_done = done;
    const bool complete = m_total > 0 && done >= m_total;
    if (m_terminal) {
      if (m_drawn && !complete && elapsed_s - m_last_draw < m_options.min_interval_s) return;
      draw_in_place(line(done, elapsed_s));
    } else {
      if (complete ? m_printed_complete
                   : m_drawn && elapsed_s - m_last_draw < m_options.plain_interval_s)
        return;
      m_write(line(done, elapsed_s).append("\n"));
      m_printed_complete = complete;
    }
    m_drawn = true;
    m_last_draw = elapsed_s;
  }

  /// The last state, drawn once more, and the line ended.
  void finish() { finish(elapsed()); }
  void finish(double elapsed_s) {
    if (m_finished) return;
    if (m_terminal) {
      draw_in_place(line(m_done, elapsed_s));
      m_write("\n");
    } else if (!m_printed_complete) {
      m_write(line(m_done, elapsed_s).append("\n"));
    }
    m_finished = true;
  }

  /// The status text for `done` steps after `elapsed_s` seconds.
  std::string line(std::size_t done, double elapsed_s) const {
    std::string s = m_options.label;
    if (!s.empty()) s.push_back(' ');
    char buf[128];
    if (m_total > 0) {
      const double frac = std::min(1.0, double(done) / double(m_total));
      const auto fill = static_cast<std::size_t>(frac * double(m_options.bar_width));
      s.push_back('[');
      s.append(fill, '#').append(m_options.bar_width - fill, '-').append("] ");
      std::snprintf(buf, sizeof buf, "%zu/%zu %5.1f%%", done, m_total, 100.0 * frac);
    } else {
      std::snprintf(buf, sizeof buf, "%zu", done);
    }
    s += buf;
    const double steps = double(done >= m_options.start ? done - m_options.start : 0);
    const double rate = elapsed_s > 0 ? steps / elapsed_s : 0.0;
    if (elapsed_s > 0)
      std::snprintf(buf, sizeof buf, "  %.1f %s/s", rate, m_options.unit.c_str());
    else
      std::snprintf(buf, sizeof buf, "  -- %s/s", m_options.unit.c_str());
    s += buf;
    s.append("  elapsed ").append(detail::clock_text(elapsed_s));
    if (m_total > 0) {
      const double left = done >= m_total ? 0.0 : rate > 0 ? double(m_total - done) / rate : NAN;
      s.append("  left ").append(detail::clock_text(left));
    }
    return s;
  }

 private:
  void draw_in_place(const std::string& text) {
    std::string out(1, '\r');
    out.append(text);
    if (text.size() < m_last_width) out.append(m_last_width - text.size(), ' ');
    m_last_width = text.size();
    m_write(out);
  }

  sink m_write;
  std::size_t m_total;
  bool m_terminal;
  progress_options m_options;
  std::size_t m_done;
  std::chrono::steady_clock::time_point m_begin;
  bool m_drawn = false;
  bool m_finished = false;
  bool m_printed_complete = false;
  double m_last_draw = 0;
  std::size_t m_last_width = 0;
};

}  // namespace sjmt

// Transition: the progress bar used to live in metrics/.
namespace sjmt::metrics {
using sjmt::progress_bar;
using sjmt::progress_options;
}  // namespace sjmt::metrics
