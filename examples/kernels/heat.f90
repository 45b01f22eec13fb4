! A Fortran kernel through bind(C): item i relaxes a 1-D heat equation (Jacobi sweeps) from an
! initial profile that depends on i and returns the bits of the final mid-point temperature. Only
! the two required functions; the ABI mark is the module variable hybridscope_kernel_abi.
module heat_kernel
  use, intrinsic :: iso_c_binding
  implicit none
  integer(c_int), bind(C, name="hybridscope_kernel_abi") :: hybridscope_kernel_abi = 1
  integer, parameter :: n = 4096, sweeps = 400
contains
  ! context is not used: every thread needs nothing but its own arrays, allocated per item.
  integer(c_int) function hybridscope_kernel_setup(context, state) bind(C, name="hybridscope_kernel_setup")
    type(c_ptr), value :: context
    type(c_ptr) :: state
    state = c_null_ptr
    hybridscope_kernel_setup = 0
  end function

  integer(c_int64_t) function hybridscope_kernel_item(state, item) bind(C, name="hybridscope_kernel_item")
    type(c_ptr), value :: state
    integer(c_int64_t), value :: item
    real(c_double) :: u(0:n + 1), v(0:n + 1)
    integer :: i, s
    do i = 0, n + 1
      u(i) = real(mod(int(item) * 7 + i, 101), c_double) / 100.0_c_double
    end do
    u(0) = 1.0_c_double
    u(n + 1) = 0.0_c_double
    v = u
    do s = 1, sweeps
      do i = 1, n
        v(i) = 0.5_c_double * u(i) + 0.25_c_double * (u(i - 1) + u(i + 1))
      end do
      u(1:n) = v(1:n)
    end do
    hybridscope_kernel_item = transfer(u(n / 2), 0_c_int64_t)
  end function
end module
