kono_add_mpi_test(test_trainer_mpi SOURCES test_trainer_mpi.cpp RANKS 1 2)
kono_add_mpi_test(test_model_io_mpi SOURCES test_model_io_mpi.cpp RANKS 1 2)
