# Flags for sjmt's own targets (tests, benches, examples); never pushed onto
# users of sjmt::sjmt. Call sjmt_target_defaults(<target>) on each.
function(sjmt_target_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
  if(SJMT_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(SJMT_NATIVE)
    target_compile_options(${target} PRIVATE -march=native)
  endif()
  if(SJMT_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=${SJMT_SANITIZE} -fno-omit-frame-pointer
                                             -fno-sanitize-recover=all)
    target_link_options(${target} PRIVATE -fsanitize=${SJMT_SANITIZE})
  endif()
  target_link_libraries(${target} PRIVATE sjmt::sjmt)
endfunction()
