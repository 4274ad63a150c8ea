# OpenCV, for the checks and examples that use it, never for the library: the
# ONNX export is verified with its DNN module (tests/test_deploy_onnx.cpp), the
# photo command detects faces with its Haar cascades (examples/photos.cpp).
# Debian's module packages (libopencv-dnn-dev, libopencv-objdetect-dev; what
# scripts/setup installs) ship no CMake package, so the headers and libraries
# are looked up directly where OpenCV's own config is absent.
#
# Defines, where found, the imported target sjmt::opencv_dnn (core + dnn) and
# sjmt::opencv_objdetect (core + imgproc + objdetect), and the variable
# SJMT_OPENCV_HAARCASCADES (the folder of haarcascade_frontalface_default.xml, from opencv-data).

find_path(SJMT_OPENCV_INCLUDE_DIR opencv2/core.hpp PATH_SUFFIXES opencv4)
foreach(module core imgproc dnn objdetect)
  find_library(SJMT_OPENCV_${module}_LIBRARY opencv_${module})
endforeach()
find_path(SJMT_OPENCV_HAARCASCADES haarcascade_frontalface_default.xml
          PATHS /usr/share/opencv4/haarcascades /usr/share/opencv/haarcascades /usr/local/share/opencv4/haarcascades
          NO_DEFAULT_PATH)

function(_sjmt_opencv_target name)
  set(libraries)
  foreach(module IN LISTS ARGN)
    if(NOT SJMT_OPENCV_${module}_LIBRARY OR NOT EXISTS "${SJMT_OPENCV_INCLUDE_DIR}/opencv2/${module}.hpp")
      message(STATUS "sjmt: OpenCV ${module} not found: sjmt::opencv_${name} is not defined")
      return()
    endif()
    list(APPEND libraries ${SJMT_OPENCV_${module}_LIBRARY})
  endforeach()
  add_library(sjmt_opencv_${name} INTERFACE IMPORTED GLOBAL)
  # SYSTEM: OpenCV's headers are not held to our warnings.
  set_target_properties(sjmt_opencv_${name} PROPERTIES INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${SJMT_OPENCV_INCLUDE_DIR}"
                                                     INTERFACE_INCLUDE_DIRECTORIES "${SJMT_OPENCV_INCLUDE_DIR}"
                                                     INTERFACE_LINK_LIBRARIES "${libraries}")
  add_library(sjmt::opencv_${name} ALIAS sjmt_opencv_${name})
  message(STATUS "sjmt: OpenCV ${ARGN} found (${SJMT_OPENCV_INCLUDE_DIR})")
endfunction()

if(SJMT_OPENCV_INCLUDE_DIR)
  _sjmt_opencv_target(dnn core dnn)
  _sjmt_opencv_target(objdetect core imgproc objdetect)
else()
  message(STATUS "sjmt: OpenCV not found (apt-get install libopencv-dnn-dev libopencv-objdetect-dev): "
                 "the OpenCV checks of the ONNX export and face detection in the photo command are left out")
endif()
