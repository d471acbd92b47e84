// The predictions of scikit-learn's PLS models (docs/format.md §4.50): PLSRegression,
// PLSCanonical and CCA as the final estimator, one output per target:
// s[t] = (Σ_j ((x[j] − mean[j]) / scale[j]) · coef[t, j]) + intercept[t].
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "models/registry.hpp"
#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

class PlsRegression final : public Estimator {
 public:
  PlsRegression(Eigen::RowVectorXd mean, Eigen::RowVectorXd scale, RowMatrixXd coef, Eigen::RowVectorXd intercept)
      : Estimator(Link::kIdentity),
        mean_(std::move(mean)),
        scale_(std::move(scale)),
        coef_(std::move(coef)),
        intercept_(std::move(intercept)) {}

  // scikit-learn 1.2.1 (_PLS.predict): X -= _x_mean; X /= _x_std; X @ _coef_.T + intercept_,
  // each dot product summed left to right from 0.0 as the reference BLAS does.
  void decision(const RowMatrixXd& X, RowMatrixXd& scores) const override {
    const Index n = coef_.cols(), m = coef_.rows();
    scores.resize(X.rows(), m);
    std::vector<double> z(static_cast<std::size_t>(n));
    for (Index i = 0; i < X.rows(); ++i) {
      const double* x = X.row(i).data();
      for (Index j = 0; j < n; ++j) z[static_cast<std::size_t>(j)] = (x[j] - mean_[j]) / scale_[j];
      for (Index t = 0; t < m; ++t) {
        const double* c = coef_.row(t).data();
        double s = 0.0;
        for (Index j = 0; j < n; ++j) s += z[static_cast<std::size_t>(j)] * c[j];
        scores(i, t) = s + intercept_[t];
      }
    }
  }
  Index n_scores() const noexcept override { return coef_.rows(); }

 private:
  Eigen::RowVectorXd mean_;       // _x_mean
  Eigen::RowVectorXd scale_;      // _x_std
  RowMatrixXd coef_;              // n_targets x n: _coef_
  Eigen::RowVectorXd intercept_;  // intercept_ (= _y_mean)
};

}  // namespace

std::unique_ptr<Estimator> make_pls_regression(const StepInputs& in) {
  const Index n = in.n_features_in(), m = in.n_features_out();
  if (m < 1) in.invalid("n_features_out must be at least 1");
  Eigen::RowVectorXd mean = in.vector("mean", n).transpose();
  Eigen::RowVectorXd scale = in.vector("scale", n).transpose();
  for (Index j = 0; j < n; ++j)
    if (!(scale[j] != 0.0)) in.invalid(fmt::format("tensor role \"scale\" has {} at [{}]; it must be non-zero", scale[j], j));
  RowMatrixXd coef = in.matrix("coef", m, n);
  Eigen::RowVectorXd intercept = in.vector("intercept", m).transpose();
  return std::make_unique<PlsRegression>(std::move(mean), std::move(scale), std::move(coef), std::move(intercept));
}

}  // namespace detail
FERRY_END_NAMESPACE
