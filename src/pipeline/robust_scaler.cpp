// scikit-learn's RobustScaler: (x - center_) / scale_, each part optional.
#include <optional>
#include <string>

#include "pipeline/registry.hpp"
#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

class RobustScaler final : public Step {
 public:
  RobustScaler(std::optional<Eigen::RowVectorXd> center, std::optional<Eigen::RowVectorXd> scale)
      : center_(std::move(center)), scale_(std::move(scale)) {}

  // scikit-learn's `X -= center_; X /= scale_`: subtract, then divide, in double.
  void transform(RowMatrixXd& X) const override {
    const Index n = X.cols();
    const double* center = center_ ? center_->data() : nullptr;
    const double* scale = scale_ ? scale_->data() : nullptr;
    for (Index i = 0; i < X.rows(); ++i) {
      double* row = X.row(i).data();
      if (center && scale)
        for (Index j = 0; j < n; ++j) row[j] = (row[j] - center[j]) / scale[j];
      else if (center)
        for (Index j = 0; j < n; ++j) row[j] -= center[j];
      else if (scale)
        for (Index j = 0; j < n; ++j) row[j] /= scale[j];
    }
  }

  std::vector<Index> source_columns(Index n_in) const override { return same_columns(n_in); }

 private:
  std::optional<Eigen::RowVectorXd> center_;
  std::optional<Eigen::RowVectorXd> scale_;
};

}  // namespace

std::unique_ptr<Step> make_robust_scaler(const StepInputs& in) {
  const Index n = in.n_features_in();
  if (in.n_features_out() != n) in.invalid("n_features_out must equal n_features_in");
  const bool with_centering = in.params().boolean("with_centering");
  const bool with_scaling = in.params().boolean("with_scaling");
  if (in.has_tensor("center") != with_centering)
    in.invalid("tensor \"center\" must be present exactly when with_centering");
  if (in.has_tensor("scale") != with_scaling) in.invalid("tensor \"scale\" must be present exactly when with_scaling");
  std::optional<Eigen::RowVectorXd> center, scale;
  if (with_centering) center = in.vector("center", n).transpose();
  if (with_scaling) {
    scale = in.vector("scale", n).transpose();
    for (Index j = 0; j < n; ++j)
      if ((*scale)[j] == 0.0) in.invalid("tensor role \"scale\" has a zero at [" + std::to_string(j) + "]");
  }
  return std::make_unique<RobustScaler>(std::move(center), std::move(scale));
}

}  // namespace detail
FERRY_END_NAMESPACE
