# Install rules: headers, the exported INTERFACE target and a package config,
# so that find_package(sjmt CONFIG REQUIRED) works on the installed tree.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS sjmt EXPORT sjmtTargets)
install(EXPORT sjmtTargets NAMESPACE sjmt:: DESTINATION ${CMAKE_INSTALL_DATADIR}/cmake/sjmt)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/sjmtConfig.cmake.in
  ${PROJECT_BINARY_DIR}/sjmtConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_DATADIR}/cmake/sjmt)
# Header-only and architecture-independent: any build of the same version fits.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/sjmtConfigVersion.cmake
  COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
install(FILES ${PROJECT_BINARY_DIR}/sjmtConfig.cmake ${PROJECT_BINARY_DIR}/sjmtConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_DATADIR}/cmake/sjmt)
