// Matrix types of the public API. Row-major, one sample per row, as numpy and
// scikit-learn lay out a batch; a column-major argument would be copied on every call.
#ifndef FERRY_MATRIX_HPP
#define FERRY_MATRIX_HPP

#include <Eigen/Core>

#include "ferry/detail/config.hpp"

FERRY_BEGIN_NAMESPACE

using Index = Eigen::Index;
using RowMatrixXd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowMatrixXf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

FERRY_END_NAMESPACE

#endif  // FERRY_MATRIX_HPP
