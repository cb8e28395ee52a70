#pragma once
/// Whether a model's architecture defines one operator at every grid resolution
/// ("resolution-consistent", so that a model trained at one resolution may be applied zero-shot
/// at another), read from the architecture configuration a model file stores.
#include <string>

#include <kono/operators/layer_config.hpp>

namespace kono {

/// The answer of resolution_consistency: `reason` says why not (empty when consistent).
struct ResolutionConsistency {
  bool consistent = true;
  std::string reason;
};

/// Walks `architecture` (a layer configuration: {"type": ..., ...}; containers nest layers under
/// "layers" (sequential), "body" and "skip" (residual, domain_padding)) and reports whether every
/// layer is resolution-independent:
/// - pointwise layers (linear, activations, soft_gating, grid_embedding, channel MLPs, conv and
///   conv_transpose with every kernel extent and stride 1), spectral_conv (FNO), discretized_conv,
///   domain_padding (a fraction of the domain) and the containers are;
/// - conv / conv_transpose with a kernel extent > 1 or a stride > 1 are not (grid units);
/// - mgno_layer is only when its config holds a non-empty array "reference_extents" (written by
///   resolution-consistent MgNO; older files lack it);
/// - a layer type this function does not know is reported as not known to be consistent.
/// The reason names each offending layer by its path (as parameter names do: "3", "2.body").
/// Never throws for a well-formed configuration; a malformed one is reported in `reason`.
ResolutionConsistency resolution_consistency(LayerConfig const& architecture);

}  // namespace kono
