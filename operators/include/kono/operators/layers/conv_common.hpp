#pragma once
/// Shared pieces of kono::Conv and kono::ConvTranspose: padding modes and the per-axis options
/// ("kernel": 3 or [3, 5]) of their JSON configurations.
#include <string>
#include <vector>

#include <kono/core/types.hpp>
#include <kono/operators/layer_config.hpp>

namespace kono {

/// How a convolution reads outside its input, per spatial axis. zero: zeros (PyTorch "zeros");
/// periodic: wraps around ("circular"); reflect: mirrors without repeating the edge ("reflect").
enum class PaddingMode { zero, periodic, reflect };

/// "zero", "periodic" or "reflect": the spelling configurations store.
char const* to_string(PaddingMode mode) noexcept;
/// Parses a padding mode; PyTorch's "zeros" and "circular" are accepted too. Throws
/// Error{invalid_argument} naming `where` and the known names otherwise.
PaddingMode padding_mode_from_string(std::string const& name, std::string const& where);

namespace Impl {
/// Per-axis option `key` of `cfg`: a number applies to every axis, an array gives one per axis.
/// Returns `fallback` when absent; throws Error{invalid_argument} naming `where` and the key.
std::vector<int> config_axes(LayerConfig const& cfg, std::string const& key, int dim, std::string const& where,
                             std::vector<int> const& fallback);
/// cfg["padding_mode"]: a name (every axis) or an array of names (one per axis); empty when absent.
/// Throws Error{invalid_argument} naming `where` for anything else or an unknown name.
std::vector<PaddingMode> config_padding_modes(LayerConfig const& cfg, std::string const& where);
/// Spatial dimension from cfg["dim"], else from the length of an array cfg["kernel"].
int config_dim(LayerConfig const& cfg, std::string const& where);
/// Throws Error{invalid_argument} naming the key and the closest known key for any key of
/// `cfg` not in `known`, and when cfg["type"] is present and differs from `type`.
void check_config_keys(LayerConfig const& cfg, std::string const& type, std::vector<std::string> const& known,
                       std::string const& where);
/// `values` (empty: `fallback` everywhere; one value: broadcast) expanded to `dim` entries, each
/// at least `min_value`; throws Error{invalid_argument} naming `where` and `key` otherwise.
std::vector<int> expand_axes(std::vector<int> const& values, int dim, int fallback, int min_value, char const* key,
                             std::string const& where);
/// "[3, 3]": per-axis options in error messages.
std::string axes_to_string(std::vector<int> const& values);
}  // namespace Impl
}  // namespace kono
