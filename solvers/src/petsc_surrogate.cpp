#include <string>
#include <vector>

#include <kono/core/error.hpp>
#include <kono/solvers/petsc_runtime.hpp>
#include <kono/solvers/petsc_surrogate.hpp>

namespace kono {

namespace {
// Grid of a DMDA in C order (slowest first) plus its dof.
struct DMDAGrid {
  PetscInt dim = 0, dof = 0;
  std::vector<index_t> extents;  // [z,] y, x
};

DMDAGrid dmda_grid(DM da, char const* which) {
  KONO_USER_REQUIRE(da != nullptr, invalid_argument, "kono::DMDASurrogate: " << which << " DM is null");
  PetscBool is_da = PETSC_FALSE;
  KONO_PETSC_CHECK(PetscObjectTypeCompare(reinterpret_cast<PetscObject>(da), DMDA, &is_da));
  KONO_USER_REQUIRE(is_da, invalid_argument, "kono::DMDASurrogate: " << which << " DM is not a DMDA");
  DMDAGrid g;
  PetscInt M = 0, N = 0, P = 0;
  KONO_PETSC_CHECK(DMDAGetInfo(da, &g.dim, &M, &N, &P, nullptr, nullptr, nullptr, &g.dof, nullptr, nullptr, nullptr,
                               nullptr, nullptr));
  if (g.dim == 1) g.extents = {M};
  if (g.dim == 2) g.extents = {N, M};
  if (g.dim == 3) g.extents = {P, N, M};
  return g;
}

// Shares an error raised on `root` with every rank of comm, so no rank waits in a collective.
void share_error(MPI_Comm comm, int root, int rank, ErrorCode code, std::string message) {
  int c = static_cast<int>(code);
  MPI_Bcast(&c, 1, MPI_INT, root, comm);
  if (c == 0) return;
  int n = int(message.size());
  MPI_Bcast(&n, 1, MPI_INT, root, comm);
  message.resize(std::size_t(n));
  MPI_Bcast(message.data(), n, MPI_CHAR, root, comm);
  (void)rank;
  throw Error(static_cast<ErrorCode>(c), message);
}
}  // namespace

DMDASurrogate::DMDASurrogate(Surrogate const& model, DM da_in, DM da_out) : m_model(model) {
  DMDAGrid const gi = dmda_grid(da_in, "input");
  DMDAGrid const go = dmda_grid(da_out, "output");
  std::string const& path = model.path();
  KONO_USER_REQUIRE(gi.dim == model.dimension(), size_mismatch,
                    "kono::DMDASurrogate: the DMDA is " << gi.dim << "D; \"" << path << "\" is a " << model.dimension()
                                                        << "D model");
  KONO_USER_REQUIRE(gi.extents == go.extents, size_mismatch,
                    "kono::DMDASurrogate: the input and output DMDAs have different grids");
  std::vector<index_t> in{1, gi.dof};
  in.insert(in.end(), gi.extents.begin(), gi.extents.end());
  m_in_shape = Shape(in);
  m_out_shape = model.output_shape(m_in_shape);  // checks dof == in_channels and the extents
  KONO_USER_REQUIRE(m_out_shape.tail(2) == m_in_shape.tail(2), size_mismatch,
                    "kono::DMDASurrogate: \"" << path << "\" maps grid " << m_in_shape.tail(2).to_string() << " to "
                                              << m_out_shape.tail(2).to_string() << "; a DMDA needs the same grid");
  KONO_USER_REQUIRE(go.dof == m_out_shape[1], size_mismatch,
                    "kono::DMDASurrogate: the output DMDA has dof " << go.dof << "; \"" << path << "\" produces "
                                                                    << m_out_shape[1] << " channels");
  m_da_in = da_in;
  m_da_out = da_out;
  KONO_PETSC_CHECK(PetscObjectReference(reinterpret_cast<PetscObject>(m_da_in)));
  KONO_PETSC_CHECK(PetscObjectReference(reinterpret_cast<PetscObject>(m_da_out)));
  MPI_Comm comm = PetscObjectComm(reinterpret_cast<PetscObject>(da_in));
  MPI_Comm_rank(comm, &m_rank);
  KONO_PETSC_CHECK(DMDACreateNaturalVector(m_da_in, &m_nat_in));
  KONO_PETSC_CHECK(DMDACreateNaturalVector(m_da_out, &m_nat_out));
  KONO_PETSC_CHECK(VecScatterCreateToZero(m_nat_in, &m_to_zero_in, &m_seq_in));
  KONO_PETSC_CHECK(VecScatterCreateToZero(m_nat_out, &m_to_zero_out, &m_seq_out));
}

DMDASurrogate::~DMDASurrogate() {
  // PETSc errors cannot be thrown from a destructor; they are ignored.
  VecScatterDestroy(&m_to_zero_in);
  VecScatterDestroy(&m_to_zero_out);
  VecDestroy(&m_seq_in);
  VecDestroy(&m_seq_out);
  VecDestroy(&m_nat_in);
  VecDestroy(&m_nat_out);
  DMDestroy(&m_da_in);
  DMDestroy(&m_da_out);
}

void DMDASurrogate::apply(Vec in, Vec out) const {
  KONO_USER_REQUIRE(in != nullptr && out != nullptr && in != out, invalid_argument,
                    "kono::DMDASurrogate::apply: `in` and `out` must be two distinct Vecs");
  MPI_Comm comm = PetscObjectComm(reinterpret_cast<PetscObject>(m_da_in));
  // 1. Global (DMDA decomposition) -> natural ordering -> everything on rank 0.
  KONO_PETSC_CHECK(DMDAGlobalToNaturalBegin(m_da_in, in, INSERT_VALUES, m_nat_in));
  KONO_PETSC_CHECK(DMDAGlobalToNaturalEnd(m_da_in, in, INSERT_VALUES, m_nat_in));
  KONO_PETSC_CHECK(VecScatterBegin(m_to_zero_in, m_nat_in, m_seq_in, INSERT_VALUES, SCATTER_FORWARD));
  KONO_PETSC_CHECK(VecScatterEnd(m_to_zero_in, m_nat_in, m_seq_in, INSERT_VALUES, SCATTER_FORWARD));

  // 2. The model on rank 0: natural [grid..., dof] <-> model [1, dof, grid...].
  ErrorCode code{};
  std::string message;
  if (m_rank == 0) {
    try {
      index_t const ci = m_in_shape[1], co = m_out_shape[1];
      index_t const points = m_in_shape.size() / ci;
      std::vector<PetscScalar> x(std::size_t(m_in_shape.size())), y(std::size_t(m_out_shape.size()));
      PetscScalar const* s = nullptr;
      KONO_PETSC_CHECK(VecGetArrayRead(m_seq_in, &s));
      for (index_t p = 0; p < points; ++p)
        for (index_t c = 0; c < ci; ++c) x[std::size_t(c * points + p)] = s[p * ci + c];
      KONO_PETSC_CHECK(VecRestoreArrayRead(m_seq_in, &s));
      std::vector<index_t> const ext = m_in_shape.tail(2).to_vector();
      m_model.apply<PetscScalar>(1, int(ci), ext.data(), x.data(), y.data());
      PetscScalar* t = nullptr;
      KONO_PETSC_CHECK(VecGetArray(m_seq_out, &t));
      for (index_t p = 0; p < points; ++p)
        for (index_t c = 0; c < co; ++c) t[p * co + c] = y[std::size_t(c * points + p)];
      KONO_PETSC_CHECK(VecRestoreArray(m_seq_out, &t));
    } catch (Error const& e) {
      code = e.code();
      message = e.what();
    } catch (std::exception const& e) {
      code = ErrorCode::internal;
      message = std::string("kono::DMDASurrogate::apply: ") + e.what();
    }
  }
  share_error(comm, 0, m_rank, code, message);

  // 3. Back: rank 0 -> natural ordering -> DMDA decomposition.
  KONO_PETSC_CHECK(VecScatterBegin(m_to_zero_out, m_seq_out, m_nat_out, INSERT_VALUES, SCATTER_REVERSE));
  KONO_PETSC_CHECK(VecScatterEnd(m_to_zero_out, m_seq_out, m_nat_out, INSERT_VALUES, SCATTER_REVERSE));
  KONO_PETSC_CHECK(DMDANaturalToGlobalBegin(m_da_out, m_nat_out, INSERT_VALUES, out));
  KONO_PETSC_CHECK(DMDANaturalToGlobalEnd(m_da_out, m_nat_out, INSERT_VALUES, out));
}

double rescale_initial_guess(Mat A, Vec b, Vec x) {
  // alpha minimises the energy norm of the error, ||u* - alpha x||_A, which is what CG reduces;
  // the residual norm would be dominated by the guess's high-frequency roughness (A ~ h^-2).
  Vec ax = nullptr;
  KONO_PETSC_CHECK(VecDuplicate(x, &ax));
  KONO_PETSC_CHECK(MatMult(A, x, ax));
  PetscScalar bx = 0, xax = 0;
  KONO_PETSC_CHECK(VecDot(b, x, &bx));
  KONO_PETSC_CHECK(VecDot(x, ax, &xax));
  KONO_PETSC_CHECK(VecDestroy(&ax));
  double const alpha = xax > 0 ? double(bx / xax) : 0.0;
  KONO_PETSC_CHECK(VecScale(x, alpha));
  return alpha;
}

}  // namespace kono
