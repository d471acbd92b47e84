// An affine projection y = ((x - mean) . components^T) / scale, mean and scale optional
// (docs/format.md §4, `linear_projection`): scikit-learn's PCA (whiten or not) and TruncatedSVD.
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "pipeline/registry.hpp"
#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

class LinearProjection final : public Step {
 public:
  LinearProjection(RowMatrixXd components, std::optional<Eigen::RowVectorXd> mean,
                   std::optional<Eigen::RowVectorXd> scale)
      : components_(std::move(components)), mean_(std::move(mean)), scale_(std::move(scale)) {}

  // scikit-learn 1.2.1 (_BasePCA.transform, TruncatedSVD.transform): X - mean_, then
  // np.dot(X, components_.T), then /= sqrt(explained_variance_) when whitening. Each dot
  // product is summed left to right from 0.0 with separate multiply and add, as the
  // reference BLAS's dgemm/dgemv do; then a division, never a multiplication by a reciprocal.
  void transform(RowMatrixXd& X) const override {
    const Index n = components_.cols();
    const Index k = components_.rows();
    if (mean_) X.rowwise() -= *mean_;  // exactly X - mean_, element by element
    RowMatrixXd out(X.rows(), k);
    const double* components = components_.data();
    const double* scale = scale_ ? scale_->data() : nullptr;
    for (Index i = 0; i < X.rows(); ++i) {
      const double* x = X.row(i).data();
      double* y = out.row(i).data();
      for (Index r = 0; r < k; ++r) {
        const double* c = components + r * n;
        double s = 0.0;
        for (Index j = 0; j < n; ++j) s += x[j] * c[j];
        y[r] = scale ? s / scale[r] : s;
      }
    }
    X = std::move(out);
  }

 private:
  RowMatrixXd components_;  // k x n, row-major: each output walks one contiguous row
  std::optional<Eigen::RowVectorXd> mean_;
  std::optional<Eigen::RowVectorXd> scale_;
};

}  // namespace

std::unique_ptr<Step> make_linear_projection(const StepInputs& in) {
  const Index n = in.n_features_in();
  const Index k = in.n_features_out();
  if (k < 1) in.invalid("n_features_out must be at least 1");
  const bool with_mean = in.params().boolean("with_mean");
  const bool with_scale = in.params().boolean("with_scale");
  if (in.has_tensor("mean") != with_mean) in.invalid("tensor \"mean\" must be present exactly when with_mean");
  if (in.has_tensor("scale") != with_scale) in.invalid("tensor \"scale\" must be present exactly when with_scale");
  RowMatrixXd components = in.matrix("components", k, n);
  std::optional<Eigen::RowVectorXd> mean, scale;
  if (with_mean) mean = in.vector("mean", n).transpose();
  if (with_scale) {
    scale = in.vector("scale", k).transpose();
    for (Index j = 0; j < k; ++j)
      if (!((*scale)[j] > 0.0))
        in.invalid(fmt::format("tensor role \"scale\" has {} at [{}]; it must be positive", (*scale)[j], j));
  }
  return std::make_unique<LinearProjection>(std::move(components), std::move(mean), std::move(scale));
}

}  // namespace detail
FERRY_END_NAMESPACE
