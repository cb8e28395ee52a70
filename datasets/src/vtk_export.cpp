#include <kono/datasets/vtk_export.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <vtkCellArray.h>
#include <vtkCellType.h>
#include <vtkDoubleArray.h>
#include <vtkIdTypeArray.h>
#include <vtkImageData.h>
#include <vtkNew.h>
#include <vtkPointData.h>
#include <vtkPoints.h>
#include <vtkSmartPointer.h>
#include <vtkUnstructuredGrid.h>
#include <vtkXMLImageDataWriter.h>
#include <vtkXMLUnstructuredGridWriter.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <iomanip>
#include <random>
#include <set>
#include <sstream>

#include <kono/core/error.hpp>
#include <kono/core/mpi_check.hpp>
#include <kono/core/profiling_region.hpp>
#include <kono/datasets/hdf5_file.hpp>

namespace kono {

namespace {

using Box = std::array<index_t, 3>;

// ---------------------------------------------------------------------------------------------
// Files: staged in a hidden temporary next to the target, fsynced, then renamed over it.

/// Throws Error{invalid_argument | file_io} unless `path` names a file in an existing directory.
void check_target(char const* caller, std::string const& path) {
  namespace fs = std::filesystem;
  fs::path const target(path);
  KONO_USER_REQUIRE(!path.empty() && target.has_filename(), invalid_argument,
                    caller << ": \"" << path << "\" does not name a file");
  fs::path const dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::error_code ec;
  KONO_USER_REQUIRE(fs::is_directory(dir, ec), file_io,
                    caller << ": cannot write \"" << path << "\": directory \"" << dir.string()
                           << "\" does not exist or is not a directory (kono does not create it)");
  KONO_USER_REQUIRE(!fs::is_directory(target, ec), file_io,
                    caller << ": cannot write \"" << path << "\": it is a directory");
}

/// `content` written to a temporary file beside `path`; commit() renames it into place, the
/// destructor removes it when not committed.
class StagedFile {
 public:
  StagedFile(char const* caller, std::string path, std::string const& content) : m_path(std::move(path)) {
    check_target(caller, m_path);
    namespace fs = std::filesystem;
    fs::path const target(m_path);
    std::random_device rd;
    std::ostringstream name;
    name << "." << target.filename().string() << "." << std::hex << ::getpid() << "_" << rd() << ".tmp";
    // Same directory as the target, so the rename stays on one filesystem and is atomic.
    std::string const tmp = (target.has_parent_path() ? target.parent_path() / name.str() : fs::path(name.str())).string();
    int const fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    KONO_USER_REQUIRE(fd >= 0, file_io,
                      caller << ": cannot write \"" << m_path << "\": " << std::strerror(errno)
                             << " (is the directory writable?)");
    m_tmp = tmp;
    char const* p = content.data();
    std::size_t left = content.size();
    int err = 0;
    while (left > 0) {
      ssize_t const n = ::write(fd, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        err = errno;
        break;
      }
      p += n;
      left -= static_cast<std::size_t>(n);
    }
    if (err == 0 && ::fsync(fd) != 0) err = errno;
    if (::close(fd) != 0 && err == 0) err = errno;
    KONO_USER_REQUIRE(err == 0, file_io, caller << ": writing \"" << m_path << "\" failed: " << std::strerror(err));
  }
  ~StagedFile() {
    if (!m_tmp.empty()) ::unlink(m_tmp.c_str());
  }
  StagedFile(StagedFile const&) = delete;
  StagedFile& operator=(StagedFile const&) = delete;

  void commit(char const* caller) {
    KONO_REQUIRE(!m_tmp.empty(), "StagedFile committed twice");
    if (std::rename(m_tmp.c_str(), m_path.c_str()) != 0)
      KONO_THROW(file_io, caller << ": cannot move the new file into place at \"" << m_path
                                 << "\": " << std::strerror(errno));
    m_tmp.clear();
  }
  std::string const& path() const noexcept { return m_path; }

 private:
  std::string m_path;
  std::string m_tmp;
};

/// VTK's XML serialisation of `data` into memory, so that kono does the file I/O itself (and
/// VTK's writer never prints half a file or an error of its own to the terminal).
template <class Writer, class Data>
std::string serialize(char const* caller, Data* data) {
  vtkNew<Writer> writer;
  writer->SetInputData(data);
  writer->SetWriteToOutputString(true);
  writer->SetDataModeToBinary();  // base64 inside the XML: valid XML, compressed with zlib
  writer->SetHeaderTypeToUInt64();
  writer->SetCompressorTypeToZLib();
  KONO_USER_REQUIRE(writer->Write() == 1, internal, caller << ": VTK's XML writer failed");
  return writer->GetOutputString();
}

// ---------------------------------------------------------------------------------------------
// Arrays

/// Checks names, components and lengths of `arrays` for `num_points` points described by `what`.
void check_arrays(char const* caller, std::vector<VtkPointArray> const& arrays, index_t num_points,
                  std::string const& what) {
  std::set<std::string> seen;
  for (std::size_t k = 0; k < arrays.size(); ++k) {
    VtkPointArray const& a = arrays[k];
    KONO_USER_REQUIRE(!a.name.empty(), invalid_argument, caller << ": point array " << k << " has an empty name");
    KONO_USER_REQUIRE(seen.insert(a.name).second, invalid_argument,
                      caller << ": two point arrays are named \"" << a.name << "\"");
    KONO_USER_REQUIRE(a.components >= 1, invalid_argument,
                      caller << ": point array \"" << a.name << "\" has " << a.components << " components, expected >= 1");
    index_t const expected = num_points * a.components;
    KONO_USER_REQUIRE(static_cast<index_t>(a.values.size()) == expected, size_mismatch,
                      caller << ": point array \"" << a.name << "\" has " << a.values.size() << " values, expected "
                             << expected << " = " << num_points << " points x " << a.components << " component"
                             << (a.components == 1 ? "" : "s") << " (" << what << ")");
  }
}

/// "input:1;abs_error:1" - what every rank of a parallel write must agree on.
std::string array_signature(std::vector<VtkPointArray> const& arrays) {
  std::ostringstream s;
  for (auto const& a : arrays) s << a.name << ":" << a.components << ";";
  return s.str();
}

std::string broadcast_string(MPI_Comm comm, std::string s) {
  int n = static_cast<int>(s.size());
  KONO_MPI_CHECK(MPI_Bcast(&n, 1, MPI_INT, 0, comm));
  s.resize(static_cast<std::size_t>(n));
  if (n > 0) KONO_MPI_CHECK(MPI_Bcast(&s[0], n, MPI_CHAR, 0, comm));
  return s;
}

/// A vtkDoubleArray with the C-order values of box `n` (kono axes) in VTK order (x = axis 0 fastest).
vtkSmartPointer<vtkDoubleArray> to_vtk_order(std::string const& name, int components, double const* values,
                                             Box const& n) {
  auto array = vtkSmartPointer<vtkDoubleArray>::New();
  array->SetName(name.c_str());
  array->SetNumberOfComponents(components);
  array->SetNumberOfTuples(static_cast<vtkIdType>(n[0] * n[1] * n[2]));
  double* dst = array->GetPointer(0);
  std::size_t const c = static_cast<std::size_t>(components);
  for (index_t i0 = 0; i0 < n[0]; ++i0)
    for (index_t i1 = 0; i1 < n[1]; ++i1)
      for (index_t i2 = 0; i2 < n[2]; ++i2) {
        std::size_t const src = static_cast<std::size_t>((i0 * n[1] + i1) * n[2] + i2) * c;
        std::size_t const tuple = static_cast<std::size_t>(i0 + n[0] * (i1 + n[1] * i2)) * c;
        std::copy(values + src, values + src + c, dst + tuple);
      }
  return array;
}

void add_arrays(vtkPointData* pd, std::vector<std::string> const& names, std::vector<int> const& components,
                std::vector<vtkSmartPointer<vtkDataArray>> const& arrays) {
  bool scalars_set = false;
  for (std::size_t k = 0; k < arrays.size(); ++k) {
    pd->AddArray(arrays[k]);
    if (!scalars_set && components[k] == 1) {
      pd->SetActiveScalars(names[k].c_str());
      scalars_set = true;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Grids

struct GridGeometry {
  Box extent{1, 1, 1};
  std::array<double, 3> origin{0, 0, 0};
  std::array<double, 3> spacing{1, 1, 1};
};

GridGeometry geometry_of(StructuredGrid const& grid) {
  GridGeometry g;
  for (int a = 0; a < grid.dim(); ++a) {
    auto const u = static_cast<std::size_t>(a);
    g.extent[u] = grid.extent(a);
    g.origin[u] = grid.origin(a);
    g.spacing[u] = grid.spacing(a);
  }
  return g;
}

/// ImageData for the nodes [lo, lo + n) of `g`; `values[k]` holds array k over that box in C order.
vtkSmartPointer<vtkImageData> make_image(GridGeometry const& g, Box const& lo, Box const& n,
                                         std::vector<VtkPointArray> const& arrays,
                                         std::vector<double const*> const& values) {
  auto image = vtkSmartPointer<vtkImageData>::New();
  image->SetExtent(static_cast<int>(lo[0]), static_cast<int>(lo[0] + n[0] - 1), static_cast<int>(lo[1]),
                   static_cast<int>(lo[1] + n[1] - 1), static_cast<int>(lo[2]), static_cast<int>(lo[2] + n[2] - 1));
  image->SetOrigin(g.origin.data());
  image->SetSpacing(g.spacing.data());
  std::vector<std::string> names;
  std::vector<int> comps;
  std::vector<vtkSmartPointer<vtkDataArray>> vtk_arrays;
  for (std::size_t k = 0; k < arrays.size(); ++k) {
    names.push_back(arrays[k].name);
    comps.push_back(arrays[k].components);
    vtk_arrays.push_back(to_vtk_order(arrays[k].name, arrays[k].components, values[k], n));
  }
  add_arrays(image->GetPointData(), names, comps, vtk_arrays);
  return image;
}

/// VTK extents and image indices are int: refuse grids beyond that.
void check_vtk_extent(char const* caller, GridGeometry const& g) {
  for (std::size_t a = 0; a < 3; ++a)
    KONO_USER_REQUIRE(g.extent[a] <= INT_MAX, unsupported,
                      caller << ": axis " << a << " has " << g.extent[a] << " nodes, more than VTK ImageData supports");
}

std::string box_string(Box const& b, Box const& n) {
  std::ostringstream s;
  s << "[" << b[0] << ", " << b[0] + n[0] << ") x [" << b[1] << ", " << b[1] + n[1] << ") x [" << b[2] << ", "
    << b[2] + n[2] << ")";
  return s.str();
}

// ---------------------------------------------------------------------------------------------
// Summary files (.pvti, .pvtu, .pvd): short XML, written by hand.

std::string xml_escape(std::string const& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

char const* byte_order() {
  std::uint16_t const one = 1;
  unsigned char first = 0;
  std::memcpy(&first, &one, 1);
  return first == 1 ? "LittleEndian" : "BigEndian";
}

void write_ppoint_data(std::ostream& os, std::vector<VtkPointArray> const& arrays) {
  os << "    <PPointData";
  for (auto const& a : arrays)
    if (a.components == 1) {
      os << " Scalars=\"" << xml_escape(a.name) << "\"";
      break;
    }
  os << ">\n";
  for (auto const& a : arrays)
    os << "      <PDataArray type=\"Float64\" Name=\"" << xml_escape(a.name) << "\" NumberOfComponents=\""
       << a.components << "\"/>\n";
  os << "    </PPointData>\n";
}

std::string file_name_of(std::string const& path) { return std::filesystem::path(path).filename().string(); }

/// Stages every rank's piece and rank 0's summary, then renames them all; on any rank's failure
/// every rank throws the same Error and removes what it already renamed.
void stage_and_commit(char const* caller, MPI_Comm comm, int rank, std::string const& piece_path,
                      std::function<std::string()> const& piece_content, std::string const& summary_path,
                      std::function<std::string()> const& summary_content) {
  std::unique_ptr<StagedFile> piece, summary;
  Impl::collective_check(comm, [&] {
    piece = std::make_unique<StagedFile>(caller, piece_path, piece_content());
    if (rank == 0) summary = std::make_unique<StagedFile>(caller, summary_path, summary_content());
  });
  bool piece_done = false;
  try {
    Impl::collective_check(comm, [&] {
      piece->commit(caller);
      piece_done = true;
      if (rank == 0) summary->commit(caller);
    });
  } catch (...) {
    if (piece_done) ::unlink(piece_path.c_str());
    throw;
  }
}

}  // namespace

// -----------------------------------------------------------------------------------------------

void write_vti(std::string const& path, StructuredGrid const& grid, std::vector<VtkPointArray> const& arrays) {
  char const* caller = "kono::write_vti";
  ProfilingRegion region(caller);
  KONO_USER_REQUIRE(grid.dim() >= 1, invalid_argument, caller << ": the grid is empty (default-constructed)");
  GridGeometry const g = geometry_of(grid);
  check_vtk_extent(caller, g);
  check_arrays(caller, arrays, grid.num_points(), "grid " + grid.to_string());
  check_target(caller, path);
  std::vector<double const*> values;
  for (auto const& a : arrays) values.push_back(a.values.data());
  auto image = make_image(g, Box{0, 0, 0}, g.extent, arrays, values);
  StagedFile file(caller, path, serialize<vtkXMLImageDataWriter>(caller, image.Get()));
  file.commit(caller);
}

std::string vtk_piece_path(std::string const& path, int rank) {
  auto const ends_with = [&](char const* suffix) {
    std::size_t const n = std::strlen(suffix);
    return path.size() > n && path.compare(path.size() - n, n, suffix) == 0;
  };
  KONO_USER_REQUIRE(ends_with(".pvti") || ends_with(".pvtu"), invalid_argument,
                    "kono::vtk_piece_path: \"" << path << "\" does not end in .pvti or .pvtu");
  KONO_USER_REQUIRE(rank >= 0, invalid_argument, "kono::vtk_piece_path: rank " << rank << " is negative");
  // "out/s.pvti" -> "out/s_3.vti": drop the "p" of the extension.
  return path.substr(0, path.size() - 5) + "_" + std::to_string(rank) + "." + path.substr(path.size() - 3);
}

void write_pvti(std::string const& path, StructuredGrid const& grid, VtkBlock const& owned,
                std::vector<VtkPointArray> const& arrays, MPI_Comm comm) {
  char const* caller = "kono::write_pvti";
  ProfilingRegion region(caller);
  int rank = 0, size = 1;
  KONO_MPI_CHECK(MPI_Comm_rank(comm, &rank));
  KONO_MPI_CHECK(MPI_Comm_size(comm, &size));
  auto const ranks = static_cast<std::size_t>(size);

  // 1. Every rank learns every block and rank 0's arrays before anything is checked, so that a
  //    failing check cannot leave another rank waiting in a collective.
  std::string const root_signature = broadcast_string(comm, array_signature(arrays));
  std::string const root_path = broadcast_string(comm, path);
  std::string const root_grid = broadcast_string(comm, grid.to_string());
  std::vector<index_t> blocks(6 * ranks);
  {
    index_t mine[6] = {owned.begin[0], owned.begin[1], owned.begin[2], owned.extent[0], owned.extent[1], owned.extent[2]};
    KONO_MPI_CHECK(MPI_Allgather(mine, 6, MPI_INT64_T, blocks.data(), 6, MPI_INT64_T, comm));
  }
  auto const begin_of = [&](std::size_t r) { return Box{blocks[6 * r], blocks[6 * r + 1], blocks[6 * r + 2]}; };
  auto const extent_of = [&](std::size_t r) { return Box{blocks[6 * r + 3], blocks[6 * r + 4], blocks[6 * r + 5]}; };

  GridGeometry g;
  Impl::collective_check(comm, [&] {
    KONO_USER_REQUIRE(grid.dim() >= 1, invalid_argument, caller << ": the grid is empty (default-constructed)");
    g = geometry_of(grid);
    check_vtk_extent(caller, g);
    KONO_USER_REQUIRE(root_path == path, invalid_argument,
                      caller << ": ranks disagree on the path (rank 0: \"" << root_path << "\", rank " << rank << ": \""
                             << path << "\")");
    KONO_USER_REQUIRE(path.size() > 5 && path.compare(path.size() - 5, 5, ".pvti") == 0, invalid_argument,
                      caller << ": \"" << path << "\" does not end in .pvti (ParaView chooses its reader by extension)");
    check_target(caller, path);
    KONO_USER_REQUIRE(root_grid == grid.to_string(), invalid_argument,
                      caller << ": ranks disagree on the grid (rank 0: " << root_grid << ", rank " << rank << ": "
                             << grid.to_string() << ")");
    KONO_USER_REQUIRE(root_signature == array_signature(arrays), invalid_argument,
                      caller << ": ranks disagree on the point arrays (rank 0: " << root_signature << " rank " << rank
                             << ": " << array_signature(arrays) << ")");
    // Every block inside the grid, none overlapping, together covering it (same verdict on all ranks).
    index_t covered = 0;
    for (std::size_t r = 0; r < ranks; ++r) {
      Box const b = begin_of(r), n = extent_of(r);
      for (std::size_t a = 0; a < 3; ++a)
        KONO_USER_REQUIRE(b[a] >= 0 && n[a] >= 1 && b[a] + n[a] <= g.extent[a], invalid_argument,
                          caller << ": rank " << r << "'s block " << box_string(b, n) << " is empty or outside the grid "
                                 << grid.to_string());
      covered += n[0] * n[1] * n[2];
      for (std::size_t s = 0; s < r; ++s) {
        Box const bs = begin_of(s), ns = extent_of(s);
        bool overlap = true;
        for (std::size_t a = 0; a < 3; ++a)
          overlap = overlap && std::max(b[a], bs[a]) < std::min(b[a] + n[a], bs[a] + ns[a]);
        KONO_USER_REQUIRE(!overlap, invalid_argument,
                          caller << ": the blocks of ranks " << s << " and " << r << " overlap (" << box_string(bs, ns)
                                 << " and " << box_string(b, n) << ")");
      }
    }
    KONO_USER_REQUIRE(covered == grid.num_points(), invalid_argument,
                      caller << ": the ranks' blocks cover " << covered << " nodes of the grid " << grid.to_string()
                             << " (" << grid.num_points() << " nodes)");
    check_arrays(caller, arrays, owned.extent[0] * owned.extent[1] * owned.extent[2],
                 "rank " + std::to_string(rank) + "'s block " + box_string(owned.begin, owned.extent));
  });

  // 2. Each piece holds its block plus the first node layer above it (VTK pieces of point data
  //    share their boundary nodes). Rank s sends rank r the part of its block inside r's piece.
  auto const piece_of = [&](std::size_t r, Box& lo, Box& n) {
    lo = begin_of(r);
    Box const e = extent_of(r);
    for (std::size_t a = 0; a < 3; ++a) n[a] = std::min(lo[a] + e[a] + 1, g.extent[a]) - lo[a];
  };
  // Intersection of a piece with a block; false when empty.
  auto const intersect = [](Box const& lo1, Box const& n1, Box const& lo2, Box const& n2, Box& lo, Box& n) {
    for (std::size_t a = 0; a < 3; ++a) {
      lo[a] = std::max(lo1[a], lo2[a]);
      index_t const hi = std::min(lo1[a] + n1[a], lo2[a] + n2[a]);
      if (hi <= lo[a]) return false;
      n[a] = hi - lo[a];
    }
    return true;
  };
  index_t total_components = 0;
  for (auto const& a : arrays) total_components += a.components;
  Box const my_begin = owned.begin, my_extent = owned.extent;
  Box piece_lo{}, piece_n{};
  piece_of(static_cast<std::size_t>(rank), piece_lo, piece_n);

  std::vector<index_t> send_counts(ranks, 0), recv_counts(ranks, 0);
  for (std::size_t r = 0; r < ranks; ++r) {
    Box lo{}, n{}, plo{}, pn{};
    piece_of(r, plo, pn);
    if (intersect(plo, pn, my_begin, my_extent, lo, n)) send_counts[r] = n[0] * n[1] * n[2] * total_components;
    if (intersect(piece_lo, piece_n, begin_of(r), extent_of(r), lo, n))
      recv_counts[r] = n[0] * n[1] * n[2] * total_components;
  }
  index_t send_total = 0, recv_total = 0;
  for (std::size_t r = 0; r < ranks; ++r) {
    send_total += send_counts[r];
    recv_total += recv_counts[r];
  }
  Impl::collective_check(comm, [&] {
    KONO_USER_REQUIRE(send_total <= INT_MAX && recv_total <= INT_MAX, unsupported,
                      caller << ": rank " << rank << "'s piece is too large for one MPI message");
  });

  std::vector<double> send(static_cast<std::size_t>(send_total)), recv(static_cast<std::size_t>(recv_total));
  std::vector<int> scount(ranks), sdispl(ranks), rcount(ranks), rdispl(ranks);
  {
    int so = 0, ro = 0;
    for (std::size_t r = 0; r < ranks; ++r) {
      scount[r] = static_cast<int>(send_counts[r]);
      rcount[r] = static_cast<int>(recv_counts[r]);
      sdispl[r] = so;
      rdispl[r] = ro;
      so += scount[r];
      ro += rcount[r];
    }
  }
  // Packing order per destination: array by array, the intersection box in C order, components contiguous.
  std::size_t k = 0;
  for (std::size_t r = 0; r < ranks; ++r) {
    Box lo{}, n{}, plo{}, pn{};
    piece_of(r, plo, pn);
    if (!intersect(plo, pn, my_begin, my_extent, lo, n)) continue;
    for (auto const& a : arrays) {
      std::size_t const c = static_cast<std::size_t>(a.components);
      for (index_t i0 = 0; i0 < n[0]; ++i0)
        for (index_t i1 = 0; i1 < n[1]; ++i1)
          for (index_t i2 = 0; i2 < n[2]; ++i2) {
            index_t const j0 = lo[0] + i0 - my_begin[0], j1 = lo[1] + i1 - my_begin[1], j2 = lo[2] + i2 - my_begin[2];
            std::size_t const src = static_cast<std::size_t>((j0 * my_extent[1] + j1) * my_extent[2] + j2) * c;
            for (std::size_t m = 0; m < c; ++m) send[k++] = a.values[src + m];
          }
    }
  }
  KONO_MPI_CHECK(MPI_Alltoallv(send.data(), scount.data(), sdispl.data(), MPI_DOUBLE, recv.data(), rcount.data(),
                               rdispl.data(), MPI_DOUBLE, comm));

  std::vector<std::vector<double>> piece_values(arrays.size());
  for (std::size_t q = 0; q < arrays.size(); ++q)
    piece_values[q].resize(static_cast<std::size_t>(piece_n[0] * piece_n[1] * piece_n[2] * arrays[q].components));
  k = 0;
  for (std::size_t r = 0; r < ranks; ++r) {
    Box lo{}, n{};
    if (!intersect(piece_lo, piece_n, begin_of(r), extent_of(r), lo, n)) continue;
    for (std::size_t q = 0; q < arrays.size(); ++q) {
      std::size_t const c = static_cast<std::size_t>(arrays[q].components);
      for (index_t i0 = 0; i0 < n[0]; ++i0)
        for (index_t i1 = 0; i1 < n[1]; ++i1)
          for (index_t i2 = 0; i2 < n[2]; ++i2) {
            index_t const j0 = lo[0] + i0 - piece_lo[0], j1 = lo[1] + i1 - piece_lo[1], j2 = lo[2] + i2 - piece_lo[2];
            std::size_t const dst = static_cast<std::size_t>((j0 * piece_n[1] + j1) * piece_n[2] + j2) * c;
            for (std::size_t m = 0; m < c; ++m) piece_values[q][dst + m] = recv[k++];
          }
    }
  }

  // 3. The piece (VTK) and the summary (rank 0, by hand), then the renames.
  auto const piece = [&] {
    std::vector<double const*> values;
    for (auto const& v : piece_values) values.push_back(v.data());
    auto image = make_image(g, piece_lo, piece_n, arrays, values);
    return serialize<vtkXMLImageDataWriter>(caller, image.Get());
  };
  auto const summary = [&] {
    std::ostringstream os;
    os << std::setprecision(17);
    os << "<?xml version=\"1.0\"?>\n<VTKFile type=\"PImageData\" version=\"1.0\" byte_order=\"" << byte_order()
       << "\" header_type=\"UInt64\">\n";
    os << "  <PImageData WholeExtent=\"0 " << g.extent[0] - 1 << " 0 " << g.extent[1] - 1 << " 0 " << g.extent[2] - 1
       << "\" GhostLevel=\"0\" Origin=\"" << g.origin[0] << " " << g.origin[1] << " " << g.origin[2] << "\" Spacing=\""
       << g.spacing[0] << " " << g.spacing[1] << " " << g.spacing[2] << "\" Direction=\"1 0 0 0 1 0 0 0 1\">\n";
    write_ppoint_data(os, arrays);
    for (std::size_t r = 0; r < ranks; ++r) {
      Box lo{}, n{};
      piece_of(r, lo, n);
      os << "    <Piece Extent=\"" << lo[0] << " " << lo[0] + n[0] - 1 << " " << lo[1] << " " << lo[1] + n[1] - 1 << " "
         << lo[2] << " " << lo[2] + n[2] - 1 << "\" Source=\""
         << xml_escape(file_name_of(vtk_piece_path(path, static_cast<int>(r))))
         << "\"/>\n";
    }
    os << "  </PImageData>\n</VTKFile>\n";
    return os.str();
  };
  stage_and_commit(caller, comm, rank, vtk_piece_path(path, rank), piece, path, summary);
}

void write_pvti(std::string const& path, GridDecomposition const& decomposition,
                std::vector<VtkPointArray> const& arrays) {
  VtkBlock owned;
  for (int a = 0; a < 3; ++a) {
    owned.begin[static_cast<std::size_t>(a)] = decomposition.local_begin(a);
    owned.extent[static_cast<std::size_t>(a)] = decomposition.local_extent(a);
  }
  write_pvti(path, decomposition.grid(), owned, arrays, decomposition.comm());
}

// -----------------------------------------------------------------------------------------------
// Triangle meshes

namespace {

void check_mesh(char const* caller, VtkTriangleMesh const& mesh) {
  KONO_USER_REQUIRE(mesh.point_dim == 2 || mesh.point_dim == 3, invalid_argument,
                    caller << ": point_dim is " << mesh.point_dim << ", expected 2 or 3");
  KONO_USER_REQUIRE(mesh.points.size() % static_cast<std::size_t>(mesh.point_dim) == 0, size_mismatch,
                    caller << ": " << mesh.points.size() << " point coordinates are not a multiple of point_dim "
                           << mesh.point_dim);
  KONO_USER_REQUIRE(mesh.triangles.size() % 3 == 0, size_mismatch,
                    caller << ": " << mesh.triangles.size() << " triangle indices are not a multiple of 3");
  index_t const n = mesh.num_points();
  for (std::size_t k = 0; k < mesh.triangles.size(); ++k)
    KONO_USER_REQUIRE(mesh.triangles[k] >= 0 && mesh.triangles[k] < n, invalid_argument,
                      caller << ": triangle " << k / 3 << " refers to point " << mesh.triangles[k] << ", the mesh has "
                             << n << " points");
}

vtkSmartPointer<vtkUnstructuredGrid> make_mesh(VtkTriangleMesh const& mesh, std::vector<VtkPointArray> const& arrays) {
  auto grid = vtkSmartPointer<vtkUnstructuredGrid>::New();
  vtkNew<vtkPoints> points;
  points->SetDataTypeToDouble();
  index_t const n = mesh.num_points();
  points->SetNumberOfPoints(static_cast<vtkIdType>(n));
  std::size_t const d = static_cast<std::size_t>(mesh.point_dim);
  for (index_t i = 0; i < n; ++i) {
    double const* p = mesh.points.data() + static_cast<std::size_t>(i) * d;
    points->SetPoint(static_cast<vtkIdType>(i), p[0], p[1], d == 3 ? p[2] : 0.0);
  }
  grid->SetPoints(points);
  grid->Allocate(static_cast<vtkIdType>(mesh.num_triangles()));
  for (index_t t = 0; t < mesh.num_triangles(); ++t) {
    vtkIdType ids[3];
    for (std::size_t m = 0; m < 3; ++m) ids[m] = static_cast<vtkIdType>(mesh.triangles[static_cast<std::size_t>(3 * t) + m]);
    grid->InsertNextCell(VTK_TRIANGLE, 3, ids);
  }
  std::vector<std::string> names;
  std::vector<int> comps;
  std::vector<vtkSmartPointer<vtkDataArray>> vtk_arrays;
  for (auto const& a : arrays) {
    auto array = vtkSmartPointer<vtkDoubleArray>::New();
    array->SetName(a.name.c_str());
    array->SetNumberOfComponents(a.components);
    array->SetNumberOfTuples(static_cast<vtkIdType>(n));
    std::copy(a.values.begin(), a.values.end(), array->GetPointer(0));
    names.push_back(a.name);
    comps.push_back(a.components);
    vtk_arrays.push_back(array);
  }
  add_arrays(grid->GetPointData(), names, comps, vtk_arrays);
  return grid;
}

std::string mesh_what(VtkTriangleMesh const& mesh) {
  return "mesh of " + std::to_string(mesh.num_points()) + " points";
}

}  // namespace

void write_vtu(std::string const& path, VtkTriangleMesh const& mesh, std::vector<VtkPointArray> const& arrays) {
  char const* caller = "kono::write_vtu";
  ProfilingRegion region(caller);
  check_mesh(caller, mesh);
  check_arrays(caller, arrays, mesh.num_points(), mesh_what(mesh));
  check_target(caller, path);
  auto grid = make_mesh(mesh, arrays);
  StagedFile file(caller, path, serialize<vtkXMLUnstructuredGridWriter>(caller, grid.Get()));
  file.commit(caller);
}

void write_pvtu(std::string const& path, VtkTriangleMesh const& local_mesh,
                std::vector<VtkPointArray> const& local_arrays, MPI_Comm comm) {
  char const* caller = "kono::write_pvtu";
  ProfilingRegion region(caller);
  int rank = 0, size = 1;
  KONO_MPI_CHECK(MPI_Comm_rank(comm, &rank));
  KONO_MPI_CHECK(MPI_Comm_size(comm, &size));
  auto const piece_of = [&](int r) { return vtk_piece_path(path, r); };

  std::string const root_signature = broadcast_string(comm, array_signature(local_arrays));
  std::string const root_path = broadcast_string(comm, path);
  Impl::collective_check(comm, [&] {
    KONO_USER_REQUIRE(root_path == path, invalid_argument,
                      caller << ": ranks disagree on the path (rank 0: \"" << root_path << "\", rank " << rank << ": \""
                             << path << "\")");
    KONO_USER_REQUIRE(root_signature == array_signature(local_arrays), invalid_argument,
                      caller << ": ranks disagree on the point arrays (rank 0: " << root_signature << " rank " << rank
                             << ": " << array_signature(local_arrays) << ")");
    KONO_USER_REQUIRE(path.size() > 5 && path.compare(path.size() - 5, 5, ".pvtu") == 0, invalid_argument,
                      caller << ": \"" << path << "\" does not end in .pvtu (ParaView chooses its reader by extension)");
    check_target(caller, path);
    check_mesh(caller, local_mesh);
    check_arrays(caller, local_arrays, local_mesh.num_points(),
                 "rank " + std::to_string(rank) + "'s " + mesh_what(local_mesh));
  });

  auto const piece = [&] {
    auto grid = make_mesh(local_mesh, local_arrays);
    return serialize<vtkXMLUnstructuredGridWriter>(caller, grid.Get());
  };
  auto const summary = [&] {
    std::ostringstream os;
    os << "<?xml version=\"1.0\"?>\n<VTKFile type=\"PUnstructuredGrid\" version=\"1.0\" byte_order=\"" << byte_order()
       << "\" header_type=\"UInt64\">\n  <PUnstructuredGrid GhostLevel=\"0\">\n";
    write_ppoint_data(os, local_arrays);
    os << "    <PPoints>\n      <PDataArray type=\"Float64\" Name=\"Points\" NumberOfComponents=\"3\"/>\n"
          "    </PPoints>\n";
    for (int r = 0; r < size; ++r) os << "    <Piece Source=\"" << xml_escape(file_name_of(piece_of(r))) << "\"/>\n";
    os << "  </PUnstructuredGrid>\n</VTKFile>\n";
    return os.str();
  };
  stage_and_commit(caller, comm, rank, piece_of(rank), piece, path, summary);
}

// -----------------------------------------------------------------------------------------------

void write_pvd(std::string const& path, std::vector<VtkCollectionEntry> const& entries) {
  char const* caller = "kono::write_pvd";
  ProfilingRegion region(caller);
  for (std::size_t k = 0; k < entries.size(); ++k)
    KONO_USER_REQUIRE(!entries[k].file.empty(), invalid_argument, caller << ": entry " << k << " has no file name");
  check_target(caller, path);
  std::ostringstream os;
  os << std::setprecision(17);
  os << "<?xml version=\"1.0\"?>\n<VTKFile type=\"Collection\" version=\"0.1\" byte_order=\"" << byte_order()
     << "\">\n  <Collection>\n";
  for (auto const& e : entries)
    os << "    <DataSet timestep=\"" << e.timestep << "\" group=\"\" part=\"" << e.part << "\" file=\""
       << xml_escape(e.file) << "\"/>\n";
  os << "  </Collection>\n</VTKFile>\n";
  StagedFile file(caller, path, os.str());
  file.commit(caller);
}

}  // namespace kono
