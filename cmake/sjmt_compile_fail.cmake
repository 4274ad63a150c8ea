# Runs one compile-fail test (cmake -P). Variables: COMPILER, INCLUDE_DIR, SOURCE, and
# optionally EXTRA_INCLUDE_DIRS.
# The source names the expected diagnostic on a line `// expect: <text>`.
# Read as one string: the messages hold ';', which CMake lists would split on.
file(READ ${SOURCE} content)
string(REGEX MATCH "// expect: [^\n]*" expect_line "${content}")
if(NOT expect_line)
  message(FATAL_ERROR "${SOURCE}: needs a '// expect: <message>' line")
endif()
string(REGEX REPLACE "^// expect: " "" expected "${expect_line}")

set(flags -std=c++20 -fsyntax-only -I${INCLUDE_DIR})
# EXTRA_INCLUDE_DIRS: '|'-separated dependency include folders (Eigen), optional.
if(EXTRA_INCLUDE_DIRS)
  string(REPLACE "|" ";" extra_dirs "${EXTRA_INCLUDE_DIRS}")
  foreach(dir IN LISTS extra_dirs)
    list(APPEND flags -I${dir})
  endforeach()
endif()
execute_process(COMMAND ${COMPILER} ${flags} -DSJMT_FAILTEST_OK ${SOURCE}
                RESULT_VARIABLE ok_rc ERROR_VARIABLE ok_err)
if(NOT ok_rc EQUAL 0)
  message(FATAL_ERROR "${SOURCE}: the 'ok' build must compile, but failed:\n${ok_err}")
endif()
execute_process(COMMAND ${COMPILER} ${flags} ${SOURCE} RESULT_VARIABLE ko_rc ERROR_VARIABLE ko_err)
if(ko_rc EQUAL 0)
  message(FATAL_ERROR "${SOURCE}: the 'ko' build compiled, but must fail with: ${expected}")
endif()
string(FIND "${ko_err}" "${expected}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "${SOURCE}: the 'ko' build failed, but without the expected message\n"
                      "  expected: ${expected}\n  got:\n${ko_err}")
endif()
message(STATUS "${SOURCE}: fails as expected with '${expected}'")
