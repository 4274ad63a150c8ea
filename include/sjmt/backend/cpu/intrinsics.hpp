#pragma once
// <immintrin.h>, included first by every CPU-backend header that brings in
// SIMD libraries (Eigen, xsimd), before those libraries.
//
// Why: GCC 12.2 (Debian 12's compiler) reports its own AVX-512 intrinsics
// (`__m512 __Y = __Y;` in avx512fintrin.h, used by Eigen's and xsimd's AVX-512
// code) as "may be used uninitialized" (and as "is used uninitialized" where it
// can prove the path) when built with -march=native on an AVX-512 machine: GCC
// bug 105593, fixed in GCC 13. GCC applies diagnostic pragmas by source
// location, and those warnings are located in avx512fintrin.h, so suppressing
// them around the first inclusion of <immintrin.h> covers every later use;
// the warnings stay on for every other line. (A program that includes
// <immintrin.h> itself before sjmt, and builds with -Werror on an AVX-512
// machine with GCC 12.2, needs the same pragma or GCC 13.)

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
