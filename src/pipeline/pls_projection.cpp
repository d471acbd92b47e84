// The x scores of scikit-learn's PLS models (docs/format.md §4.49): PLSRegression,
// PLSCanonical and CCA (`transform`: x_rotations_) and PLSSVD (x_weights_), after the
// standardisation they fitted: y[r] = Σ_j ((x[j] − mean[j]) / scale[j]) · components[r, j].
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "pipeline/registry.hpp"
#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

class PlsProjection final : public Step {
 public:
  PlsProjection(Eigen::RowVectorXd mean, Eigen::RowVectorXd scale, RowMatrixXd components)
      : mean_(std::move(mean)), scale_(std::move(scale)), components_(std::move(components)) {}

  // scikit-learn 1.2.1: X -= _x_mean; X /= _x_std; np.dot(X, x_rotations_), each dot product
  // summed left to right from 0.0 as the reference BLAS does.
  void transform(RowMatrixXd& X) const override {
    const Index n = components_.cols(), k = components_.rows();
    RowMatrixXd out(X.rows(), k);
    std::vector<double> z(static_cast<std::size_t>(n));
    for (Index i = 0; i < X.rows(); ++i) {
      const double* x = X.row(i).data();
      for (Index j = 0; j < n; ++j) z[static_cast<std::size_t>(j)] = (x[j] - mean_[j]) / scale_[j];
      for (Index r = 0; r < k; ++r) {
        const double* c = components_.row(r).data();
        double s = 0.0;
        for (Index j = 0; j < n; ++j) s += z[static_cast<std::size_t>(j)] * c[j];
        out(i, r) = s;
      }
    }
    X = std::move(out);
  }

  // Every score mixes the input columns.
  std::vector<Index> source_columns(Index /*n_in*/) const override {
    return std::vector<Index>(static_cast<std::size_t>(components_.rows()), -1);
  }

 private:
  Eigen::RowVectorXd mean_;   // _x_mean
  Eigen::RowVectorXd scale_;  // _x_std (1 where a column was constant, or without scale)
  RowMatrixXd components_;    // k x n: x_rotations_ (PLSSVD: x_weights_) transposed
};

}  // namespace

std::unique_ptr<Step> make_pls_projection(const StepInputs& in) {
  const Index n = in.n_features_in(), k = in.n_features_out();
  if (k < 1) in.invalid("n_features_out must be at least 1");
  Eigen::RowVectorXd mean = in.vector("mean", n).transpose();
  Eigen::RowVectorXd scale = in.vector("scale", n).transpose();
  for (Index j = 0; j < n; ++j)
    if (!(scale[j] != 0.0)) in.invalid(fmt::format("tensor role \"scale\" has {} at [{}]; it must be non-zero", scale[j], j));
  RowMatrixXd components = in.matrix("components", k, n);
  return std::make_unique<PlsProjection>(std::move(mean), std::move(scale), std::move(components));
}

}  // namespace detail
FERRY_END_NAMESPACE
