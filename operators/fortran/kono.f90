!> Fortran 2008 interface to kono's C API (kono.h) over iso_c_binding.
!>
!>   use kono
!>   type(kono_model) :: model
!>   call kono_initialize(ierr)                       ! polite: reuses the host's MPI
!>   call kono_model_load(MPI_COMM_WORLD, "model.h5", model, ierr)   ! collective
!>   call kono_model_apply(model, x, y, ierr)         ! x(n2, n1, channels, batch), not collective
!>   call kono_model_destroy(model, ierr)
!>   call kono_finalize(ierr)
!>
!> Every routine ends with `ierr` (KONO_SUCCESS = 0 or a KONO_ERROR_* code, as in kono.h);
!> kono_last_error_message() returns the message of the last failure. Communicators are
!> Fortran MPI handles (the integer of `use mpi`, or comm%MPI_VAL with `use mpi_f08`).
!> Arrays: Fortran is column-major, so the C layout [batch, C, n1, n2] is the Fortran array
!> x(n2, n1, C, batch): the grid axes appear reversed. Reference: docs/c_api.md.
module kono
  use, intrinsic :: iso_c_binding, only: c_int, c_int64_t, c_float, c_double, c_char, c_ptr, c_null_ptr, &
                                         c_null_char, c_size_t, c_associated
  implicit none
  private

  integer, parameter, public :: KONO_SUCCESS = 0
  integer, parameter, public :: KONO_ERROR_INVALID_ARGUMENT = 1
  integer, parameter, public :: KONO_ERROR_SIZE_MISMATCH = 2
  integer, parameter, public :: KONO_ERROR_FILE_IO = 3
  integer, parameter, public :: KONO_ERROR_CORRUPT_FILE = 4
  integer, parameter, public :: KONO_ERROR_NON_FINITE = 5
  integer, parameter, public :: KONO_ERROR_WRONG_STATE = 6
  integer, parameter, public :: KONO_ERROR_UNSUPPORTED = 7
  integer, parameter, public :: KONO_ERROR_MPI = 8
  integer, parameter, public :: KONO_ERROR_INTERNAL = 9
  integer, parameter, public :: KONO_ERROR_NULL_POINTER = 10
  integer, parameter, public :: KONO_ERROR_OUT_OF_MEMORY = 11
  integer, parameter, public :: KONO_ERROR_UNKNOWN = 12

  !> A loaded model (wraps the C handle KonoModel; null until kono_model_load succeeds).
  type, public :: kono_model
    type(c_ptr) :: handle = c_null_ptr
  end type kono_model

  public :: kono_initialize, kono_finalize, kono_initialized, kono_last_error_message
  public :: kono_model_load, kono_model_destroy, kono_model_is_loaded
  public :: kono_model_dimension, kono_model_channels, kono_model_accepts_any_resolution
  public :: kono_model_apply

  !> out <- model(in). Either the array form for 2D models, x(n2, n1, channels, batch) and
  !> y(n2, n1, out_channels, batch), contiguous, or the explicit form
  !> (model, batch, channels, extents(d) in C order, x(*), y(*), ierr) for any dimension.
  interface kono_model_apply
    module procedure apply_2d_double, apply_2d_float, apply_explicit_double, apply_explicit_float
  end interface kono_model_apply

  interface
    integer(c_int) function c_initialize(argc, argv) bind(C, name="KonoInitialize")
      import :: c_int, c_ptr
      type(c_ptr), value :: argc, argv
    end function c_initialize
    integer(c_int) function c_finalize() bind(C, name="KonoFinalize")
      import :: c_int
    end function c_finalize
    integer(c_int) function c_initialized(flag) bind(C, name="KonoInitialized")
      import :: c_int
      integer(c_int), intent(out) :: flag
    end function c_initialized
    integer(c_size_t) function c_copy_last_error(buf, len) bind(C, name="KonoCopyLastErrorMessage")
      import :: c_char, c_size_t
      character(kind=c_char), intent(out) :: buf(*)
      integer(c_size_t), value :: len
    end function c_copy_last_error
    ! MPI_Fint is the C type of a default Fortran INTEGER (int with Open MPI and MPICH).
    integer(c_int) function c_model_load_f(comm, path, model) bind(C, name="KonoModelLoadF")
      import :: c_int, c_char, c_ptr
      integer(c_int), value :: comm
      character(kind=c_char), intent(in) :: path(*)
      type(c_ptr), intent(out) :: model
    end function c_model_load_f
    integer(c_int) function c_model_destroy(model) bind(C, name="KonoModelDestroy")
      import :: c_int, c_ptr
      type(c_ptr), intent(inout) :: model
    end function c_model_destroy
    integer(c_int) function c_model_get_dimension(model, dim) bind(C, name="KonoModelGetDimension")
      import :: c_int, c_ptr
      type(c_ptr), value :: model
      integer(c_int), intent(out) :: dim
    end function c_model_get_dimension
    integer(c_int) function c_model_get_channels(model, cin, cout) bind(C, name="KonoModelGetChannels")
      import :: c_int, c_ptr
      type(c_ptr), value :: model
      integer(c_int), intent(out) :: cin, cout
    end function c_model_get_channels
    integer(c_int) function c_model_any_resolution(model, any) bind(C, name="KonoModelAcceptsAnyResolution")
      import :: c_int, c_ptr
      type(c_ptr), value :: model
      integer(c_int), intent(out) :: any
    end function c_model_any_resolution
    integer(c_int) function c_model_apply_double(model, batch, channels, extents, x, y) &
        bind(C, name="KonoModelApplyDouble")
      import :: c_int, c_int64_t, c_double, c_ptr
      type(c_ptr), value :: model
      integer(c_int64_t), value :: batch
      integer(c_int), value :: channels
      integer(c_int64_t), intent(in) :: extents(*)
      real(c_double), intent(in) :: x(*)
      real(c_double), intent(inout) :: y(*)
    end function c_model_apply_double
    integer(c_int) function c_model_apply_float(model, batch, channels, extents, x, y) &
        bind(C, name="KonoModelApplyFloat")
      import :: c_int, c_int64_t, c_float, c_ptr
      type(c_ptr), value :: model
      integer(c_int64_t), value :: batch
      integer(c_int), value :: channels
      integer(c_int64_t), intent(in) :: extents(*)
      real(c_float), intent(in) :: x(*)
      real(c_float), intent(inout) :: y(*)
    end function c_model_apply_float
  end interface

contains

  !> Starts MPI (if the host has not) and Kokkos. Collective on MPI_COMM_WORLD when it starts MPI.
  subroutine kono_initialize(ierr)
    integer, intent(out) :: ierr
    ierr = int(c_initialize(c_null_ptr, c_null_ptr))
  end subroutine kono_initialize

  !> Releases live models and finalizes only what kono_initialize started.
  subroutine kono_finalize(ierr)
    integer, intent(out) :: ierr
    ierr = int(c_finalize())
  end subroutine kono_finalize

  !> flag = .true. between kono_initialize and kono_finalize.
  subroutine kono_initialized(flag, ierr)
    logical, intent(out) :: flag
    integer, intent(out) :: ierr
    integer(c_int) :: f
    ierr = int(c_initialized(f))
    flag = f /= 0
  end subroutine kono_initialized

  !> Message of the last failing kono call on this thread ("" if none).
  function kono_last_error_message() result(msg)
    character(len=:), allocatable :: msg
    character(kind=c_char) :: probe(1)
    character(kind=c_char), allocatable :: buf(:)
    integer(c_size_t) :: n
    integer :: i
    n = c_copy_last_error(probe, 0_c_size_t)
    allocate (buf(n + 1))
    n = c_copy_last_error(buf, n + 1)
    allocate (character(len=int(n)) :: msg)
    do i = 1, int(n)
      msg(i:i) = buf(i)
    end do
  end function kono_last_error_message

  !> Loads the model file `path` on every rank of the Fortran communicator `comm`. Collective.
  subroutine kono_model_load(comm, path, model, ierr)
    integer, intent(in) :: comm
    character(len=*), intent(in) :: path
    type(kono_model), intent(inout) :: model
    integer, intent(out) :: ierr
    ierr = int(c_model_load_f(int(comm, c_int), trim(path)//c_null_char, model%handle))
  end subroutine kono_model_load

  !> Frees the model; its handle becomes null. Not collective.
  subroutine kono_model_destroy(model, ierr)
    type(kono_model), intent(inout) :: model
    integer, intent(out) :: ierr
    ierr = int(c_model_destroy(model%handle))
  end subroutine kono_model_destroy

  logical function kono_model_is_loaded(model)
    type(kono_model), intent(in) :: model
    kono_model_is_loaded = c_associated(model%handle)
  end function kono_model_is_loaded

  subroutine kono_model_dimension(model, dim, ierr)
    type(kono_model), intent(in) :: model
    integer, intent(out) :: dim, ierr
    integer(c_int) :: d
    d = 0
    ierr = int(c_model_get_dimension(model%handle, d))
    dim = int(d)
  end subroutine kono_model_dimension

  subroutine kono_model_channels(model, in_channels, out_channels, ierr)
    type(kono_model), intent(in) :: model
    integer, intent(out) :: in_channels, out_channels, ierr
    integer(c_int) :: ci, co
    ci = 0
    co = 0
    ierr = int(c_model_get_channels(model%handle, ci, co))
    in_channels = int(ci)
    out_channels = int(co)
  end subroutine kono_model_channels

  subroutine kono_model_accepts_any_resolution(model, any, ierr)
    type(kono_model), intent(in) :: model
    logical, intent(out) :: any
    integer, intent(out) :: ierr
    integer(c_int) :: a
    a = 0
    ierr = int(c_model_any_resolution(model%handle, a))
    any = a /= 0
  end subroutine kono_model_accepts_any_resolution

  subroutine apply_explicit_double(model, batch, channels, extents, x, y, ierr)
    type(kono_model), intent(in) :: model
    integer, intent(in) :: batch, channels
    integer(c_int64_t), intent(in) :: extents(:)
    real(c_double), intent(in) :: x(*)
    real(c_double), intent(inout) :: y(*)
    integer, intent(out) :: ierr
    ierr = int(c_model_apply_double(model%handle, int(batch, c_int64_t), int(channels, c_int), extents, x, y))
  end subroutine apply_explicit_double

  subroutine apply_explicit_float(model, batch, channels, extents, x, y, ierr)
    type(kono_model), intent(in) :: model
    integer, intent(in) :: batch, channels
    integer(c_int64_t), intent(in) :: extents(:)
    real(c_float), intent(in) :: x(*)
    real(c_float), intent(inout) :: y(*)
    integer, intent(out) :: ierr
    ierr = int(c_model_apply_float(model%handle, int(batch, c_int64_t), int(channels, c_int), extents, x, y))
  end subroutine apply_explicit_float

  !> x(n2, n1, channels, batch) -> y(n2, n1, out_channels, batch); C extents are (n1, n2).
  subroutine apply_2d_double(model, x, y, ierr)
    type(kono_model), intent(in) :: model
    real(c_double), contiguous, intent(in) :: x(:, :, :, :)
    real(c_double), contiguous, intent(inout) :: y(:, :, :, :)
    integer, intent(out) :: ierr
    integer(c_int64_t) :: ext(2)
    ext = [int(size(x, 2), c_int64_t), int(size(x, 1), c_int64_t)]
    if (size(y, 1) /= size(x, 1) .or. size(y, 2) /= size(x, 2) .or. size(y, 4) /= size(x, 4)) then
      ierr = KONO_ERROR_SIZE_MISMATCH
      return
    end if
    ierr = int(c_model_apply_double(model%handle, int(size(x, 4), c_int64_t), int(size(x, 3), c_int), ext, x, y))
  end subroutine apply_2d_double

  subroutine apply_2d_float(model, x, y, ierr)
    type(kono_model), intent(in) :: model
    real(c_float), contiguous, intent(in) :: x(:, :, :, :)
    real(c_float), contiguous, intent(inout) :: y(:, :, :, :)
    integer, intent(out) :: ierr
    integer(c_int64_t) :: ext(2)
    ext = [int(size(x, 2), c_int64_t), int(size(x, 1), c_int64_t)]
    if (size(y, 1) /= size(x, 1) .or. size(y, 2) /= size(x, 2) .or. size(y, 4) /= size(x, 4)) then
      ierr = KONO_ERROR_SIZE_MISMATCH
      return
    end if
    ierr = int(c_model_apply_float(model%handle, int(size(x, 4), c_int64_t), int(size(x, 3), c_int), ext, x, y))
  end subroutine apply_2d_float

end module kono
