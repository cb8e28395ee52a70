# Refuses a serial HDF5: kono shards samples across ranks and writes collectively, which
# needs HDF5 built with MPI-IO. Kept in its own file so a test can call it with a fake result.
function(kono_check_hdf5_parallel is_parallel version)
  if(NOT is_parallel)
    message(FATAL_ERROR
      "kono: the HDF5 found (version ${version}) is serial, but kono needs parallel HDF5 (MPI-IO).\n"
      "  Debian/Ubuntu: apt-get install libhdf5-openmpi-dev (and remove libhdf5-dev from the search path)\n"
      "  Spack: spack install hdf5+mpi;  modules: load an hdf5 module built with MPI (often hdf5/parallel)\n"
      "  then reconfigure with -DHDF5_ROOT=<prefix of the parallel HDF5>.")
  endif()
endfunction()
