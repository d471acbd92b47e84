// scikit-learn's MaxAbsScaler: x / scale_.
#include <string>

#include "pipeline/registry.hpp"
#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

class MaxAbsScaler final : public Step {
 public:
  explicit MaxAbsScaler(Eigen::RowVectorXd scale) : scale_(std::move(scale)) {}

  // Divide (never multiply by a reciprocal): scikit-learn's `X /= scale_`.
  void transform(RowMatrixXd& X) const override {
    const Index n = X.cols();
    const double* scale = scale_.data();
    for (Index i = 0; i < X.rows(); ++i) {
      double* row = X.row(i).data();
      for (Index j = 0; j < n; ++j) row[j] /= scale[j];
    }
  }

  // On sparse rows scikit-learn multiplies by the reciprocal instead (inplace_column_scale).
  void transform_rows(StepRows& X, const TextBatch* /*text*/) const override {
    if (!X.sparse) return transform(X.dense);
    SparseRows& S = *X.sparse;
    for (std::size_t k = 0; k < S.values.size(); ++k) S.values[k] *= 1.0 / scale_[S.indices[k]];
  }

  std::vector<Index> source_columns(Index n_in) const override { return same_columns(n_in); }

 private:
  Eigen::RowVectorXd scale_;
};

}  // namespace

std::unique_ptr<Step> make_max_abs_scaler(const StepInputs& in) {
  const Index n = in.n_features_in();
  if (in.n_features_out() != n) in.invalid("n_features_out must equal n_features_in");
  Eigen::RowVectorXd scale = in.vector("scale", n).transpose();
  for (Index j = 0; j < n; ++j)
    if (scale[j] == 0.0) in.invalid("tensor role \"scale\" has a zero at [" + std::to_string(j) + "]");
  return std::make_unique<MaxAbsScaler>(std::move(scale));
}

}  // namespace detail
FERRY_END_NAMESPACE
