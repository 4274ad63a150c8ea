// A consumer's translation unit that owns stb's implementation, as stb asks (one TU
// defines STB_IMAGE_IMPLEMENTATION), and includes it before sjmt: both must compile,
// and both implementations must link into one program (issue 11, item 2).
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

#include <sjmt/data.hpp>

#include "user_stb.hpp"

namespace sjmt::test {

unsigned char* user_load(const char* path, int* w, int* h, int* n, int channels) {
  return stbi_load(path, w, h, n, channels);
}
const char* user_failure_reason() { return stbi_failure_reason(); }
void user_free(unsigned char* data) { stbi_image_free(data); }

}  // namespace sjmt::test
