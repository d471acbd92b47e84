// scikit-learn's Normalizer: each row divided by its l1, l2 or max norm
// (sklearn.preprocessing.normalize on a dense, row-major float64 array).
//
// The norms are summed in exactly numpy 1.24's order for a C-contiguous array on x86-64,
// so the results are bit-identical to scikit-learn given a numpy array:
//   l1   np.abs(X).sum(axis=1)        numpy's pairwise summation (8 accumulators, blocks of 128)
//   l2   np.einsum("ij,ij->i", X, X)  two interleaved accumulators (the SSE2 kernel), then sqrt
//   max  np.max(abs(X), axis=1)       exact, order-free
// Norms below 10 * DBL_EPSILON are replaced by 1 (scikit-learn's _handle_zeros_in_scale), so
// rows of zeros stay zeros and near-zero rows are left unchanged. Sparse rows follow
// scikit-learn's sparse kernels instead (transform_rows).
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "pipeline/registry.hpp"
#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

enum class Norm { kL1, kL2, kMax };

// numpy's pairwise_sum (loops_utils.h.src) of |a[0..n)|.
double pairwise_abs_sum(const double* a, Index n) {
  if (n < 8) {
    double res = 0.0;
    for (Index i = 0; i < n; ++i) res += std::abs(a[i]);
    return res;
  }
  if (n <= 128) {
    double r[8];
    for (int k = 0; k < 8; ++k) r[k] = std::abs(a[k]);
    Index i = 8;
    for (; i < n - (n % 8); i += 8)
      for (int k = 0; k < 8; ++k) r[k] += std::abs(a[i + k]);
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += std::abs(a[i]);
    return res;
  }
  Index n2 = n / 2;
  n2 -= n2 % 8;
  return pairwise_abs_sum(a, n2) + pairwise_abs_sum(a + n2, n - n2);
}

// numpy's einsum kernel sum_of_products_contig_contig_outstride0_two for doubles with
// 2-lane SSE2 vectors: lane l accumulates the elements whose index is l modulo 2; each block
// of 8 is added to the accumulator in the order 6, 4, 2, 0 (+ l); the lanes are summed last.
// Products and sums are separate statements, so no compiler fuses them into an FMA.
double sum_of_squares(const double* a, Index n) {
  double acc[2] = {0.0, 0.0};
  Index i = 0;
  for (; n - i >= 8; i += 8)
    for (int l = 0; l < 2; ++l) {
      double t = acc[l];
      for (int k = 6; k >= 0; k -= 2) {
        const double sq = a[i + k + l] * a[i + k + l];
        t = sq + t;
      }
      acc[l] = t;
    }
  for (; i < n; i += 2)
    for (int l = 0; l < 2 && i + l < n; ++l) {
      const double sq = a[i + l] * a[i + l];
      acc[l] = sq + acc[l];
    }
  return acc[0] + acc[1];
}

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
    for (Index i = 0; i < X.rows(); ++i) {
      double* row = X.row(i).data();
      double norm = 0.0;
      switch (norm_) {
        case Norm::kL1:
          norm = pairwise_abs_sum(row, n);
          break;
        case Norm::kL2:
          norm = std::sqrt(sum_of_squares(row, n));
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
