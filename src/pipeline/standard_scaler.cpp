// scikit-learn's StandardScaler: (x - mean_) / scale_, each part optional.
#include <optional>

#include "pipeline/registry.hpp"
#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

class StandardScaler final : public Step {
 public:
  StandardScaler(std::optional<Eigen::RowVectorXd> mean, std::optional<Eigen::RowVectorXd> scale)
      : mean_(std::move(mean)), scale_(std::move(scale)) {}

  // Subtract, then divide (never multiply by a reciprocal), in double: the same roundings
  // as scikit-learn. One fused pass over each contiguous row.
  void transform(RowMatrixXd& X) const override {
    const Index n = X.cols();
    const double* mean = mean_ ? mean_->data() : nullptr;
    const double* scale = scale_ ? scale_->data() : nullptr;
    for (Index i = 0; i < X.rows(); ++i) {
      double* row = X.row(i).data();
      if (mean && scale)
        for (Index j = 0; j < n; ++j) row[j] = (row[j] - mean[j]) / scale[j];
      else if (mean)
        for (Index j = 0; j < n; ++j) row[j] -= mean[j];
      else if (scale)
        for (Index j = 0; j < n; ++j) row[j] /= scale[j];
    }
  }

  // On sparse rows (never centred: scikit-learn refuses with_mean there) scikit-learn multiplies
  // by the reciprocal instead (inplace_column_scale).
  void transform_rows(StepRows& X, const TextBatch* /*text*/) const override {
    if (!X.sparse || mean_) return transform(X.densify());
    if (!scale_) return;
    SparseRows& S = *X.sparse;
    for (std::size_t k = 0; k < S.values.size(); ++k) S.values[k] *= 1.0 / (*scale_)[S.indices[k]];
  }

  std::vector<Index> source_columns(Index n_in) const override { return same_columns(n_in); }

 private:
  std::optional<Eigen::RowVectorXd> mean_;
  std::optional<Eigen::RowVectorXd> scale_;
};

}  // namespace

std::unique_ptr<Step> make_standard_scaler(const StepInputs& in) {
  const Index n = in.n_features_in();
  if (in.n_features_out() != n) in.invalid("n_features_out must equal n_features_in");
  const bool with_mean = in.params().boolean("with_mean");
  const bool with_std = in.params().boolean("with_std");
  if (in.has_tensor("mean") != with_mean) in.invalid("tensor \"mean\" must be present exactly when with_mean");
  if (in.has_tensor("scale") != with_std) in.invalid("tensor \"scale\" must be present exactly when with_std");
  std::optional<Eigen::RowVectorXd> mean, scale;
  if (with_mean) mean = in.vector("mean", n).transpose();
  if (with_std) {
    scale = in.vector("scale", n).transpose();
    for (Index j = 0; j < n; ++j)
      if ((*scale)[j] == 0.0) in.invalid("tensor role \"scale\" has a zero at [" + std::to_string(j) + "]");
  }
  return std::make_unique<StandardScaler>(std::move(mean), std::move(scale));
}

}  // namespace detail
FERRY_END_NAMESPACE
