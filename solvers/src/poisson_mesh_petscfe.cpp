// DMPlex + PetscFE assembly for PoissonMeshSolver (assembly = "petscfe"): the weak form
// int a grad u . grad v - f v = 0 as PetscDS pointwise functions, a and f a P1 auxiliary field,
// u = g on the boundary vertices an essential condition (DMAddBoundary), assembled by
// DMPlexSNESComputeJacobianFEM / DMPlexSNESComputeResidualFEM on PETSC_COMM_SELF.
#include "poisson_mesh_petscfe.hpp"

#include <petscdmplex.h>
#include <petscds.h>
#include <petscfe.h>
#include <petscsnes.h>

#include <kono/core/error.hpp>
#include <kono/solvers/petsc_runtime.hpp>

namespace kono::detail {
namespace {

// Auxiliary field components: 0 the coefficient a, 1 the source f.
void f0_source(PetscInt, PetscInt, PetscInt, PetscInt const[], PetscInt const[], PetscScalar const[],
               PetscScalar const[], PetscScalar const[], PetscInt const aOff[], PetscInt const[],
               PetscScalar const aux[], PetscScalar const[], PetscScalar const[], PetscReal, PetscReal const[],
               PetscInt, PetscScalar const[], PetscScalar f0[]) {
  f0[0] = -aux[aOff[0] + 1];
}

void f1_flux(PetscInt dim, PetscInt, PetscInt, PetscInt const[], PetscInt const[], PetscScalar const[],
             PetscScalar const[], PetscScalar const u_x[], PetscInt const aOff[], PetscInt const[],
             PetscScalar const aux[], PetscScalar const[], PetscScalar const[], PetscReal, PetscReal const[], PetscInt,
             PetscScalar const[], PetscScalar f1[]) {
  for (PetscInt d = 0; d < dim; ++d) f1[d] = aux[aOff[0]] * u_x[d];
}

void g3_coefficient(PetscInt dim, PetscInt, PetscInt, PetscInt const[], PetscInt const[], PetscScalar const[],
                    PetscScalar const[], PetscScalar const[], PetscInt const aOff[], PetscInt const[],
                    PetscScalar const aux[], PetscScalar const[], PetscScalar const[], PetscReal, PetscReal,
                    PetscReal const[], PetscInt, PetscScalar const[], PetscScalar g3[]) {
  for (PetscInt d = 0; d < dim; ++d) g3[d * dim + d] = aux[aOff[0]];
}

// The essential condition only marks the boundary dofs; their nodal values g are written into the
// local vector directly (a coordinate function cannot carry nodal data).
PetscErrorCode zero_bc(PetscInt, PetscReal, PetscReal const[], PetscInt nc, PetscScalar* u, void*) {
  for (PetscInt c = 0; c < nc; ++c) u[c] = 0;
  return 0;
}

struct Objects {
  DM dm = nullptr, aux_dm = nullptr;
  PetscFE fe = nullptr, aux_fe = nullptr;
  Vec aux = nullptr, xl = nullptr, fl = nullptr;
  ~Objects() {
    VecDestroy(&fl);
    VecDestroy(&xl);
    VecDestroy(&aux);
    PetscFEDestroy(&aux_fe);
    PetscFEDestroy(&fe);
    DMDestroy(&aux_dm);
    DMDestroy(&dm);
  }
};

}  // namespace

void assemble_poisson_petscfe(TriangleMesh const& mesh, std::vector<double> const& a, std::vector<double> const& f,
                              std::vector<double> const& g, Mat* A, Vec* b, std::vector<PetscInt>& row) {
  char const* fq = "kono::PoissonMeshSolver (assembly petscfe)";
  PetscInt const nv = PetscInt(mesh.node_count()), nc = PetscInt(mesh.cell_count());
  std::vector<PetscInt> cells(mesh.cells.begin(), mesh.cells.end());
  Objects o;
  // Not interpolated (cells and vertices only): P1 has no edge dofs, so a cell's closure needs
  // just its vertices; without the edges, 40 samples at resolution 65 took 2.4 s instead of 3.7 s.
  // test_poisson_mesh compares the result with the direct assembly.
  KONO_PETSC_CHECK(DMPlexCreateFromCellListPetsc(PETSC_COMM_SELF, 2, nc, nv, 3, PETSC_FALSE, cells.data(), 2,
                                                 mesh.nodes.data(), &o.dm));
  PetscInt v0 = 0, v1 = 0;
  KONO_PETSC_CHECK(DMPlexGetDepthStratum(o.dm, 0, &v0, &v1));
  KONO_REQUIRE(v1 - v0 == nv, fq << ": DMPlex has " << (v1 - v0) << " vertices, the mesh " << nv);
  {
    // Vertex v0 + i must be node i (DMPlexCreateFromCellList keeps the order; checked, as every
    // nodal array below relies on it).
    PetscSection cs = nullptr;
    Vec coords = nullptr;
    PetscScalar const* c = nullptr;
    KONO_PETSC_CHECK(DMGetCoordinateSection(o.dm, &cs));
    KONO_PETSC_CHECK(DMGetCoordinatesLocal(o.dm, &coords));
    KONO_PETSC_CHECK(VecGetArrayRead(coords, &c));
    bool same = true;
    for (PetscInt i = 0; i < nv && same; ++i) {
      PetscInt off = 0;
      KONO_PETSC_CHECK(PetscSectionGetOffset(cs, v0 + i, &off));
      same = PetscRealPart(c[off]) == mesh.nodes[std::size_t(2 * i)] &&
             PetscRealPart(c[off + 1]) == mesh.nodes[std::size_t(2 * i + 1)];
    }
    KONO_PETSC_CHECK(VecRestoreArrayRead(coords, &c));
    KONO_REQUIRE(same, fq << ": DMPlex renumbered the mesh vertices");
  }

  KONO_PETSC_CHECK(DMCreateLabel(o.dm, "kono_dirichlet"));
  DMLabel label = nullptr;
  KONO_PETSC_CHECK(DMGetLabel(o.dm, "kono_dirichlet", &label));
  for (PetscInt i = 0; i < nv; ++i)
    if (mesh.boundary[std::size_t(i)]) KONO_PETSC_CHECK(DMLabelSetValue(label, v0 + i, 1));

  // The auxiliary DM shares the topology; its field (a, f) uses the solution's quadrature.
  KONO_PETSC_CHECK(DMClone(o.dm, &o.aux_dm));
  KONO_PETSC_CHECK(PetscFECreateLagrange(PETSC_COMM_SELF, 2, 1, PETSC_TRUE, 1, PETSC_DETERMINE, &o.fe));
  KONO_PETSC_CHECK(PetscObjectSetName(reinterpret_cast<PetscObject>(o.fe), "u"));
  KONO_PETSC_CHECK(PetscFECreateLagrange(PETSC_COMM_SELF, 2, 2, PETSC_TRUE, 1, PETSC_DETERMINE, &o.aux_fe));
  KONO_PETSC_CHECK(PetscObjectSetName(reinterpret_cast<PetscObject>(o.aux_fe), "a_f"));
  KONO_PETSC_CHECK(PetscFECopyQuadrature(o.fe, o.aux_fe));

  KONO_PETSC_CHECK(DMSetField(o.dm, 0, nullptr, reinterpret_cast<PetscObject>(o.fe)));
  KONO_PETSC_CHECK(DMCreateDS(o.dm));
  PetscDS ds = nullptr;
  KONO_PETSC_CHECK(DMGetDS(o.dm, &ds));
  KONO_PETSC_CHECK(PetscDSSetResidual(ds, 0, f0_source, f1_flux));
  KONO_PETSC_CHECK(PetscDSSetJacobian(ds, 0, 0, nullptr, nullptr, nullptr, g3_coefficient));
  PetscInt const one = 1;
  KONO_PETSC_CHECK(DMAddBoundary(o.dm, DM_BC_ESSENTIAL, "dirichlet", label, 1, &one, 0, 0, nullptr,
                                 reinterpret_cast<void (*)(void)>(zero_bc), nullptr, nullptr, nullptr));

  KONO_PETSC_CHECK(DMSetField(o.aux_dm, 0, nullptr, reinterpret_cast<PetscObject>(o.aux_fe)));
  KONO_PETSC_CHECK(DMCreateDS(o.aux_dm));
  KONO_PETSC_CHECK(DMCreateLocalVector(o.aux_dm, &o.aux));
  PetscSection as = nullptr, ls = nullptr, gs = nullptr;
  KONO_PETSC_CHECK(DMGetLocalSection(o.aux_dm, &as));
  KONO_PETSC_CHECK(DMGetLocalSection(o.dm, &ls));
  KONO_PETSC_CHECK(DMGetGlobalSection(o.dm, &gs));
  PetscInt aux_size = 0, local_size = 0;
  KONO_PETSC_CHECK(PetscSectionGetStorageSize(as, &aux_size));
  KONO_PETSC_CHECK(PetscSectionGetStorageSize(ls, &local_size));
  KONO_REQUIRE(local_size == nv && aux_size == 2 * nv,
               fq << ": the PetscFE spaces have " << local_size << " and " << aux_size << " dofs on a mesh of " << nv
                  << " nodes, expected one per node and component (P1)");
  {
    PetscScalar* av = nullptr;
    KONO_PETSC_CHECK(VecGetArray(o.aux, &av));
    for (PetscInt i = 0; i < nv; ++i) {
      PetscInt off = 0;
      KONO_PETSC_CHECK(PetscSectionGetOffset(as, v0 + i, &off));
      av[off] = a[std::size_t(i)];
      av[off + 1] = f[std::size_t(i)];
    }
    KONO_PETSC_CHECK(VecRestoreArray(o.aux, &av));
  }
  KONO_PETSC_CHECK(DMSetAuxiliaryVec(o.dm, nullptr, 0, 0, o.aux));

  // Local state: 0 inside, g on the boundary; the residual there is -(b - A u_interior) at u = 0.
  KONO_PETSC_CHECK(DMCreateLocalVector(o.dm, &o.xl));
  KONO_PETSC_CHECK(VecDuplicate(o.xl, &o.fl));
  row.assign(std::size_t(nv), -1);
  PetscInt interior = 0;
  {
    PetscScalar* xv = nullptr;
    KONO_PETSC_CHECK(VecSet(o.xl, 0.0));
    KONO_PETSC_CHECK(VecGetArray(o.xl, &xv));
    for (PetscInt i = 0; i < nv; ++i) {
      PetscInt off = 0, dof = 0, cdof = 0;
      KONO_PETSC_CHECK(PetscSectionGetOffset(ls, v0 + i, &off));
      if (mesh.boundary[std::size_t(i)]) xv[off] = g.empty() ? 0.0 : g[std::size_t(i)];
      KONO_PETSC_CHECK(PetscSectionGetDof(gs, v0 + i, &dof));
      KONO_PETSC_CHECK(PetscSectionGetConstraintDof(gs, v0 + i, &cdof));
      if (dof - cdof > 0) {
        KONO_PETSC_CHECK(PetscSectionGetOffset(gs, v0 + i, &row[std::size_t(i)]));
        ++interior;
      }
    }
    KONO_PETSC_CHECK(VecRestoreArray(o.xl, &xv));
  }
  KONO_PETSC_CHECK(DMCreateMatrix(o.dm, A));
  KONO_PETSC_CHECK(DMCreateGlobalVector(o.dm, b));
  PetscInt rows = 0;
  KONO_PETSC_CHECK(VecGetSize(*b, &rows));
  {
    // Every interior node owns one distinct row, boundary nodes none.
    std::vector<char> seen(std::size_t(rows), 0);
    bool ok = interior == rows;
    for (PetscInt i = 0; i < nv && ok; ++i) {
      PetscInt const r = row[std::size_t(i)];
      if (r < 0) {
        ok = mesh.boundary[std::size_t(i)] != 0;
        continue;
      }
      ok = !mesh.boundary[std::size_t(i)] && r < rows && !seen[std::size_t(r)];
      if (ok) seen[std::size_t(r)] = 1;
    }
    KONO_REQUIRE(ok, fq << ": the DMPlex global section does not map the " << interior << " interior nodes onto its "
                        << rows << " rows");
  }
  KONO_PETSC_CHECK(MatZeroEntries(*A));
  KONO_PETSC_CHECK(DMPlexSNESComputeJacobianFEM(o.dm, o.xl, *A, *A, nullptr));
  KONO_PETSC_CHECK(VecZeroEntries(o.fl));
  KONO_PETSC_CHECK(DMPlexSNESComputeResidualFEM(o.dm, o.xl, o.fl, nullptr));
  KONO_PETSC_CHECK(VecZeroEntries(*b));
  KONO_PETSC_CHECK(DMLocalToGlobal(o.dm, o.fl, ADD_VALUES, *b));
  KONO_PETSC_CHECK(VecScale(*b, -1.0));
}

}  // namespace kono::detail
