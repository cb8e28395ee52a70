# kono run end to end on a small budget, then kono validate and kono export on its model as
# single subcommands, checking every file they leave and reading the VTK output back with VTK's
# readers (check_vtk_export). Serial or under mpiexec.
# -DKONO=exe -DLAUNCH="mpiexec ... -n 2" (or empty) -DCHECK=check_vtk_export -DWORK=dir -DNP=1|2
separate_arguments(launch UNIX_COMMAND "${LAUNCH}")
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")

include(${CMAKE_CURRENT_LIST_DIR}/kono_run.cmake)

function(require_file f)
  if(NOT EXISTS "${WORK}/${f}")
    message(FATAL_ERROR "expected ${f} in ${WORK}")
  endif()
endfunction()

function(json_get var file)
  file(READ "${WORK}/${file}" json)
  string(JSON value ERROR_VARIABLE missing GET "${json}" ${ARGN})
  if(missing)
    message(FATAL_ERROR "${file} has no ${ARGN}")
  endif()
  set(${var} "${value}" PARENT_SCOPE)
endfunction()

function(json_length var file)
  file(READ "${WORK}/${file}" json)
  string(JSON value ERROR_VARIABLE missing LENGTH "${json}" ${ARGN})
  if(missing)
    message(FATAL_ERROR "${file} has no ${ARGN}")
  endif()
  set(${var} "${value}" PARENT_SCOPE)
endfunction()

# 1. kono run: 16^2 nodes, tiny FNO, 3 epochs; validation at 16 and 24 (zero-shot).
run(run --run.dir=out --run.resolution=16 --run.train_samples=48 --run.test_samples=8 --run.validate_samples=4
        --run.validate_resolutions=16,24 --run.export_samples=0,1 --model.modes=4,4 --model.hidden_channels=8
        --model.layers=2 --train.epochs=3 --train.batch_size=16)
foreach(re "kono run: summary" "test +rel L2 [0-9.e-]+" "24x24 \\(zero-shot\\) +rel L2" "paraview +paraview out/paraview/samples.pvd")
  if(NOT output MATCHES "${re}")
    message(FATAL_ERROR "kono run's summary does not match: ${re}")
  endif()
endforeach()
if(NP EQUAL 1)
  set(vtk_ext vti)
else()
  set(vtk_ext pvti)
endif()
foreach(f darcy_train.h5 darcy_test.h5 model.h5 model_curve.csv test_metrics.json test_predictions.h5 validation.json
          paraview/samples.pvd paraview/sample_0.${vtk_ext} paraview/sample_1.${vtk_ext} paraview/sample_0_fields.h5
          learning_curve.png sample_0.png)
  require_file(out/${f})
endforeach()
file(READ "${WORK}/out/sample_0.png" signature LIMIT 8 HEX)
if(NOT signature STREQUAL "89504e470d0a1a0a")
  message(FATAL_ERROR "out/sample_0.png is not a PNG")
endif()
file(STRINGS "${WORK}/out/model_curve.csv" rows)
list(LENGTH rows nrows)
if(NOT nrows EQUAL 4)
  message(FATAL_ERROR "learning curve has ${nrows} lines; --train.epochs=3 was not forwarded")
endif()
json_get(samples out/test_metrics.json samples)
json_get(rel_l2 out/test_metrics.json rel_l2)
if(NOT samples EQUAL 8 OR rel_l2 LESS_EQUAL 0 OR rel_l2 GREATER 2)
  message(FATAL_ERROR "test_metrics.json: samples ${samples}, rel_l2 ${rel_l2}")
endif()
json_length(n_res out/validation.json resolutions)
json_get(zero_shot out/validation.json resolutions 1 zero_shot)
json_get(speedup out/validation.json resolutions 0 speedup)
json_get(val_samples out/validation.json resolutions 0 samples)
if(NOT n_res EQUAL 2 OR NOT zero_shot STREQUAL "ON" OR speedup LESS_EQUAL 0 OR NOT val_samples EQUAL 4)
  message(FATAL_ERROR "validation.json: ${n_res} resolutions, zero_shot ${zero_shot}, speedup ${speedup}, samples ${val_samples}")
endif()

# 2. The exported files open with VTK's XML readers and hold the same values as the HDF5 copy.
foreach(s 0 1)
  execute_process(COMMAND ${CHECK} ${WORK}/out/paraview/sample_${s}.${vtk_ext} ${WORK}/out/paraview/sample_${s}_fields.h5
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message("${out}${err}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "check_vtk_export failed on sample ${s}")
  endif()
endforeach()

# 3. kono validate and kono export as single subcommands on that model.
run(validate --model=out/model.h5 --resolution=20 --samples=3 --json=validate.json)
require_file(validate.json)
json_get(res validate.json resolutions 0 resolution)
if(NOT res EQUAL 20 OR NOT output MATCHES "\\| 20 \\(zero-shot\\) \\| 3 \\|")
  message(FATAL_ERROR "kono validate --resolution=20: report resolution ${res}")
endif()
run(export --model=out/model.h5 --data.file=out/darcy_test.h5 --sample=3 --out=exported)
require_file(exported/samples.pvd)
require_file(exported/sample_3.${vtk_ext})
file(READ "${WORK}/exported/samples.pvd" pvd)
if(NOT pvd MATCHES "sample_3.${vtk_ext}")
  message(FATAL_ERROR "samples.pvd does not reference sample_3.${vtk_ext}")
endif()

# 4. Failures leave nothing behind: an export of a sample that does not exist writes no collection.
execute_process(COMMAND ${launch} ${KONO} export --model=out/model.h5 --data.file=out/darcy_test.h5 --sample=99
                        --out=bad_export WORKING_DIRECTORY "${WORK}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT "${out}${err}" MATCHES "--sample=99 but .*darcy_test.h5:/test/x has 8 samples")
  message(FATAL_ERROR "kono export --sample=99: exit ${rc}, output ${out}${err}")
endif()
if(EXISTS "${WORK}/bad_export/samples.pvd")
  message(FATAL_ERROR "a failed export left bad_export/samples.pvd")
endif()
execute_process(COMMAND ${launch} ${KONO} validate --model=out/model.h5 --resolution=20 --samples=2 -ksp_max_it 1
                        -ksp_type cg -pc_type none --json=diverged.json
                WORKING_DIRECTORY "${WORK}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(rc EQUAL 0 OR EXISTS "${WORK}/diverged.json" OR NOT "${out}${err}" MATCHES "sample 0 at 20x20 did not converge \\(KSP reason DIVERGED_ITS")
  message(FATAL_ERROR "kono validate with -ksp_max_it 1 should fail naming the sample and leave no report")
endif()
