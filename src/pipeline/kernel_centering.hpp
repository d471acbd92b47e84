// scikit-learn 1.2.1's KernelCenterer.transform on one kernel row, shared by the
// kernel_centerer and kernel_pca steps (docs/format.md §4.47, §4.48).
#ifndef FERRY_SRC_PIPELINE_KERNEL_CENTERING_HPP
#define FERRY_SRC_PIPELINE_KERNEL_CENTERING_HPP

#include "pipeline/numpy_sums.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {

// k[0..m), a row of the kernel against the m fit rows, centred in place, in scikit-learn's
// order: K_pred_cols = np.sum(K, axis=1) / m; K -= K_fit_rows_; K -= K_pred_cols;
// K += K_fit_all_.
inline void center_kernel_row(double* k, Index m, const double* fit_rows, double fit_all) {
  const double pred_col = numpy_order::numpy_row_sum(k, m) / static_cast<double>(m);
  for (Index j = 0; j < m; ++j) {
    double v = k[j] - fit_rows[j];
    v = v - pred_col;
    k[j] = v + fit_all;
  }
}

}  // namespace detail
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_PIPELINE_KERNEL_CENTERING_HPP
