// Matrix types of the public API. Row-major, one sample per row, as numpy and
// scikit-learn lay out a batch; a column-major argument would be copied on every call.
#ifndef FERRY_MATRIX_HPP
#define FERRY_MATRIX_HPP

#include <Eigen/Core>

#include "ferry/detail/config.hpp"

// See FERRY_EIGEN_MAX_ALIGN_BYTES in ferry/detail/config.hpp.
#if EIGEN_MAX_ALIGN_BYTES != FERRY_EIGEN_MAX_ALIGN_BYTES || \
    EIGEN_MALLOC_ALREADY_ALIGNED != FERRY_EIGEN_MALLOC_ALREADY_ALIGNED
#  error "ferry: Eigen is configured here with another allocator than libferry's (SIMD flags such as -march=native or -mavx raise EIGEN_MAX_ALIGN_BYTES; a sanitizer changes EIGEN_MALLOC_ALREADY_ALIGNED), so results allocated by libferry would be freed with the wrong allocator. Build this target with find_package(ferry) or `pkg-config --cflags ferry`, or define EIGEN_MAX_ALIGN_BYTES=16 and EIGEN_MALLOC_ALREADY_ALIGNED=1 (0 on 32-bit targets) before any Eigen header."
#endif

FERRY_BEGIN_NAMESPACE

using Index = Eigen::Index;
using RowMatrixXd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowMatrixXf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

FERRY_END_NAMESPACE

#endif  // FERRY_MATRIX_HPP
