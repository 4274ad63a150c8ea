#pragma once
// Build-wide switches and annotations. The only place that knows whether a
// translation unit is compiled by nvcc, so that the compile-time label algebra
// builds and is tested with g++ alone.

#if defined(__CUDACC__)
#define SJMT_HOST_DEVICE __host__ __device__
#else
#define SJMT_HOST_DEVICE
#endif

#define SJMT_VERSION_MAJOR 0
#define SJMT_VERSION_MINOR 1
#define SJMT_VERSION_PATCH 0
#define SJMT_VERSION_STRING "0.1.0"
