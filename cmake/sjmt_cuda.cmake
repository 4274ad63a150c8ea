# The CUDA backend's build: CUDA 13 (nvcc), cuBLAS from the toolkit, cuDNN 9
# from the toolkit's folders or from the nvidia-cudnn-cu13 Python package
# (machines with PyTorch). Defines sjmt::cuda, an INTERFACE target for
# translation units that include <sjmt/backend/cuda_backend.hpp> (nvcc).
if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
  set(CMAKE_CUDA_ARCHITECTURES 90 CACHE STRING "GPU architectures of the CUDA targets (90: Hopper)")
endif()
enable_language(CUDA)
find_package(CUDAToolkit 12 REQUIRED)

# cuDNN: beside the toolkit, or in a Python environment's nvidia/cudnn.
set(_sjmt_cudnn_hints ${CUDAToolkit_LIBRARY_ROOT} ${CUDAToolkit_TARGET_DIR})
find_package(Python3 COMPONENTS Interpreter QUIET)
if(Python3_Interpreter_FOUND)
  execute_process(COMMAND ${Python3_EXECUTABLE} -c
                  "import nvidia.cudnn, os; print(os.path.dirname(nvidia.cudnn.__file__))"
                  OUTPUT_VARIABLE _sjmt_cudnn_py OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(_sjmt_cudnn_py)
    list(APPEND _sjmt_cudnn_hints ${_sjmt_cudnn_py})
  endif()
endif()
find_path(SJMT_CUDNN_INCLUDE_DIR cudnn.h HINTS ${CUDAToolkit_INCLUDE_DIRS} ${_sjmt_cudnn_hints}
          PATH_SUFFIXES include DOC "Folder holding cudnn.h")
find_library(SJMT_CUDNN_LIBRARY NAMES cudnn libcudnn.so.9 HINTS ${CUDAToolkit_LIBRARY_DIR} ${_sjmt_cudnn_hints}
             PATH_SUFFIXES lib lib64 DOC "cuDNN 9's libcudnn")
if(NOT SJMT_CUDNN_INCLUDE_DIR OR NOT SJMT_CUDNN_LIBRARY)
  message(FATAL_ERROR "sjmt's CUDA backend needs cuDNN 9 (cudnn.h and libcudnn): install it with the CUDA "
                      "toolkit or `pip install nvidia-cudnn-cu13`, pass -DSJMT_CUDNN_INCLUDE_DIR and "
                      "-DSJMT_CUDNN_LIBRARY, or configure with -DSJMT_WITH_CUDA=OFF")
endif()

# sjmt::cuda: what code using sjmt::cuda_backend links (g++ compiles that code;
# the kernels are one nvcc translation unit, sjmt_cuda_kernels below).
add_library(sjmt_cuda INTERFACE)
add_library(sjmt::cuda ALIAS sjmt_cuda)
target_link_libraries(sjmt_cuda INTERFACE sjmt::sjmt CUDA::cudart CUDA::cublas ${SJMT_CUDNN_LIBRARY})
target_include_directories(sjmt_cuda SYSTEM INTERFACE ${SJMT_CUDNN_INCLUDE_DIR})
target_compile_definitions(sjmt_cuda INTERFACE SJMT_WITH_CUDA=1)

# The kernels: <sjmt/backend/cuda_kernels.cuh> in one .cu file, compiled by nvcc.
file(CONFIGURE OUTPUT ${PROJECT_BINARY_DIR}/sjmt_cuda_kernels.cu
     CONTENT "#include <sjmt/backend/cuda_kernels.cuh>\n")
add_library(sjmt_cuda_kernels STATIC ${PROJECT_BINARY_DIR}/sjmt_cuda_kernels.cu)
target_link_libraries(sjmt_cuda_kernels PUBLIC sjmt_cuda)
# CMake 3.25 knows no C++20 dialect flag for nvcc 13: name it directly.
target_compile_options(sjmt_cuda_kernels PRIVATE -std=c++20 --expt-relaxed-constexpr -Xcompiler=-Wall,-Wextra
                                                 $<$<BOOL:${SJMT_WERROR}>:-Werror=all-warnings -Xcompiler=-Werror>)
set_target_properties(sjmt_cuda_kernels PROPERTIES POSITION_INDEPENDENT_CODE ON)
message(STATUS "sjmt CUDA backend: CUDA ${CUDAToolkit_VERSION}, architectures ${CMAKE_CUDA_ARCHITECTURES}, "
               "cuDNN ${SJMT_CUDNN_LIBRARY}")

# sjmt's own targets that use the CUDA backend: the usual flags, sjmt::cuda and the kernels.
function(sjmt_cuda_target_defaults target)
  sjmt_target_defaults(${target})
  target_link_libraries(${target} PRIVATE sjmt_cuda_kernels)
endfunction()
