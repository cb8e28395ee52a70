#include <kono/datasets/hdf5_sample_store.hpp>

#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include <kono/core/profiling_region.hpp>
#include <kono/datasets/hdf5_writer.hpp>

namespace kono {

namespace {

constexpr int max_spatial_axes = 3;

struct CheckedDataset {
  Shape file_shape;  // as stored, [N, ...]
  Shape sample;      // [C, spatial...]
};

CheckedDataset check_dataset(Hdf5File const& file, std::string const& fq, std::string const& dataset,
                             SampleLayout layout) {
  KONO_USER_REQUIRE(file.has_dataset(dataset), invalid_argument,
                    fq << ": dataset \"" << dataset << "\" missing in \"" << file.path()
                       << "\" (found: " << Impl::dataset_list(file) << ")");
  Hdf5DatasetInfo const info = file.dataset_info(dataset);
  KONO_USER_REQUIRE(info.element_type != Hdf5ElementType::other, invalid_argument,
                    fq << ": dataset \"" << dataset << "\" in \"" << file.path()
                       << "\" is not numeric; expected float32 or float64 samples");
  int const leading = layout.has_channel_axis ? 2 : 1;
  int const rank = info.shape.rank();
  KONO_USER_REQUIRE(rank > leading && rank <= leading + max_spatial_axes, size_mismatch,
                    fq << ": dataset \"" << dataset << "\" in \"" << file.path() << "\" has shape "
                       << info.shape.to_string() << " (rank " << rank << "); expected "
                       << (layout.has_channel_axis ? "[N, C, spatial...]" : "[N, spatial...]") << " with 1 to "
                       << max_spatial_axes << " spatial axes (SampleLayout::has_channel_axis = "
                       << (layout.has_channel_axis ? "true" : "false") << ")");
  std::vector<index_t> sample = info.shape.tail(1).to_vector();
  if (!layout.has_channel_axis) sample.insert(sample.begin(), 1);
  return {info.shape, Shape(sample)};
}

template <class Scalar>
hid_t native_type() {
  return std::is_same<Scalar, float>::value ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE;
}

// Exponent bits all ones <=> NaN or Inf. Integer tests: std::isfinite compiles to an ordered
// compare (ucomiss) that raises FE_INVALID on a signalling NaN read from a file.
inline bool finite_bits(float v) {
  std::uint32_t b = 0;
  std::memcpy(&b, &v, sizeof b);
  return (b & 0x7f800000u) != 0x7f800000u;
}
inline bool finite_bits(double v) {
  std::uint64_t b = 0;
  std::memcpy(&b, &v, sizeof b);
  return (b & 0x7ff0000000000000ull) != 0x7ff0000000000000ull;
}

// Host-side scan of the freshly read host buffer, before it is copied to MemorySpace.
template <class HostView>
index_t count_non_finite(HostView const& values, index_t* first_bad) {
  static_assert(std::is_same<typename HostView::memory_space, Kokkos::HostSpace>::value, "host data expected");
  using Policy = Kokkos::RangePolicy<Kokkos::DefaultHostExecutionSpace, Kokkos::IndexType<index_t>>;
  auto const* p = values.data();
  index_t const n = static_cast<index_t>(values.extent(0));
  index_t bad = 0;
  Kokkos::parallel_reduce(
      "kono::Hdf5SampleStore::count_non_finite", Policy(0, n),
      [=](index_t i, index_t& acc) {
        if (!finite_bits(p[i])) ++acc;
      },
      bad);
  *first_bad = -1;
  if (bad > 0) {
    index_t first = n;
    Kokkos::parallel_reduce(
        "kono::Hdf5SampleStore::first_non_finite", Policy(0, n),
        [=](index_t i, index_t& m) {
          if (!finite_bits(p[i]) && i < m) m = i;
        },
        Kokkos::Min<index_t>(first));
    *first_bad = first;
  }
  return bad;
}

}  // namespace

Hdf5SampleStore::Hdf5SampleStore(std::string const& path, MPI_Comm comm) : m_file(path, comm) {
  Impl::collective_check(comm, [&] {
    // Files from others carry no format_version; a kono file from a newer layout must not be misread.
    if (!m_file.has_attribute("/", "format_version")) return;
    std::string const version = m_file.read_attribute<std::string>("/", "format_version");
    KONO_USER_REQUIRE(version == hdf5_format_version, unsupported,
                      "kono::Hdf5SampleStore: \"" << path << "\" has format_version \"" << version
                                                  << "\"; this kono reads format_version \"" << hdf5_format_version
                                                  << "\" (see docs/file_formats.md)");
  });
}

index_t Hdf5SampleStore::num_samples(std::string const& dataset) const {
  Impl::Hdf5ErrorSilencer quiet;
  std::string const fq = "kono::Hdf5SampleStore::num_samples";
  KONO_USER_REQUIRE(m_file.has_dataset(dataset), invalid_argument,
                    fq << ": dataset \"" << dataset << "\" missing in \"" << path()
                       << "\" (found: " << Impl::dataset_list(m_file) << ")");
  Shape const shape = m_file.dataset_info(dataset).shape;
  KONO_USER_REQUIRE(shape.rank() >= 1, size_mismatch,
                    fq << ": dataset \"" << dataset << "\" in \"" << path() << "\" is a scalar, not samples");
  return shape[0];
}

Shape Hdf5SampleStore::sample_shape(std::string const& dataset, SampleLayout layout) const {
  Impl::Hdf5ErrorSilencer quiet;
  return check_dataset(m_file, "kono::Hdf5SampleStore::sample_shape", dataset, layout).sample;
}

template <class MemorySpace, class Scalar>
Tensor<MemorySpace, Scalar> Hdf5SampleStore::read(std::string const& dataset, index_t first, index_t count,
                                                  SampleLayout layout) const {
  ProfilingRegion region("kono::Hdf5SampleStore::read");
  return read_range<MemorySpace, Scalar>("read", dataset, first, count, layout, false);
}

template <class MemorySpace, class Scalar>
Tensor<MemorySpace, Scalar> Hdf5SampleStore::read_shard(std::string const& dataset, SampleLayout layout) const {
  ProfilingRegion region("kono::Hdf5SampleStore::read_shard");
  SampleShard shard;
  Impl::collective_check(comm(), [&] { shard = shard_samples(num_samples(dataset), comm()); });
  return read_range<MemorySpace, Scalar>("read_shard", dataset, shard.first, shard.count, layout, true);
}

template <class MemorySpace, class Scalar>
Tensor<MemorySpace, Scalar> Hdf5SampleStore::read_range(char const* caller, std::string const& dataset,
                                                        index_t first, index_t count, SampleLayout layout,
                                                        bool collective) const {
  Impl::Hdf5ErrorSilencer quiet;
  std::string const fq = std::string("kono::Hdf5SampleStore::") + caller;
  // In collective mode every check is agreed on before the next collective HDF5 call.
  auto agree = [&](std::function<void()> const& f) {
    if (collective)
      Impl::collective_check(comm(), f);
    else
      f();
  };

  CheckedDataset checked;
  agree([&] {
    checked = check_dataset(m_file, fq, dataset, layout);
    index_t const n = checked.file_shape[0];
    KONO_USER_REQUIRE(first >= 0 && count >= 0 && first <= n && count <= n - first, invalid_argument,
                      fq << ": samples [" << first << ", " << first + count << ") out of range for dataset \""
                         << dataset << "\" in \"" << path() << "\" with " << n << " samples");
  });

  std::vector<index_t> out_extents = checked.sample.to_vector();
  out_extents.insert(out_extents.begin(), count);
  Tensor<MemorySpace, Scalar> result(Kokkos::WithoutInitializing, "kono::Hdf5SampleStore::read " + dataset,
                                     Shape(out_extents));
  auto host = Kokkos::create_mirror_view(Kokkos::HostSpace{}, result.data());

  int const rank = checked.file_shape.rank();
  std::vector<hsize_t> start(static_cast<std::size_t>(rank), 0);
  std::vector<hsize_t> block(static_cast<std::size_t>(rank));
  for (int a = 0; a < rank; ++a) block[static_cast<std::size_t>(a)] = static_cast<hsize_t>(checked.file_shape[a]);
  start[0] = static_cast<hsize_t>(first);
  block[0] = static_cast<hsize_t>(count);
  hsize_t const total = static_cast<hsize_t>(result.size());
  hsize_t const mem_extent = total > 0 ? total : 1;

  Hdf5Handle const d(H5Dopen2(m_file.id(), dataset.c_str(), H5P_DEFAULT), H5Dclose);
  Hdf5Handle const file_space(H5Dget_space(d.get()), H5Sclose);
  Hdf5Handle const mem_space(H5Screate_simple(1, &mem_extent, nullptr), H5Sclose);
  if (total > 0) {
    H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, block.data(), nullptr);
  } else {
    // Ranks without samples still take part in a collective transfer, with empty selections.
    H5Sselect_none(file_space.get());
    H5Sselect_none(mem_space.get());
  }
  Hdf5Handle const xfer(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
#ifdef H5_HAVE_PARALLEL
  if (collective) H5Pset_dxpl_mpio(xfer.get(), H5FD_MPIO_COLLECTIVE);
#endif
  Scalar dummy{};
  herr_t rc = 0;
  // A dataset with no elements has no storage; HDF5 rejects even an empty collective transfer.
  // Every rank knows the dataset shape, so all skip together.
  bool const has_storage = checked.file_shape.size() > 0;
  if (has_storage && (total > 0 || collective))
    rc = H5Dread(d.get(), native_type<Scalar>(), mem_space.get(), file_space.get(), xfer.get(),
                 total > 0 ? static_cast<void*>(host.data()) : static_cast<void*>(&dummy));
  std::string const why = rc < 0 ? Impl::hdf5_error_stack() : std::string();

  agree([&] {
    KONO_USER_REQUIRE(rc >= 0, corrupt_file,
                      fq << ": reading samples [" << first << ", " << first + count << ") of \"" << dataset
                         << "\" from \"" << path() << "\" failed: " << why);
    index_t first_bad = -1;
    index_t const bad = count_non_finite(host, &first_bad);
    if (bad > 0) {
      index_t const per_sample = checked.sample.size();
      KONO_THROW(non_finite, fq << ": " << bad << " NaN/Inf value" << (bad > 1 ? "s" : "") << " in dataset \""
                                << dataset << "\" of \"" << path() << "\", first in sample "
                                << first + first_bad / per_sample << " (value " << first_bad % per_sample
                                << " of that sample)");
    }
  });
  Kokkos::deep_copy(result.data(), host);
  return result;
}

#define KONO_INSTANTIATE_SAMPLE_STORE(SPACE, SCALAR)                                                           \
  template Tensor<SPACE, SCALAR> Hdf5SampleStore::read<SPACE, SCALAR>(std::string const&, index_t, index_t, \
                                                                      SampleLayout) const;                  \
  template Tensor<SPACE, SCALAR> Hdf5SampleStore::read_shard<SPACE, SCALAR>(std::string const&, SampleLayout) const;

KONO_INSTANTIATE_SAMPLE_STORE(DefaultMemorySpace, float)
KONO_INSTANTIATE_SAMPLE_STORE(DefaultMemorySpace, double)
// Host backends make HostSpace the default memory space; instantiating it again would redefine.
#if defined(KOKKOS_ENABLE_DEFAULT_DEVICE_TYPE_SERIAL) || defined(KOKKOS_ENABLE_DEFAULT_DEVICE_TYPE_OPENMP) || \
    defined(KOKKOS_ENABLE_DEFAULT_DEVICE_TYPE_THREADS) || defined(KOKKOS_ENABLE_DEFAULT_DEVICE_TYPE_HPX)
static_assert(std::is_same<HostSpace, DefaultMemorySpace>::value, "kono: host backend, HostSpace expected");
#else
KONO_INSTANTIATE_SAMPLE_STORE(HostSpace, float)
KONO_INSTANTIATE_SAMPLE_STORE(HostSpace, double)
#endif

}  // namespace kono
