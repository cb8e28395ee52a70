#pragma once
/// Scalar and index types shared by every part of kono.
#include <cstdint>

#include <kono/core/config.hpp>

namespace kono {
#if KONO_REAL_IS_FLOAT
using real = float;  ///< default scalar (build option kono_REAL_TYPE)
#else
using real = double;  ///< default scalar (build option kono_REAL_TYPE)
#endif
using index_t = std::int64_t;  ///< extents and global indices: 64-bit, large 3D grids overflow int
}  // namespace kono
