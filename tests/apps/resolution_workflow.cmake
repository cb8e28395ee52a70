# Resolution options of the CLI (issue 13, item 3) on the shared Darcy data (16x16):
# multi-resolution kono train (runs, is deterministic), kono info (training grid, consistency),
# kono eval (train_resolution / zero_shot in the JSON; the warning on stderr only for a model that
# is not resolution-consistent) and kono validate --zero_shot.
# -DKONO=exe -DLAUNCH="mpiexec ... -n 2" (or empty) -DDATA=darcy_16.h5 -DWORK=dir
cmake_policy(SET CMP0054 NEW)  # quoted "fno" is a string, not the variable
separate_arguments(launch UNIX_COMMAND "${LAUNCH}")
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")

# run(OUT ERR args...): runs kono, fails on a non-zero exit, returns stdout and stderr apart.
function(run out_var err_var)
  execute_process(COMMAND ${launch} ${KONO} ${ARGN} WORKING_DIRECTORY "${WORK}" RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  message("$ kono ${ARGN}\n${out}--- stderr:\n${err}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "kono ${ARGN} failed with exit code ${rc}")
  endif()
  set(${out_var} "${out}" PARENT_SCOPE)
  set(${err_var} "${err}" PARENT_SCOPE)
endfunction()

function(expect text regex what)
  if(NOT text MATCHES "${regex}")
    message(FATAL_ERROR "${what}: expected to match \"${regex}\"")
  endif()
endfunction()

function(expect_not text regex what)
  if(text MATCHES "${regex}")
    message(FATAL_ERROR "${what}: unexpected \"${regex}\"")
  endif()
endfunction()

function(json_get var file)
  file(READ "${WORK}/${file}" json)
  string(JSON value ERROR_VARIABLE missing GET "${json}" ${ARGN})
  if(missing)
    message(FATAL_ERROR "${file} has no ${ARGN}: ${missing}")
  endif()
  set(${var} "${value}" PARENT_SCOPE)
endfunction()

set(small --data.file=${DATA} --data.train_samples=16 --data.test_samples=8 --train.epochs=2 --train.batch_size=4)
set(fno_args --model.type=fno --model.modes=3,3 --model.hidden_channels=4 --model.layers=1)
# MgNO in grid units (--model.discretization=grid, the original MgNO: not resolution-consistent)
# and MgNO with its default, resolution-consistent discretisation.
set(mgno_args --model.type=mgno --model.hidden_channels=4 --model.layers=1 --model.levels=2 --model.discretization=grid)
set(mgnoc_args --model.type=mgno --model.hidden_channels=4 --model.layers=1 --model.levels=2)

# 1. Multi-resolution training on 16x16 (the data) and 8x8 (bilinear: 15/7 is not an integer),
#    twice: the same model (its predictions compared exactly through kono eval's per-sample errors).
foreach(run_id a b)
  run(out err train ${small} ${fno_args} --data.resolutions=16,8 --out=fno_mr_${run_id}.h5)
  expect("${out}" "multi-resolution on 16x16 \\(the data\\), 8x8 \\(bilinear interpolation\\); reference and test grid 16x16"
         "train --data.resolutions")
  expect("${out}" "epoch 2/2 .*test_h1" "train progress")
  run(out err eval --model=fno_mr_${run_id}.h5 --data.file=${DATA} --json=fno_mr_${run_id}.json)
  expect_not("${err}" "warning" "eval of a resolution-consistent model on its grid")
  json_get(per_${run_id} fno_mr_${run_id}.json per_sample rel_l2)
endforeach()
if(NOT per_a STREQUAL per_b)
  message(FATAL_ERROR "two identical multi-resolution runs differ:\n${per_a}\n${per_b}")
endif()
json_get(zero_shot fno_mr_a.json zero_shot)
json_get(train_res fno_mr_a.json train_resolution)
if(NOT zero_shot STREQUAL "OFF" OR NOT train_res MATCHES "^\\[ *16, *16 *\\]$")
  message(FATAL_ERROR "fno_mr_a.json: zero_shot ${zero_shot}, train_resolution ${train_res}")
endif()
run(out err info fno_mr_a.h5)
expect("${out}" "training resolution: 16x16 \\(reference of multi-resolution training on 16x16, 8x8\\)" "info")
expect("${out}" "resolution-consistent: yes" "info of an FNO")

# 2. Trained only on the 8x8 copies, evaluated on the 16x16 test set: zero-shot. FNO and MgNO
#    by default are resolution-consistent (no warning); grid-unit MgNO is not (a warning on stderr
#    naming both grids and the reason).
foreach(m fno mgnoc mgno)
  run(out err train ${small} ${${m}_args} --data.resolutions=8 --out=${m}_8.h5)
  run(out err eval --model=${m}_8.h5 --data.file=${DATA} --json=${m}_8.json)
  expect_not("${out}" "warning" "eval stdout")
  json_get(zero_shot ${m}_8.json zero_shot)
  json_get(train_res ${m}_8.json train_resolution)
  json_get(consistent ${m}_8.json resolution_consistent)
  if(NOT zero_shot STREQUAL "ON" OR NOT train_res MATCHES "^\\[ *8, *8 *\\]$")
    message(FATAL_ERROR "${m}_8.json: zero_shot ${zero_shot}, train_resolution ${train_res}")
  endif()
  expect("${out}" "on 16x16 \\(zero-shot: trained at 8x8\\)" "eval summary")
  if(NOT m STREQUAL "mgno")
    expect_not("${err}" "warning" "eval of ${m} off its training grid")
    if(NOT consistent STREQUAL "ON")
      message(FATAL_ERROR "${m}_8.json: resolution_consistent ${consistent}")
    endif()
  else()
    expect("${err}" "kono eval: warning: model mgno_8.h5 was trained at 8x8 but .*darcy_16.h5:/test/x is on 16x16, and the model is not resolution-consistent.*mgno_layer: 3x3 convolutions"
           "eval warning of grid-unit MgNO")
    if(NOT consistent STREQUAL "OFF")
      message(FATAL_ERROR "mgno_8.json: resolution_consistent ${consistent}")
    endif()
    run(out err info mgno_8.h5)
    expect("${out}" "training resolution: 8x8\n" "info of MgNO")
    expect("${out}" "resolution-consistent: no: mgno_layer: 3x3 convolutions and stride-2 transfers in grid units" "info of MgNO")
  endif()
endforeach()

# 3. kono validate --zero_shot: extra resolutions beside --resolution, marked zero-shot; the
#    warning for the grid-unit MgNO names them (and only them: 8x8 is its training grid).
run(out err validate --model=mgno_8.h5 --resolution=8 --zero_shot=12 --samples=2 --json=validate.json)
expect("${out}" "\\| 8 \\| 2 \\|.*\\| 12 \\(zero-shot\\) \\| 2 \\|" "validate table")
expect("${err}" "kono validate: warning: model mgno_8.h5 was trained at 8x8 but fresh darcy data is on 12x12, and" "validate warning")
json_get(z0 validate.json resolutions 0 zero_shot)
json_get(z1 validate.json resolutions 1 zero_shot)
json_get(r1 validate.json resolutions 1 resolution)
if(NOT z0 STREQUAL "OFF" OR NOT z1 STREQUAL "ON" OR NOT r1 EQUAL 12)
  message(FATAL_ERROR "validate.json: zero_shot ${z0}, ${z1}; resolution ${r1}")
endif()
run(out err validate --model=fno_8.h5 --resolution=8 --zero_shot=12 --samples=2)
expect_not("${err}" "warning" "validate of FNO")
