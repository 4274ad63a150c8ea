#pragma once
// stb_image and stb_image_write with static linkage and prefixed names, so that
// every translation unit gets its own private copy: no ODR clash with a user's own
// stb implementation, and nothing to compile separately (sjmt is header-only).

#define STBI_NO_THREAD_LOCALS
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define stbi_load sjmt_stbi_load
#define stbi_failure_reason sjmt_stbi_failure_reason
#define stbi_image_free sjmt_stbi_image_free
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#pragma GCC diagnostic ignored "-Wdouble-promotion"
#pragma GCC diagnostic ignored "-Wconversion"
#endif
#include <stb/stb_image.h>
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define stbi_write_png sjmt_stbi_write_png
#define stbi_write_jpg sjmt_stbi_write_jpg
#include <stb/stb_image_write.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
#undef stbi_load
#undef stbi_failure_reason
#undef stbi_image_free
#undef stbi_write_png
#undef stbi_write_jpg
