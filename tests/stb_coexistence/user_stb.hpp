#pragma once
// The consumer's own stb, reached through its implementation TU.
namespace sjmt::test {
unsigned char* user_load(const char* path, int* w, int* h, int* n, int channels);
const char* user_failure_reason();
void user_free(unsigned char* data);
}  // namespace sjmt::test
