// Tests of <sjmt/train/interrupt.hpp>: Ctrl-C raises a flag instead of ending the process.
#include <doctest/doctest.h>

#include <csignal>

#include <sjmt/train/interrupt.hpp>

namespace {
volatile std::sig_atomic_t outer_calls = 0;
extern "C" void outer_handler(int) { outer_calls = outer_calls + 1; }
}  // namespace

TEST_CASE("interrupt_guard: SIGINT and SIGTERM raise the flag, the previous handler comes back") {
  std::signal(SIGINT, outer_handler);
  {
    sjmt::interrupt_guard guard;
    CHECK_FALSE(guard.requested());
    std::raise(SIGINT);  // would end the test run without the guard's handler
    CHECK(guard.requested());
    CHECK(guard.signal() == SIGINT);
    CHECK(outer_calls == 0);
  }
  {
    sjmt::interrupt_guard guard;  // a new guard starts lowered
    CHECK_FALSE(guard.requested());
    std::raise(SIGTERM);
    CHECK(guard.signal() == SIGTERM);
  }
  std::raise(SIGINT);  // the handler installed before the guards
  CHECK(outer_calls == 1);
  std::signal(SIGINT, SIG_DFL);
}

TEST_CASE("interrupt_guard: request() acts as a signal would") {
  sjmt::interrupt_guard guard;
  guard.request();
  CHECK(guard.requested());
  CHECK(guard.signal() == SIGINT);
}
