#pragma once
// Ctrl-C for training loops: while an interrupt_guard lives, SIGINT and SIGTERM
// only raise a flag, which the loop polls between steps, so that it can write a
// valid checkpoint and stop. A second signal ends the process at once (the
// handlers are back to the default after the first); a checkpoint being written
// then is a temporary file, never a half-written checkpoint.
//
//   sjmt::interrupt_guard guard;
//   for (std::size_t step = start; step < steps; ++step) {
//     if (guard.requested()) { save(step); return; }
//     train_one_step();
//   }

#include <atomic>
#include <csignal>

namespace sjmt::detail {

inline std::atomic<int>& interrupt_signal() {
  static std::atomic<int> signal{0};
  return signal;
}

extern "C" inline void interrupt_handler(int s) {
  interrupt_signal().store(s, std::memory_order_relaxed);
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

}  // namespace sjmt::detail

namespace sjmt {

static_assert(std::atomic<int>::is_always_lock_free, "sjmt::interrupt_guard needs a lock-free flag for its signal handler");

class interrupt_guard {
 public:
  interrupt_guard() {
    detail::interrupt_signal().store(0);
    m_int = std::signal(SIGINT, detail::interrupt_handler);
    m_term = std::signal(SIGTERM, detail::interrupt_handler);
  }
  ~interrupt_guard() {
    std::signal(SIGINT, m_int == SIG_ERR ? SIG_DFL : m_int);
    std::signal(SIGTERM, m_term == SIG_ERR ? SIG_DFL : m_term);
  }
  interrupt_guard(const interrupt_guard&) = delete;
  interrupt_guard& operator=(const interrupt_guard&) = delete;

  /// Whether SIGINT or SIGTERM arrived since construction (or since request()).
  bool requested() const { return detail::interrupt_signal().load(std::memory_order_relaxed) != 0; }
  /// The signal that arrived, 0 if none.
  int signal() const { return detail::interrupt_signal().load(std::memory_order_relaxed); }
  /// Raises the flag as a signal would (tests; a run told to stop after some steps).
  void request(int s = SIGINT) { detail::interrupt_signal().store(s, std::memory_order_relaxed); }

 private:
  using handler = void (*)(int);
  handler m_int = SIG_DFL, m_term = SIG_DFL;
};

}  // namespace sjmt
