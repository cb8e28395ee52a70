!> A Fortran MPI program that applies a kono surrogate to its own arrays.
!>
!> Sample runs:
!>   ./fortran_surrogate model.h5            # 32x32 grid
!>   mpiexec -n 2 ./fortran_surrogate model.h5 48
!>
!> Description: loads a 2D Darcy model (made by `kono train`) on MPI_COMM_WORLD, queries it,
!> builds a two-phase permeability field per rank and predicts the pressure with
!> kono_model_apply, then shows the error handling on a wrong channel count.
!> Note the layout: the C tensor [batch, channel, n1, n2] is the Fortran array x(n2, n1, channel, batch).
program fortran_surrogate
  use mpi
  use kono
  implicit none
  type(kono_model) :: model
  integer :: ierr, rank, nranks, dim, cin, cout, n, i, j
  logical :: any_res
  character(len=1024) :: path, arg
  double precision, allocatable :: x(:, :, :, :), y(:, :, :, :), bad(:, :, :, :)

  call MPI_Init(ierr)
  call MPI_Comm_rank(MPI_COMM_WORLD, rank, ierr)
  call MPI_Comm_size(MPI_COMM_WORLD, nranks, ierr)
  if (command_argument_count() < 1) then
    if (rank == 0) print '(a)', 'usage: fortran_surrogate MODEL.h5 [N=32]'
    call MPI_Finalize(ierr)
    stop 2
  end if
  call get_command_argument(1, path)
  n = 32
  if (command_argument_count() >= 2) then
    call get_command_argument(2, arg)
    read (arg, *) n
  end if

  ! 1. Start kono (MPI is ours, so kono only starts Kokkos) and load the model.
  call kono_initialize(ierr)
  call check(ierr, 'kono_initialize')
  call kono_model_load(MPI_COMM_WORLD, trim(path), model, ierr)
  call check(ierr, 'kono_model_load')
  call kono_model_dimension(model, dim, ierr)
  call check(ierr, 'kono_model_dimension')
  call kono_model_channels(model, cin, cout, ierr)
  call check(ierr, 'kono_model_channels')
  call kono_model_accepts_any_resolution(model, any_res, ierr)
  call check(ierr, 'kono_model_accepts_any_resolution')
  if (rank == 0) print '(a,i0,a,i0,a,i0,a,l1)', 'fortran_surrogate: dim ', dim, ', channels ', cin, ' -> ', cout, &
    ', any resolution ', any_res

  ! 2. One field per rank: x(n2, n1, channel, batch).
  allocate (x(n, n, cin, 1), y(n, n, cout, 1))
  do i = 1, n
    do j = 1, n
      x(j, i, 1, 1) = merge(1d0, 0d0, mod(i / 4 + j / 4 + rank, 2) == 0)
    end do
  end do
  call kono_model_apply(model, x, y, ierr)
  call check(ierr, 'kono_model_apply')
  if (rank == 0) print '(a,i0,a,i0,a,f8.4,a,f8.4,a)', 'fortran_surrogate: ', n, 'x', n, ' prediction in [', &
    minval(y), ', ', maxval(y), ']'

  ! 3. Errors come back as codes with a message; nothing aborts.
  allocate (bad(n, n, cin + 1, 1))
  bad = 0
  call kono_model_apply(model, bad, y, ierr)
  if (ierr /= KONO_ERROR_SIZE_MISMATCH) then
    print '(a,i0)', 'expected KONO_ERROR_SIZE_MISMATCH, got ', ierr
    call MPI_Abort(MPI_COMM_WORLD, 1, ierr)
  end if
  if (rank == 0) print '(a,a)', 'fortran_surrogate: wrong channels -> ', kono_last_error_message()

  call kono_model_destroy(model, ierr)
  call check(ierr, 'kono_model_destroy')
  call kono_finalize(ierr)
  call check(ierr, 'kono_finalize')
  if (rank == 0) print '(a)', 'fortran_surrogate: done'
  call MPI_Finalize(ierr)

contains

  subroutine check(code, what)
    integer, intent(in) :: code
    character(len=*), intent(in) :: what
    integer :: e
    if (code /= KONO_SUCCESS) then
      print '(a,a,a)', what, ' failed: ', kono_last_error_message()
      call MPI_Abort(MPI_COMM_WORLD, code, e)
    end if
  end subroutine check
end program fortran_surrogate
