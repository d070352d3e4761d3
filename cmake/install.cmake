# cmake/install.cmake — what `cmake --install` (make install) puts where, and
# the CMake package and pkg-config file that find it again.
#
#   lib/libjnet.a, lib/libjnet.so.0.2.0 (SONAME libjnet.so.0), libjnet.so
#   include/jnet/*.h                the public headers and jnet_config.h
#   lib/pkgconfig/jnet.pc           prefix relative to ${pcfiledir}
#   lib/cmake/jnet/                 jnetConfig.cmake, jnetConfigVersion.cmake,
#                                   jnetTargets*.cmake: jnet::jnet (shared)
#                                   and jnet::jnet_static
#   bin/jnet-sim, bin/jnet-examples (tools/), share/man/man1/jnet-sim.1 (man/)
#
# Components (CPack's packages, cmake/package.cmake): lib (the shared
# library), dev (headers, static library, .pc, CMake package), tools.
include(CMakePackageConfigHelpers)

set(JNET_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/jnet)

install(TARGETS jnet_shared EXPORT jnetTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT lib
                NAMELINK_COMPONENT dev)
install(TARGETS jnet EXPORT jnetTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)

set(jnet_headers jnet.h jnet_errno.h jnet_backend.h jnet_test.h
    jnet_history.h jnet_faults.h)
if(JNET_SIM)
  # jnet_faults.h names jnet_link_params (jnet_sim.h)
  list(APPEND jnet_headers jnet_sim.h jnet_scenario.h jnet_faults.h)
endif()
list(TRANSFORM jnet_headers PREPEND ${CMAKE_SOURCE_DIR}/include/jnet/)
install(FILES ${jnet_headers} ${CMAKE_BINARY_DIR}/include/jnet/jnet_config.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/jnet COMPONENT dev)

# jnet.pc: prefix is found from the .pc file's own place, so the file is
# right under any --prefix or DESTDIR.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(JNET_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  string(REGEX REPLACE "[^/]+" ".." up "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
  set(JNET_PC_PREFIX "\${pcfiledir}/${up}")
endif()
set(JNET_PC_REQUIRES "libuv")
if(JNET_SIM)
  string(APPEND JNET_PC_REQUIRES " libpcap")
endif()
configure_file(${CMAKE_SOURCE_DIR}/jnet.pc.in ${CMAKE_BINARY_DIR}/jnet.pc
               @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/jnet.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)

# The CMake package.
install(EXPORT jnetTargets NAMESPACE jnet:: DESTINATION ${JNET_CMAKE_DIR}
        COMPONENT dev)
configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/jnetConfig.cmake.in
  ${CMAKE_BINARY_DIR}/jnetConfig.cmake INSTALL_DESTINATION ${JNET_CMAKE_DIR})
# 0.x: a minor release may break the API, so 0.2 accepts 0.2.* only.
write_basic_package_version_file(${CMAKE_BINARY_DIR}/jnetConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/jnetConfig.cmake
              ${CMAKE_BINARY_DIR}/jnetConfigVersion.cmake
        DESTINATION ${JNET_CMAKE_DIR} COMPONENT dev)

# A system prefix: refresh the dynamic linker's cache, or the first program
# fails with "libjnet.so.0: cannot open shared object file". Not under
# DESTDIR (a staged install, a package build) nor for a private prefix.
install(CODE [[
  if("$ENV{DESTDIR}" STREQUAL "" AND
     CMAKE_INSTALL_PREFIX MATCHES "^/usr(/local)?/?$")
    find_program(JNET_LDCONFIG ldconfig PATHS /sbin /usr/sbin)
    if(JNET_LDCONFIG)
      message(STATUS "Running: ${JNET_LDCONFIG}")
      execute_process(COMMAND ${JNET_LDCONFIG} RESULT_VARIABLE rc)
      if(NOT rc EQUAL 0)
        message(WARNING "ldconfig failed (not root?): run `sudo ldconfig`")
      endif()
    endif()
  endif()
]] COMPONENT lib)
