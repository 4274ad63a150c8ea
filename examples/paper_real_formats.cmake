# ctest script: the paper trainer reads the real datasets' released formats. Writes a small
# sfew-like and emotionet-like domain with data_export (SFEW 2.0 folders, EmotioNet's AU
# table and images), trains Table 2's two main rows on them for a few steps with
# --data real, and checks that the run wrote its table.
#   cmake -DEXPORT=<data_export> -DPAPER=<paper> -DWORK=<folder> -P paper_real_formats.cmake
file(REMOVE_RECURSE "${WORK}")
foreach(step IN ITEMS "sfew;--count;200;--out;${WORK}/sfew" "emotionet;--count;2500;--out;${WORK}/en")
  execute_process(COMMAND "${EXPORT}" --domain ${step} RESULT_VARIABLE rc OUTPUT_QUIET)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "data_export --domain ${step} failed: ${rc}")
  endif()
endforeach()
execute_process(COMMAND "${PAPER}" table2 --data real --sfew "${WORK}/sfew/SFEW_2.0"
                        --emotionet "${WORK}/en/EmotioNet_FACS.csv" --emotionet-images "${WORK}/en/Images"
                        --steps 4 --batch 8 --test-limit 16 --quiet --out "${WORK}/run"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT EXISTS "${WORK}/run/table2.md")
  message(FATAL_ERROR "paper --data real failed (${rc}):\n${out}\n${err}")
endif()
file(REMOVE_RECURSE "${WORK}")
message(STATUS "Passed: paper table2 --data real read SFEW 2.0 folders and an EmotioNet AU table")
