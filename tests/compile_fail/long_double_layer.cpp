// A layer over long double: the backend concept stops it with a sentence, not deep in xsimd.
// expect: sjmt: the value type T must be float or double. long double and other floating-point types are not supported
#include <sjmt/backend.hpp>
#include <sjmt/nn.hpp>
using namespace sjmt;
#ifdef SJMT_FAILTEST_OK
using T = float;
#else
using T = long double;
#endif
int main() {
  cpu_backend be;
  std::mt19937_64 rng(1);
  linear<cpu_backend, T> layer(be, 4, 2, rng);
  (void)layer;
}
