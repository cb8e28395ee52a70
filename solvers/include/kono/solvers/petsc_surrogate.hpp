#pragma once
/// PETSc adapter of kono::Surrogate: applies a model to a field stored in a distributed Vec on a
/// DMDA, e.g. to give KSP an initial guess (KSPSetInitialGuessNonzero).
#include <petscdmda.h>
#include <petscksp.h>

#include <kono/core/shape.hpp>
#include <kono/operators/inference.hpp>

namespace kono {

/// Model input and output live on DMDAs of the same grid (dof = in_channels on the input DMDA,
/// dof = out_channels on the output DMDA; they may be the same DM when the counts agree).
///
/// Layout: PETSc's natural ordering of a DMDA is C order [z][y][x][dof]; the model sees the
/// tensor [1, dof, z, y, x] (2D: [1, dof, y, x]), i.e. model axis 0 is the slowest DMDA axis.
///
/// Parallel strategy (the simplest correct one): the global field is gathered in natural
/// ordering onto one rank (`root`, VecScatterCreateToZero), the model runs there, and the result
/// is scattered back to the DMDA's decomposition. Other ranks wait. This is right for grids that
/// fit one rank's memory, which is the case for the surrogates kono trains; the scatter costs
/// two passes over the field per apply.
class DMDASurrogate {
 public:
  /// Checks the DMDAs against the model (dimension, dof vs channels, grid accepted and mapped
  /// to itself) and builds the scatters. Collective on the DMs' communicator. `model` must
  /// outlive this object (it is kept by reference). Throws Error{size_mismatch} naming the
  /// model file, Error{invalid_argument} (not a DMDA), Error{internal} (PETSc failure).
  DMDASurrogate(Surrogate const& model, DM da_in, DM da_out);
  DMDASurrogate(Surrogate const& model, DM da) : DMDASurrogate(model, da, da) {}
  ~DMDASurrogate();  ///< collective (destroys PETSc objects)
  DMDASurrogate(DMDASurrogate const&) = delete;
  DMDASurrogate& operator=(DMDASurrogate const&) = delete;

  /// out <- model(in); in is a global Vec of da_in, out a global Vec of da_out (distinct Vecs).
  /// Collective on the DMs' communicator; the model runs on rank 0 of it. Throws as above.
  void apply(Vec in, Vec out) const;

  Shape const& input_shape() const noexcept { return m_in_shape; }    ///< [1, dof_in, grid...]
  Shape const& output_shape() const noexcept { return m_out_shape; }  ///< [1, dof_out, grid...]

 private:
  Surrogate const& m_model;
  DM m_da_in = nullptr, m_da_out = nullptr;
  Shape m_in_shape, m_out_shape;
  Vec m_nat_in = nullptr, m_nat_out = nullptr;  // natural-ordering global Vecs
  Vec m_seq_in = nullptr, m_seq_out = nullptr;  // whole field on rank 0 (length 0 elsewhere)
  VecScatter m_to_zero_in = nullptr, m_to_zero_out = nullptr;
  int m_rank = 0;
};

/// Scales the initial guess x by alpha = (b, x) / (x, A x), the factor that minimises the
/// energy norm ||u* - alpha x||_A of the error for a symmetric positive definite A (the norm CG
/// minimises), and returns alpha. A surrogate trained on differently scaled data (other
/// coefficient values, forcing or units) then still gives a guess no worse than zero in that
/// norm. Collective on x's communicator; alpha = 0 (x zeroed) when (x, A x) <= 0.
double rescale_initial_guess(Mat A, Vec b, Vec x);

}  // namespace kono
