// scikit-learn's Normalizer: each row divided by its l1, l2 or max norm
// (sklearn.preprocessing.normalize on a dense, row-major float64 array).
//
// The norms are summed in exactly numpy 1.24's order for a C-contiguous array on x86-64,
// so the results are bit-identical to scikit-learn given a numpy array:
//   l1   np.abs(X).sum(axis=1)        numpy's pairwise summation (8 accumulators, blocks of 128,
//                                     buffers of 8192: pipeline/numpy_sums.hpp)
//   l2   np.einsum("ij,ij->i", X, X)  two interleaved accumulators (the SSE2 kernel), then sqrt
//   max  np.max(abs(X), axis=1)       exact, order-free
// Norms below 10 * DBL_EPSILON are replaced by 1 (scikit-learn's _handle_zeros_in_scale), so
// rows of zeros stay zeros and near-zero rows are left unchanged. Sparse rows follow
// scikit-learn's sparse kernels instead (transform_rows).
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "pipeline/numpy_sums.hpp"
#include "pipeline/registry.hpp"
#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

enum class Norm { kL1, kL2, kMax };

// np.maximum.reduce: starts from the first element and propagates NaN.
double max_abs(const double* a, Index n) {
  double m = std::abs(a[0]);
  for (Index i = 1; i < n && !std::isnan(m); ++i) {
    const double v = std::abs(a[i]);
    m = (std::isnan(v) || v > m) ? v : m;
  }
  return m;
}

class Normalizer final : public Step {
 public:
  explicit Normalizer(Norm norm) : norm_(norm) {}

  void transform(RowMatrixXd& X) const override {
    const Index n = X.cols();
    if (n == 0) return;
    constexpr double kTiny = 10 * std::numeric_limits<double>::epsilon();
    std::vector<double> absolute;  // l1: the row's |x|, which numpy sums as one array
    for (Index i = 0; i < X.rows(); ++i) {
      double* row = X.row(i).data();
      double norm = 0.0;
      switch (norm_) {
        case Norm::kL1:
          absolute.resize(static_cast<std::size_t>(n));
          for (Index j = 0; j < n; ++j) absolute[static_cast<std::size_t>(j)] = std::abs(row[j]);
          norm = numpy_order::numpy_row_sum(absolute.data(), n);
          break;
        case Norm::kL2:
          norm = std::sqrt(numpy_order::einsum_row_squares(row, n));
          break;
        case Norm::kMax:
          norm = max_abs(row, n);
          break;
      }
      if (norm < kTiny) norm = 1.0;  // NaN is kept, as in scikit-learn
      for (Index j = 0; j < n; ++j) row[j] /= norm;
    }
  }

  // sklearn.preprocessing.normalize on a CSR matrix: each row's entries in their order (the
  // Cython kernels inplace_csr_row_normalize_l1 / _l2), a zero norm leaves the row as it is,
  // and no tiny-norm rule; the max norm counts the implicit zeros of a row that is not full.
  void transform_rows(StepRows& X, const TextBatch* /*text*/) const override {
    if (!X.sparse) return transform(X.dense);
    SparseRows& S = *X.sparse;
    for (Index i = 0; i < S.rows(); ++i) {
      double* v = S.values.data() + S.begin(i);
      const Index n = S.end(i) - S.begin(i);
      double norm = 0.0;
      switch (norm_) {
        case Norm::kL1:
          for (Index k = 0; k < n; ++k) norm += std::abs(v[k]);
          break;
        case Norm::kL2:
          for (Index k = 0; k < n; ++k) {
            const double sq = v[k] * v[k];
            norm += sq;
          }
          if (norm != 0.0) norm = std::sqrt(norm);
          break;
        case Norm::kMax: {
          // np.minimum / np.maximum reduce (a NaN propagates), then np.maximum(abs(min), max).
          if (n == 0) continue;
          double lo = n < S.cols ? 0.0 : v[0], hi = lo;
          bool nan = false;
          for (Index k = 0; k < n; ++k) {
            nan = nan || std::isnan(v[k]);
            lo = std::min(lo, v[k]);
            hi = std::max(hi, v[k]);
          }
          norm = nan ? std::numeric_limits<double>::quiet_NaN() : std::max(std::abs(lo), hi);
          break;
        }
      }
      if (norm == 0.0) continue;
      for (Index k = 0; k < n; ++k) v[k] /= norm;
    }
  }

 private:
  Norm norm_;
};

}  // namespace

std::unique_ptr<Step> make_normalizer(const StepInputs& in) {
  if (in.n_features_out() != in.n_features_in()) in.invalid("n_features_out must equal n_features_in");
  const std::string norm = in.params().string("norm");
  if (norm == "l1") return std::make_unique<Normalizer>(Norm::kL1);
  if (norm == "l2") return std::make_unique<Normalizer>(Norm::kL2);
  if (norm == "max") return std::make_unique<Normalizer>(Norm::kMax);
  in.invalid("params.norm \"" + norm + "\" is not l1, l2 or max");
}

}  // namespace detail
FERRY_END_NAMESPACE
