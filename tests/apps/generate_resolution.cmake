# kono generate darcy at 17 and 33 nodes per axis with the same seed: the coefficients must be
# the same at the shared nodes (x = i/16 = 2i/32), thresholded (bitwise) and log-normal (to
# round-off), and both files must declare resolution-consistent fields.
#   cmake -DKONO=... -DCHECK=check_shared_nodes -DWORK=dir -P generate_resolution.cmake
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message("${out}${err}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}")
  endif()
endfunction()
foreach(coef threshold lognormal)
  foreach(res 17 33)
    run(${KONO} generate darcy --resolution=${res} --samples=3 --seed=5 --group=test --darcy.coefficient=${coef}
        --out=${WORK}/${coef}_${res}.h5)
  endforeach()
endforeach()
run(${CHECK} ${WORK}/threshold_17.h5 ${WORK}/threshold_33.h5 /test 0)
run(${CHECK} ${WORK}/lognormal_17.h5 ${WORK}/lognormal_33.h5 /test 1e-11)
