# cmake/package.cmake — `make package`: Debian packages with CPack.
#
#   libjnet0     libjnet.so.0 (component lib); Depends from dpkg-shlibdeps
#                (libc6, libuv1, libpcap0.8); a shlibs file; ldconfig in
#                postinst/postrm
#   libjnet-dev  headers, libjnet.a, jnet.pc, the CMake package (dev);
#                Depends libjnet0 (= version), libuv1-dev, libpcap-dev
#   jnet-tools   jnet-sim, jnet-examples, jnet-sim(1) (tools)
#
# In build/package/, installed under /usr by
# `apt-get install ./build/package/*.deb` (apt resolves libuv1-dev and the
# rest); `make package-test` does that and runs the consumer test on /usr.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME jnet)
set(CPACK_PACKAGE_VENDOR "jnet")
set(CPACK_PACKAGE_CONTACT "jnet maintainers <jnet@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Janet's net/ API for C, on libuv and on a deterministic simulated network")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/package)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL lib dev tools)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_STRIP_FILES ON) # as Debian ships them; smaller and faster to pack

set(CPACK_DEBIAN_LIB_PACKAGE_NAME libjnet0)
set(CPACK_DEBIAN_LIB_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON) # libjnet0 gets a shlibs file
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
set(CPACK_COMPONENT_LIB_DESCRIPTION
    "jnet shared library\nThe API, the libuv backend, the simulated network and the scenario runner.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libjnet-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(jnet_dev_depends "libjnet0 (= ${PROJECT_VERSION}), libuv1-dev")
if(JNET_SIM)
  string(APPEND jnet_dev_depends ", libpcap-dev")
endif()
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "${jnet_dev_depends}")
set(CPACK_COMPONENT_DEV_DESCRIPTION
    "jnet development files\nHeaders (<jnet/jnet.h>...), libjnet.a, jnet.pc and the CMake package (find_package(jnet)).")

set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME jnet-tools)
set(CPACK_DEBIAN_TOOLS_PACKAGE_SECTION net)
set(CPACK_COMPONENT_TOOLS_DESCRIPTION
    "jnet-sim and jnet-examples\nRun scenarios on jnet's deterministic simulated network.")

include(CPack)
