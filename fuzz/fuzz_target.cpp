// libFuzzer entry for one target, chosen with -DSJMT_FUZZ_TARGET=<name> (scripts/fuzz).
#include "targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return sjmt::fuzz::SJMT_FUZZ_TARGET(data, size);
}
