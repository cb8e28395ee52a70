// Explicit instantiations of kono::HaloExchange for the memory spaces kono runs in.
#include <type_traits>

#include <kono/meshes/impl/halo_exchange_impl.hpp>

namespace kono {

template class HaloExchange<DefaultMemorySpace, float>;
template class HaloExchange<DefaultMemorySpace, double>;

// With a device backend the default memory space is not HostSpace, and host fields need their
// own instantiation; with host backends a second one would be a duplicate (ill-formed).
// (A KONO_* macro for this belongs in <kono/core/kokkos_compat.hpp> once another part needs it.)
#if defined(KOKKOS_ENABLE_CUDA) || defined(KOKKOS_ENABLE_HIP) || defined(KOKKOS_ENABLE_SYCL) || \
    defined(KOKKOS_ENABLE_OPENMPTARGET) || defined(KOKKOS_ENABLE_OPENACC)
template class HaloExchange<HostSpace, float>;
template class HaloExchange<HostSpace, double>;
#else
static_assert(std::is_same<DefaultMemorySpace, HostSpace>::value,
              "kono::HaloExchange: this Kokkos backend has its own memory space; add it to the list above");
#endif

}  // namespace kono
