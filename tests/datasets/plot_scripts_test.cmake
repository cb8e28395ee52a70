# Runs scripts/plot_fields.py and scripts/plot_learning_curve.py on small generated inputs and
# checks that each writes a non-empty PNG (PNG signature), and that a missing file or dataset
# gives a non-zero exit with a message naming it and leaves no PNG.
#   cmake -DPYTHON=/usr/bin/python3 -DSCRIPTS=<repo>/scripts -DWORK=<dir> -P plot_scripts_test.cmake
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")

function(run expect_ok regex)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message("$ ${ARGN}\n${out}${err}")
  if(expect_ok AND NOT rc EQUAL 0)
    message(FATAL_ERROR "expected success, got exit code ${rc}")
  elseif(NOT expect_ok AND rc EQUAL 0)
    message(FATAL_ERROR "expected a non-zero exit code, got 0")
  endif()
  if(NOT "${out}${err}" MATCHES "${regex}")
    message(FATAL_ERROR "output does not match: ${regex}")
  endif()
endfunction()

function(expect_png path)
  if(NOT EXISTS "${path}")
    message(FATAL_ERROR "${path} was not written")
  endif()
  file(SIZE "${path}" size)
  file(READ "${path}" signature LIMIT 8 HEX)
  if(size LESS 1000 OR NOT signature STREQUAL "89504e470d0a1a0a")
    message(FATAL_ERROR "${path} is not a PNG (size ${size}, first bytes ${signature})")
  endif()
endfunction()

# 1. Inputs: a 2D sample (non-square), a 1D sample, a [N, 1, n0, n1] stack, and a learning curve.
file(WRITE "${WORK}/make_inputs.py" [=[
import sys
import h5py
import numpy as np
work = sys.argv[1]
x = np.linspace(0, 1, 24)[:, None]
y = np.linspace(0, 1, 16)[None, :]
ref = np.sin(3 * x) * np.cos(2 * y)
with h5py.File(work + "/sample2d.h5", "w") as f:
    f["input"] = (x + 0 * y) ** 2
    f["prediction"] = ref + 0.05 * x * y
    f["reference"] = ref
with h5py.File(work + "/sample1d.h5", "w") as f:
    t = np.linspace(0, 1, 33)
    f["input"] = t
    f["prediction"] = np.sin(t) + 0.01
    f["reference"] = np.sin(t)
with h5py.File(work + "/stack.h5", "w") as f:
    f["/test/x"] = np.random.default_rng(1).random((3, 1, 8, 8))
    f["/test/y"] = np.ones((3, 1, 8, 8))
    f["/test/pred"] = np.ones((3, 1, 8, 8)) * 1.1
with h5py.File(work + "/no_reference.h5", "w") as f:
    f["input"] = np.zeros((4, 4))
    f["prediction"] = np.zeros((4, 4))
with open(work + "/curve.csv", "w") as f:
    f.write("epoch,lr,train_loss,test_rel_l2,test_mse,seconds,samples_per_second\n")
    for e in range(1, 21):
        f.write("%d,%g,%g,%g,%g,%g,%g\n" % (e, 1e-3 * 0.5 ** (e // 5), 1.0 / e, 1.2 / e, 0.5 / e ** 2, 0.1 * e, 900.0))
with open(work + "/bad.csv", "w") as f:
    f.write("step,loss\n1,0.5\n")
]=])
run(TRUE "" ${PYTHON} "${WORK}/make_inputs.py" "${WORK}")

# 2. Pictures.
run(TRUE "wrote" ${PYTHON} "${SCRIPTS}/plot_fields.py" "${WORK}/sample2d.h5" "${WORK}/fields2d.png" --title "darcy sample 0")
expect_png("${WORK}/fields2d.png")
run(TRUE "wrote" ${PYTHON} "${SCRIPTS}/plot_fields.py" "${WORK}/sample1d.h5" "${WORK}/fields1d.png")
expect_png("${WORK}/fields1d.png")
run(TRUE "wrote" ${PYTHON} "${SCRIPTS}/plot_fields.py" "${WORK}/stack.h5" "${WORK}/stack.png" --sample 2
    --input /test/x --prediction /test/pred --reference /test/y)
expect_png("${WORK}/stack.png")
run(TRUE "wrote" ${PYTHON} "${SCRIPTS}/plot_learning_curve.py" "${WORK}/curve.csv" "${WORK}/curve.png" --title "fno")
expect_png("${WORK}/curve.png")

# 3. Bad input: non-zero exit, a message naming the file or dataset, no PNG.
run(FALSE "cannot open \"[^\"]*missing.h5\": no such file" ${PYTHON} "${SCRIPTS}/plot_fields.py" "${WORK}/missing.h5" "${WORK}/bad1.png")
run(FALSE "has no dataset \"reference\" \\(found: /input, /prediction\\)" ${PYTHON} "${SCRIPTS}/plot_fields.py" "${WORK}/no_reference.h5" "${WORK}/bad2.png")
run(FALSE "--sample 5 is out of range" ${PYTHON} "${SCRIPTS}/plot_fields.py" "${WORK}/stack.h5" "${WORK}/bad3.png" --sample 5
    --input /test/x --prediction /test/pred --reference /test/y)
run(FALSE "is not HDF5|as HDF5" ${PYTHON} "${SCRIPTS}/plot_fields.py" "${WORK}/curve.csv" "${WORK}/bad4.png")
run(FALSE "directory \"[^\"]*no_dir\" does not exist" ${PYTHON} "${SCRIPTS}/plot_fields.py" "${WORK}/sample2d.h5" "${WORK}/no_dir/x.png")
run(FALSE "cannot open \"[^\"]*missing.csv\": no such file" ${PYTHON} "${SCRIPTS}/plot_learning_curve.py" "${WORK}/missing.csv" "${WORK}/bad5.png")
run(FALSE "has no column \"epoch\"" ${PYTHON} "${SCRIPTS}/plot_learning_curve.py" "${WORK}/bad.csv" "${WORK}/bad6.png")
foreach(k 1 2 3 4 5 6)
  if(EXISTS "${WORK}/bad${k}.png")
    message(FATAL_ERROR "bad${k}.png was written for bad input")
  endif()
endforeach()
file(GLOB leftovers "${WORK}/.*tmp*")
if(leftovers)
  message(FATAL_ERROR "temporary files left behind: ${leftovers}")
endif()
