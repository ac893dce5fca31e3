# Builds one target of the build tree and checks the outcome (cmake -P, run by CTest):
#   -DBUILD_DIR=... -DTARGET=... -DEXPECT=success
#   -DBUILD_DIR=... -DTARGET=... -DEXPECT=failure -DEXPECT_OUTPUT=<regex> -DEXISTING_FILE=<path>
# A failure counts only when the output matches EXPECT_OUTPUT (the include that must not
# resolve) and EXISTING_FILE exists: the header is there, only not visible from that layer.
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR} --target ${TARGET}
                RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(EXPECT STREQUAL "success")
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "${TARGET} should build but did not:\n${output}")
  endif()
  message(STATUS "${TARGET} built, as it should")
else()
  if(NOT EXISTS ${EXISTING_FILE})
    message(FATAL_ERROR "${EXISTING_FILE} does not exist: the check would pass for a missing "
                        "file, not for a hidden one")
  endif()
  if(result EQUAL 0)
    message(FATAL_ERROR "${TARGET} built, but its upward include should have failed")
  endif()
  if(NOT output MATCHES "${EXPECT_OUTPUT}")
    message(FATAL_ERROR "${TARGET} failed, but not with \"${EXPECT_OUTPUT}\":\n${output}")
  endif()
  message(STATUS "${TARGET} failed to build, as it should: ${CMAKE_MATCH_0}")
endif()
