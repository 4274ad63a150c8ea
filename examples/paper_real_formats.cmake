# ctest script: the paper trainer reads the real datasets' released formats. Writes a small
# sfew-like, emotionet-like and fer-like domain with data_export (SFEW 2.0 folders,
# EmotioNet's AU table and images, fer2013.csv), pretrains on the FER2013 file and trains
# Table 2's two main rows on the others for a few steps with --data real, and checks that
# the run wrote its table and the pretrained trunk.
#   cmake -DEXPORT=<data_export> -DPAPER=<paper> -DWORK=<folder> -P paper_real_formats.cmake
file(REMOVE_RECURSE "${WORK}")
foreach(step IN ITEMS "sfew;--count;200;--out;${WORK}/sfew" "emotionet;--count;2500;--out;${WORK}/en"
                     "fer;--count;60;--out;${WORK}/fer")
  execute_process(COMMAND "${EXPORT}" --domain ${step} RESULT_VARIABLE rc OUTPUT_QUIET)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "data_export --domain ${step} failed: ${rc}")
  endif()
endforeach()
execute_process(COMMAND "${PAPER}" table2 --data real --sfew "${WORK}/sfew/SFEW_2.0"
                        --emotionet "${WORK}/en/EmotioNet_FACS.csv" --emotionet-images "${WORK}/en/Images"
                        --fer2013 "${WORK}/fer/fer2013/fer2013.csv"
                        --steps 4 --batch 8 --test-limit 16 --quiet --out "${WORK}/run"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT EXISTS "${WORK}/run/table2.md"
   OR NOT EXISTS "${WORK}/run/checkpoints/pretrain-fer-resnet8-s1.safetensors")
  message(FATAL_ERROR "paper --data real failed (${rc}):\n${out}\n${err}")
endif()
# Without a FER2013 file, real data is refused with a sentence that names both ways out.
execute_process(COMMAND "${PAPER}" table2 --data real --sfew "${WORK}/sfew/SFEW_2.0" --steps 4 --out "${WORK}/run2"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "--fer2013" OR NOT err MATCHES "--no-pretrain")
  message(FATAL_ERROR "paper --data real without --fer2013 should name --fer2013 and --no-pretrain (${rc}):\n${err}")
endif()
file(REMOVE_RECURSE "${WORK}")
message(STATUS "Passed: paper table2 --data real read SFEW 2.0 folders, an EmotioNet AU table and fer2013.csv")
