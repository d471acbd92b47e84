// scikit-learn's PowerTransformer: a Yeo-Johnson or Box-Cox transform per column with the
// fitted lambdas_, then (standardize=True) its internal StandardScaler's (x - mean_) / scale_.
//
// The arithmetic is scikit-learn 1.2.1's (_data.py _yeo_johnson_transform) and SciPy's
// (scipy.special.boxcox = expm1(lambda * log(x)) / lambda with Cephes' expm1), operation
// for operation. numpy evaluates pow/log1p with its own SIMD kernels on some CPUs, so the
// Yeo-Johnson results may differ from scikit-learn's in the last bit or two; Box-Cox goes
// through libm and Cephes in SciPy as here and is exact.
#include <cfloat>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ferry/error.hpp"
#include "pipeline/registry.hpp"
#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

// Cephes expm1 (as in SciPy's special functions): a rational approximation on [-0.5, 0.5],
// exp(x) - 1 outside.
double cephes_expm1(double x) {
  if (!(std::fabs(x) <= DBL_MAX)) {
    if (std::isnan(x)) return x;
    return x > 0 ? x : -1.0;
  }
  if (x < -0.5 || x > 0.5) return std::exp(x) - 1.0;
  constexpr double kP[3] = {1.2617719307481059087798E-4, 3.0299440770744196129956E-2, 9.9999999999999999991025E-1};
  constexpr double kQ[4] = {3.0019850513866445504159E-6, 2.5244834034968410419224E-3, 2.2726554820815502876593E-1,
                            2.0000000000000000009103E0};
  const double xx = x * x;
  double r = x * ((kP[0] * xx + kP[1]) * xx + kP[2]);
  r = r / ((((kQ[0] * xx + kQ[1]) * xx + kQ[2]) * xx + kQ[3]) - r);
  return r + r;
}

// scipy.special.boxcox(x, lambda).
double box_cox(double x, double lambda) {
  if (std::fabs(lambda) < 1e-19) return std::log(x);
  return cephes_expm1(lambda * std::log(x)) / lambda;
}

// PowerTransformer._yeo_johnson_transform; the branch tests on lambda use np.spacing(1.0).
double yeo_johnson(double x, double lambda) {
  if (x >= 0) {
    if (std::fabs(lambda) < DBL_EPSILON) return std::log1p(x);
    return (std::pow(x + 1, lambda) - 1) / lambda;
  }
  if (std::fabs(lambda - 2) > DBL_EPSILON) return -(std::pow(-x + 1, 2 - lambda) - 1) / (2 - lambda);
  return -std::log1p(-x);
}

class PowerTransformer final : public Step {
 public:
  PowerTransformer(bool box_cox, Eigen::VectorXd lambdas, std::optional<Eigen::VectorXd> mean,
                   std::optional<Eigen::VectorXd> scale, std::vector<std::string> names, std::string where)
      : box_cox_(box_cox),
        lambdas_(std::move(lambdas)),
        mean_(std::move(mean)),
        scale_(std::move(scale)),
        names_(std::move(names)),
        where_(std::move(where)) {}

  void transform(RowMatrixXd& X) const override {
    const Index n = X.cols();
    const double* lambdas = lambdas_.data();
    // scikit-learn refuses the whole batch when any value is not strictly positive.
    if (box_cox_) check_positive(X);
    for (Index i = 0; i < X.rows(); ++i) {
      double* row = X.row(i).data();
      if (box_cox_)
        for (Index j = 0; j < n; ++j) row[j] = box_cox(row[j], lambdas[j]);
      else
        for (Index j = 0; j < n; ++j) row[j] = yeo_johnson(row[j], lambdas[j]);
      if (mean_)
        for (Index j = 0; j < n; ++j) row[j] = (row[j] - (*mean_)[j]) / (*scale_)[j];
    }
  }

  std::vector<Index> source_columns(Index n_in) const override { return same_columns(n_in); }

 private:
  void check_positive(const RowMatrixXd& X) const {
    for (Index i = 0; i < X.rows(); ++i)
      for (Index j = 0; j < X.cols(); ++j)
        if (X(i, j) <= 0)
          throw Error(ErrorCode::kValue,
                      fmt::format("row {}, column \"{}\": {} is not strictly positive; the Box-Cox transform of {} "
                                  "takes only values > 0 (scikit-learn refuses it too)",
                                  i, names_[static_cast<std::size_t>(j)], X(i, j), where_));
  }

  bool box_cox_;
  Eigen::VectorXd lambdas_;
  std::optional<Eigen::VectorXd> mean_;
  std::optional<Eigen::VectorXd> scale_;
  std::vector<std::string> names_;  // of the input columns, for messages
  std::string where_;
};

}  // namespace

std::unique_ptr<Step> make_power_transformer(const StepInputs& in) {
  const Index n = in.n_features_in();
  if (in.n_features_out() != n) in.invalid("n_features_out must equal n_features_in");
  const std::string method = in.params().string("method");
  if (method != "yeo-johnson" && method != "box-cox")
    in.invalid(fmt::format("params.method \"{}\" is not \"yeo-johnson\" or \"box-cox\"", method));
  const bool standardize = in.params().boolean("standardize");
  for (const char* role : {"mean", "scale"})
    if (in.has_tensor(role) != standardize)
      in.invalid(fmt::format("tensor \"{}\" must be present exactly when standardize", role));
  Eigen::VectorXd lambdas = in.vector("lambdas", n);
  std::optional<Eigen::VectorXd> mean, scale;
  if (standardize) {
    mean = in.vector("mean", n);
    scale = in.vector("scale", n);
    for (Index j = 0; j < n; ++j)
      if ((*scale)[j] == 0.0) in.invalid(fmt::format("tensor role \"scale\" has a zero at [{}]", j));
  }
  return std::make_unique<PowerTransformer>(method == "box-cox", std::move(lambdas), std::move(mean), std::move(scale),
                                            in.names_in(), in.where());
}

}  // namespace detail
FERRY_END_NAMESPACE
