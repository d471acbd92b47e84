// scikit-learn's QuantileTransformer (forward transform, dense input), column by column as
// QuantileTransformer._transform_col in scikit-learn 1.2.1:
//
//   y = 0.5 * (interp(x, q, r) - interp(-x, -q[::-1], -r[::-1]))   (np.interp, both ways, so
//                                                                    tied quantiles average)
//   uniform: y = 0 where x == q[0], 1 where x == q[-1]
//   normal:  y = 0 where x - 1e-7 < q[0], 1 where x + 1e-7 > q[-1]; then
//            y = clip(norm.ppf(y), ppf(1e-7 - eps), ppf(1 - (1e-7 - eps)))
//
// q is the column's quantiles_, r the references_. np.interp is repeated exactly; the
// inverse normal CDF is Acklam's approximation refined by Halley steps on std::erf/erfc, which
// agrees with SciPy's ndtri to a few units in the last place.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <fmt/format.h>

#include "pipeline/registry.hpp"
#include "pipeline/step_inputs.hpp"
#include "spec_limits.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

constexpr double kBoundsThreshold = 1e-7;  // sklearn.preprocessing._data.BOUNDS_THRESHOLD
// norm.ppf(BOUNDS_THRESHOLD - np.spacing(1)) and norm.ppf(1 - (BOUNDS_THRESHOLD - np.spacing(1)))
// as SciPy 1.10 computes them: the clipping bounds of output_distribution="normal".
constexpr double kClipMin = -0x1.4cc1f26b89e5bp+2;  // -5.199337582605575
constexpr double kClipMax = 0x1.4cc1f26ba4caep+2;   // 5.19933758270342

// np.interp(x, xp, fp) for one finite-or-NaN x, xp sorted (ties allowed), n >= 1; the same
// operations as numpy's compiled loop (numpy/core/src/multiarray/compiled_base.c).
double interp(double x, const double* xp, const double* fp, Index n) {
  if (std::isnan(x)) return x;
  if (x > xp[n - 1]) return fp[n - 1];
  if (x < xp[0]) return fp[0];
  // The last j with xp[j] <= x.
  const Index j = static_cast<Index>(std::upper_bound(xp, xp + n, x) - xp) - 1;
  if (j == n - 1 || xp[j] == x) return fp[j];
  const double slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
  double y = slope * (x - xp[j]) + fp[j];
  if (std::isnan(y)) {  // numpy retries from the right end when the left one overflows
    y = slope * (x - xp[j + 1]) + fp[j + 1];
    if (std::isnan(y) && fp[j] == fp[j + 1]) y = fp[j];
  }
  return y;
}

// Acklam's rational approximation of the inverse normal CDF (relative error < 1.15e-9).
double acklam(double p) {
  constexpr double a[6] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                           1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  constexpr double b[5] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
                           -1.328068155288572e+01};
  constexpr double c[6] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                           -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  constexpr double d[4] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double kLow = 0.02425;
  if (p < kLow) {
    const double q = std::sqrt(-2 * std::log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - kLow) {
    const double q = std::sqrt(-2 * std::log1p(-p));
    return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const double q = p - 0.5;
  const double r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

// Phi(x) - p, evaluated where it keeps its relative accuracy: through erf in the middle
// (p - 0.5 is exact there), through erfc in the tails (1 - p is exact for p >= 0.5).
double cdf_minus(double x, double p) {
  constexpr double kSqrtHalf = 0.70710678118654752440;
  if (p > 0.25 && p < 0.75) return 0.5 * std::erf(x * kSqrtHalf) - (p - 0.5);
  if (p <= 0.25) return 0.5 * std::erfc(-x * kSqrtHalf) - p;
  return (1 - p) - 0.5 * std::erfc(x * kSqrtHalf);
}

// scipy.stats.norm.ppf for 0 < p < 1: Acklam, then two Halley steps
// x -= u / (1 + x u / 2), u = (Phi(x) - p) / phi(x).
double norm_ppf(double p) {
  constexpr double kSqrt2Pi = 2.50662827463100050242;
  double x = acklam(p);
  for (int step = 0; step < 2; ++step) {
    const double u = cdf_minus(x, p) * kSqrt2Pi * std::exp(0.5 * x * x);
    x -= u / (1 + 0.5 * x * u);
  }
  return x;
}

class QuantileTransformer final : public Step {
 public:
  QuantileTransformer(bool normal, Index n_quantiles, std::vector<double> q, std::vector<double> neg_q,
                      std::vector<double> r, std::vector<double> neg_r)
      : normal_(normal),
        n_q_(n_quantiles),
        q_(std::move(q)),
        neg_q_(std::move(neg_q)),
        r_(std::move(r)),
        neg_r_(std::move(neg_r)) {}

  void transform(RowMatrixXd& X) const override {
    for (Index i = 0; i < X.rows(); ++i) {
      double* row = X.row(i).data();
      for (Index j = 0; j < X.cols(); ++j) row[j] = column(j, row[j]);
    }
  }

  std::vector<Index> source_columns(Index n_in) const override { return same_columns(n_in); }

 private:
  double column(Index j, double x) const {
    const double* q = q_.data() + j * n_q_;          // ascending
    const double* neg_q = neg_q_.data() + j * n_q_;  // -q reversed: ascending too
    const double lo = q[0];
    const double hi = q[n_q_ - 1];
    double y = 0.5 * (interp(x, q, r_.data(), n_q_) - interp(-x, neg_q, neg_r_.data(), n_q_));
    if (!normal_) {
      if (x == hi) y = 1;
      if (x == lo) y = 0;
      return y;
    }
    if (x + kBoundsThreshold > hi) y = 1;
    if (x - kBoundsThreshold < lo) y = 0;
    // norm.ppf: -inf at 0, +inf at 1 (both clipped below), NaN outside [0, 1].
    if (y <= 0 || y >= 1) {
      if (y == 0) return kClipMin;
      if (y == 1) return kClipMax;
      return std::numeric_limits<double>::quiet_NaN();
    }
    if (std::isnan(y)) return y;
    return std::clamp(norm_ppf(y), kClipMin, kClipMax);
  }

  bool normal_;
  Index n_q_;
  std::vector<double> q_;      // [feature][quantile], each row ascending
  std::vector<double> neg_q_;  // [feature][quantile], -q reversed
  std::vector<double> r_;      // references_
  std::vector<double> neg_r_;  // -references_ reversed
};

}  // namespace

std::unique_ptr<Step> make_quantile_transformer(const StepInputs& in) {
  const Index n = in.n_features_in();
  if (in.n_features_out() != n) in.invalid("n_features_out must equal n_features_in");
  const std::string dist = in.params().string("output_distribution");
  if (dist != "uniform" && dist != "normal")
    in.invalid(fmt::format("params.output_distribution \"{}\" is not \"uniform\" or \"normal\"", dist));
  const std::int64_t n_q = in.params().int64("n_quantiles");
  if (n_q < 1 || n_q > spec::kMaxQuantiles) in.invalid("params.n_quantiles must be in [1, 2^24]");
  const Eigen::VectorXd refs = in.vector("references", n_q);
  for (Index k = 0; k < n_q; ++k)
    if (refs[k] < 0 || refs[k] > 1 || (k > 0 && !(refs[k] > refs[k - 1])))
      in.invalid(fmt::format("tensor role \"references\" must increase strictly within [0, 1] (at [{}])", k));
  const RowMatrixXd quantiles = in.matrix("quantiles", n_q, n);
  std::vector<double> q(static_cast<std::size_t>(n * n_q)), neg_q(q.size());
  for (Index j = 0; j < n; ++j)
    for (Index k = 0; k < n_q; ++k) {
      if (k > 0 && quantiles(k, j) < quantiles(k - 1, j))
        in.invalid(fmt::format("tensor role \"quantiles\" decreases at [{}, {}]", k, j));
      q[static_cast<std::size_t>(j * n_q + k)] = quantiles(k, j);
      neg_q[static_cast<std::size_t>(j * n_q + (n_q - 1 - k))] = -quantiles(k, j);
    }
  std::vector<double> r(refs.data(), refs.data() + n_q), neg_r(r.size());
  for (Index k = 0; k < n_q; ++k) neg_r[static_cast<std::size_t>(n_q - 1 - k)] = -refs[k];
  return std::make_unique<QuantileTransformer>(dist == "normal", n_q, std::move(q), std::move(neg_q), std::move(r),
                                               std::move(neg_r));
}

}  // namespace detail
FERRY_END_NAMESPACE
