# run(ARGS...): runs `${launch} ${KONO} ARGS...` in ${WORK} (launch: an mpiexec prefix list, or
# unset), echoes the command and its output, fails the test on a non-zero exit, and leaves the
# combined output in `output`. Included by the CLI workflow scripts.
function(run)
  execute_process(COMMAND ${launch} ${KONO} ${ARGN} WORKING_DIRECTORY "${WORK}" RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  message("$ kono ${ARGN}\n${out}${err}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "kono ${ARGN} failed with exit code ${rc}")
  endif()
  set(output "${out}${err}" PARENT_SCOPE)
endfunction()
