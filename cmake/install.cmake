# Installs libmcpp as a CMake package (find_package(mcpp): mcpp::server, mcpp::client,
# mcpp::transport, mcpp::auth, mcpp::mcpp for all of them), a pkg-config file (mcpp.pc), the
# public headers and the mcpp binary; `cpack -G DEB` in the build directory makes a .deb of it.
include(CMakePackageConfigHelpers)

set(MCPP_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/mcpp)

# The layer libraries are static: mcpp::auth links mcpp::transport links mcpp::server ..., so
# every layer below an installed one is installed too (their private headers are not).
install(TARGETS mcpp_boost ${MCPP_INSTALLED_LAYERS} mcpp
  EXPORT mcppTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/mcpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS mcpp_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

install(EXPORT mcppTargets NAMESPACE mcpp:: DESTINATION ${MCPP_CMAKE_DIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/mcppConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/mcppConfig.cmake INSTALL_DESTINATION ${MCPP_CMAKE_DIR})
# 0.x: a minor version may break the API, so only the same minor version is compatible.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/mcppConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/mcppConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/mcppConfigVersion.cmake
        DESTINATION ${MCPP_CMAKE_DIR})

# pkg-config: the prefix is found from the .pc file's own place, so an install moved elsewhere
# (cmake --install --prefix, a .deb) still points at its headers and libraries.
file(RELATIVE_PATH MCPP_PC_TO_PREFIX
  ${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" MCPP_PC_TO_PREFIX "${MCPP_PC_TO_PREFIX}")
get_target_property(MCPP_ASIO_DEFINITIONS mcpp_boost INTERFACE_COMPILE_DEFINITIONS)
list(TRANSFORM MCPP_ASIO_DEFINITIONS PREPEND "-D")
list(JOIN MCPP_ASIO_DEFINITIONS " " MCPP_PC_DEFINITIONS)
configure_file(${CMAKE_CURRENT_LIST_DIR}/mcpp.pc.in ${CMAKE_CURRENT_BINARY_DIR}/mcpp.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/mcpp.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The .deb: the library (static, with headers, CMake and pkg-config files) and the binary. Only
# when mcpp is the top-level project: a project that includes mcpp packs itself.
if(NOT PROJECT_IS_TOP_LEVEL)
  return()
endif()
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME mcpp)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "The Model Context Protocol in C++20: the libmcpp SDK and the mcpp command")
set(CPACK_PACKAGE_CONTACT "mcpp maintainers <maintainers@users.noreply.b-seed-39e23f2d.example>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
# The binary's shared libraries (dpkg-shlibdeps), and what a program built on the static
# libraries compiles and links against.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "libboost1.81-dev, libboost-json1.81-dev, libboost-url1.81-dev, libssl-dev (>= 3), libsqlite3-dev")
include(CPack)
