#pragma once
// xsimd, included once for the CPU backend (the loss kernels).
//
// Why the pragma: GCC 12.2 (Debian 12's compiler) reports its own AVX-512
// intrinsics (`__m512 __Y = __Y;` in avx512fintrin.h, used by xsimd's and
// Eigen's AVX-512 code) as "may be used uninitialized" when built with -march=native on an
// AVX-512 machine: GCC bug 105593, fixed in GCC 13. The same
// self-initialised __m512 is reported as "is used uninitialized" where GCC can
// prove the path (-Wuninitialized), so both are suppressed. GCC applies diagnostic
// pragmas by source location, so the suppression must cover the first
// inclusion of <immintrin.h>; it is included here, inside the same push/pop,
// and the warning stays on for every other line. eigen.hpp does the same for
// Eigen, so whichever comes first includes <immintrin.h>. (A program that
// includes <immintrin.h> itself before sjmt, and builds with -Werror on an
// AVX-512 machine with GCC 12.2, needs the same pragma or GCC 13.)

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif
#include <xsimd/xsimd.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
