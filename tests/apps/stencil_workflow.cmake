# Learned finite-volume solvers from the CLI (issue 23): Kolmogorov DNS data -> kono train
# (learned_stencil with CAPE attention, tsm; unroll curriculum) on 1 and 2 ranks -> kono rollout
# against the classical solver at two resolutions (JSON, CSV, ParaView series); the models trained
# on 1 and 2 ranks roll out alike; a blow-up names the step and writes nothing; bad options.
# -DKONO=exe -DMPI2="mpiexec ... -n 2" -DWORK=dir -DMGNO_MODEL=a model file of another family
cmake_policy(SET CMP0054 NEW)
separate_arguments(mpi2 UNIX_COMMAND "${MPI2}")
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
include(${CMAKE_CURRENT_LIST_DIR}/kono_run.cmake)

function(expect text regex what)
  if(NOT text MATCHES "${regex}")
    message(FATAL_ERROR "${what}: expected to match \"${regex}\"")
  endif()
endfunction()

# run_fail(REGEX args...): kono must fail with output matching REGEX.
function(run_fail regex)
  execute_process(COMMAND ${KONO} ${ARGN} WORKING_DIRECTORY "${WORK}" RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  message("$ kono ${ARGN}\n${out}${err}")
  if(rc EQUAL 0)
    message(FATAL_ERROR "kono ${ARGN} succeeded; expected a failure matching \"${regex}\"")
  endif()
  expect("${out}${err}" "${regex}" "kono ${ARGN}")
endfunction()

function(json_get var file)
  file(READ "${WORK}/${file}" json)
  string(JSON value GET "${json}" ${ARGN})
  set(${var} "${value}" PARENT_SCOPE)
endfunction()

# 1. Data: 32^2 DNS, coarse 8 and 16, short warm-up (the physics is tested in tests/solvers).
set(gen navier-stokes --ns.forcing=kolmogorov --resolution=32 --ns.coarse=8,16 --ns.warmup=1 --ns.steps_out=40
        --dtype=float32)
run(generate ${gen} --samples=4 --seed=0 --group=train --out=train.h5)
run(generate ${gen} --samples=2 --seed=9 --group=test --out=test.h5)

# 2. Training, serial and on 2 ranks (same seed: the same model up to the allreduce's rounding).
set(common --data.file=train.h5 --data.test_file=test.h5 --data.coarse=16 --model.hidden_channels=4 --model.layers=1
           --model.substeps=2 --train.unroll=1,2 --train.epochs=2 --train.batch_size=8 --train.window_stride=3
           --schedule.lr=1e-3)
run(train ${common} --model.type=tsm --model.hippo_order=2 --out=tsm_np1.h5)
expect("${output}" "phase 1/2: unroll 1 step\\(s\\) \\(teacher forcing\\)" "curriculum phase 1")
expect("${output}" "phase 2/2: unroll 2 step\\(s\\)" "curriculum phase 2")
expect("${output}" "epoch 1/2 .*phase 2/2.*epoch 2/2 " "progress counts to the run's last epoch in every phase")
set(launch ${mpi2})
run(train ${common} --model.type=tsm --model.hippo_order=2 --out=tsm_np2.h5)
unset(launch)
run(train ${common} --model.type=learned_stencil --model.attention=true --out=cape.h5)

# 3. Rollouts: both TSM models against the learned CAPE model and the classical solver at 16 and 32
#    (the latter needs coarse_32: not in the file, so first an error, then 8 and 16).
run_fail("has no dataset \"/test/coarse_32/velocity\"" rollout --model=tsm_np1.h5 --data.file=test.h5 --steps=10
         --compare=classical@32 --out=bad)
if(EXISTS "${WORK}/bad/rollout.json")
  message(FATAL_ERROR "a failed rollout wrote bad/rollout.json")
endif()
foreach(np np1 np2)
  if(np STREQUAL "np2")  # the 2-rank model, rolled out on 2 ranks (trajectories split over them)
    set(launch ${mpi2})
  endif()
  run(rollout --model=tsm_${np}.h5 --data.file=test.h5 --steps=10 --compare=cape.h5,classical@16
      --data.coarse=8 --out=ro_${np} --export_every=5)
  expect("${output}" "classical 16x16: highly-correlated duration" "rollout summary")
  foreach(f rollout.h5 rollout.json correlation.csv rollout.pvd rollout_0.vti rollout_10.vti)
    if(NOT EXISTS "${WORK}/ro_${np}/${f}")
      message(FATAL_ERROR "kono rollout did not write ro_${np}/${f}")
    endif()
  endforeach()
  json_get(methods_${np} ro_${np}/rollout.json methods)
  string(JSON count LENGTH "${methods_${np}}")
  if(NOT count EQUAL 3)
    message(FATAL_ERROR "rollout.json lists ${count} methods, expected 3")
  endif()
  json_get(d_${np} ro_${np}/rollout.json methods 0 highly_correlated_duration)
  unset(launch)
endforeach()
# The 1-rank and 2-rank models roll out alike (same parameters up to rounding).
file(STRINGS "${WORK}/ro_np1/correlation.csv" c1)
file(STRINGS "${WORK}/ro_np2/correlation.csv" c2)
list(GET c1 -1 last1)
list(GET c2 -1 last2)
string(REPLACE "," ";" last1 "${last1}")
string(REPLACE "," ";" last2 "${last2}")
list(GET last1 1 r1)
list(GET last2 1 r2)
# CMake has no floats: compare the first 4 decimals of the final correlation as text.
string(SUBSTRING "${r1}" 0 6 r1s)
string(SUBSTRING "${r2}" 0 6 r2s)
if(NOT r1s STREQUAL r2s)
  message(FATAL_ERROR "final TSM correlation differs between the 1-rank (${r1}) and 2-rank (${r2}) models")
endif()
# The classical solver does not depend on the training at all: identical columns.
list(GET last1 3 k1)
list(GET last2 3 k2)
if(NOT k1 STREQUAL k2)
  message(FATAL_ERROR "classical 16x16 correlation differs between runs: ${k1} vs ${k2}")
endif()

# kono validate on a stencil model: fresh PETSc DNS (the problem follows from the model type), rollouts.
run(validate --model=tsm_np1.h5 --kolmogorov.dns=32 --kolmogorov.warmup=0.5 --kolmogorov.steps=20 --json=val.json)
expect("${output}" "2 fresh Kolmogorov trajectories at 32\\^2 \\(PETSc TS" "validate kolmogorov")
json_get(problem val.json problem)
json_get(vlabel val.json methods 2 label)
if(NOT problem STREQUAL "kolmogorov" OR NOT vlabel STREQUAL "classical 32x32")
  message(FATAL_ERROR "val.json: problem ${problem}, third method ${vlabel}")
endif()

# 4. A blow-up (CFL limit far below the flow's) stops at step 1 naming the cell; nothing is written.
run_fail("step 1: sample [0-9]+, cell \\([0-9]+, [0-9]+\\)" rollout --model=classical@8 --data.file=test.h5 --steps=5
         --cfl_limit=0.01 --out=blowup)
if(EXISTS "${WORK}/blowup/rollout.json" OR EXISTS "${WORK}/blowup/rollout.h5")
  message(FATAL_ERROR "a rollout that blew up wrote output")
endif()

# 5. Bad options name the option.
run_fail("--train.unroll=2,1: lengths must be >= 1 and increasing" train ${common} --model.type=tsm --train.unroll=2,1
         --out=x.h5)
run_fail("--model.dt is set by kono train" train ${common} --model.type=learned_stencil --model.dt=0.1 --out=x.h5)
run_fail("--start=0 plus --steps=60 passes the 41 snapshots" rollout --model=classical@8 --data.file=test.h5 --start=0
         --steps=60 --out=x)
run_fail("is a mgno model; kono rollout runs learned_stencil and tsm" rollout --model=${MGNO_MODEL} --data.file=test.h5
         --steps=2 --out=x)
