# Zero-shot resolution transfer of MgNO at a small budget (issue 13): kono generate darcy at 16 (train)
# and at 16 and 31/32 (test, the same coefficient fields: resolution-consistent GRF), kono train MgNO
# (discretization=consistent, the default) at 16, kono eval at each grid. Fails if the rel L2 at 2x
# resolution is more than 1.5x the rel L2 at 1x, or if the grid-unit MgNO (discretization=grid) is not
# clearly worse at 2x (the test must be able to see the difference it guards).
# -DKONO=exe -DWORK=dir
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")

include(${CMAKE_CURRENT_LIST_DIR}/kono_run.cmake)

function(rel_l2 model data result)
  run(eval --model=${model} --data.file=${data} --json=${model}_${data}.json)
  file(READ "${WORK}/${model}_${data}.json" json)
  string(JSON v GET "${json}" rel_l2)
  set(${result} ${v} PARENT_SCOPE)
endfunction()

run(generate darcy --out=train16.h5 --samples=300 --resolution=16 --seed=11 --group=train --dtype=float32)
foreach(r 16 31 32)
  run(generate darcy --out=test${r}.h5 --samples=24 --resolution=${r} --seed=12 --group=test --dtype=float32)
endforeach()
set(common --data.file=train16.h5 --data.test_file=test16.h5 --model.type=mgno --model.levels=3 --train.epochs=8
           --train.batch_size=32 --schedule.T_max=8)
run(train ${common} --out=consistent.h5)
run(train ${common} --model.discretization=grid --out=grid.h5)
rel_l2(consistent.h5 test16.h5 c16)
rel_l2(consistent.h5 test31.h5 c31)
rel_l2(consistent.h5 test32.h5 c32)
rel_l2(grid.h5 test16.h5 g16)
rel_l2(grid.h5 test32.h5 g32)
message("MgNO rel L2: consistent 16 ${c16}, 31 ${c31}, 32 ${c32}; grid units 16 ${g16}, 32 ${g32}")
# CMake has no floating-point arithmetic; if() compares decimal numbers, so scale with python3.
function(times factor value result)
  execute_process(COMMAND ${PYTHON} -c "print(${factor} * ${value})" OUTPUT_VARIABLE v OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${PYTHON} failed")
  endif()
  set(${result} ${v} PARENT_SCOPE)
endfunction()
times(1.5 ${c16} limit)
foreach(v c31 c32)
  if(${v} GREATER limit)
    message(FATAL_ERROR "consistent MgNO at 2x resolution: rel L2 ${${v}} > 1.5 x ${c16} (its error at 16)")
  endif()
endforeach()
times(2 ${c32} twice)
if(NOT g32 GREATER twice)
  message(FATAL_ERROR "grid-unit MgNO at 32 (${g32}) is not clearly worse than the consistent one (${c32}): "
                      "the test no longer separates them")
endif()
