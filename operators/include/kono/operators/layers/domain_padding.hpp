#pragma once
/// Domain padding around a body (neuraloperator's DomainPadding, "one-sided"): zero-pad the end
/// of each spatial axis by round(fraction * n), run the body, crop back to n. FNO uses it for
/// non-periodic problems so the spectral layers do not wrap one boundary onto the other.
/// The pad is recomputed from each input's extents, so the layer is resolution invariant.
#include <memory>
#include <vector>

#include <kono/operators/layer.hpp>
#include <kono/operators/layers/sequential.hpp>

namespace kono {

template <class MemorySpace, class Scalar>
class DomainPadding final : public Layer<MemorySpace, Scalar> {
 public:
  using base = Layer<MemorySpace, Scalar>;
  using typename base::Context;
  using typename base::execution_space;
  using typename base::tensor_type;

  /// `fraction`: one value for every axis or one per spatial axis, each in [0, 1]. The body must
  /// keep the spatial extents. Throws Error{invalid_argument} for a null body or a bad fraction.
  DomainPadding(std::unique_ptr<base> body, std::vector<double> fraction);
  /// From {"type": "domain_padding", "fraction": f or [f...], "body": cfg}.
  static std::unique_ptr<base> from_config(LayerConfig const& cfg);

  std::string type_name() const override { return "domain_padding"; }
  LayerConfig config() const override;
  Shape output_shape(Shape const& in) const override;
  std::size_t num_parameters() const override { return m_body->num_parameters(); }
  std::vector<ParameterSlice> parameter_slices() const override;  ///< "body.*"
  void initialize_parameters(std::uint64_t seed) const override { m_body->initialize_parameters(seed); }

  /// Padded shape for input `in`: round-half-to-even(fraction * n) added to each spatial axis.
  Shape padded_shape(Shape const& in) const;

 protected:
  std::unique_ptr<Context> forward_impl(execution_space const& space, tensor_type const& x,
                                        tensor_type const& y) const override;
  void backward_impl(execution_space const& space, Context const& ctx, tensor_type const& dy, tensor_type const* dx,
                     GradientMode mode) const override;
  void on_bind() override { m_body->bind_parameters(this->m_params, this->m_grads); }

 private:
  std::unique_ptr<base> m_body;
  std::vector<double> m_fraction;
  LayerWorkspace<MemorySpace, Scalar> m_workspace;
};

}  // namespace kono
