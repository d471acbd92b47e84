// scikit-learn's MinMaxScaler: x * scale_ + min_, then, with clip, clipped to feature_range.
#include <cmath>

#include "pipeline/registry.hpp"
#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

class MinMaxScaler final : public Step {
 public:
  MinMaxScaler(Eigen::RowVectorXd scale, Eigen::RowVectorXd min, bool clip, double lo, double hi)
      : scale_(std::move(scale)), min_(std::move(min)), clip_(clip), lo_(lo), hi_(hi) {}

  // scikit-learn does `X *= scale_; X += min_`: two roundings, never a fused multiply-add
  // (separate statements, so no compiler contracts them), then np.clip, which is
  // min(max(x, lo), hi) with NaN passed through.
  void transform(RowMatrixXd& X) const override {
    const Index n = X.cols();
    const double* scale = scale_.data();
    const double* min = min_.data();
    for (Index i = 0; i < X.rows(); ++i) {
      double* row = X.row(i).data();
      for (Index j = 0; j < n; ++j) {
        const double scaled = row[j] * scale[j];
        double y = scaled + min[j];
        if (clip_ && !std::isnan(y)) {
          y = y > lo_ ? y : lo_;
          y = y < hi_ ? y : hi_;
        }
        row[j] = y;
      }
    }
  }

  std::vector<Index> source_columns(Index n_in) const override { return same_columns(n_in); }

 private:
  Eigen::RowVectorXd scale_;
  Eigen::RowVectorXd min_;
  bool clip_;
  double lo_;
  double hi_;
};

}  // namespace

std::unique_ptr<Step> make_min_max_scaler(const StepInputs& in) {
  const Index n = in.n_features_in();
  if (in.n_features_out() != n) in.invalid("n_features_out must equal n_features_in");
  const nlohmann::json& range = in.params().array("feature_range");
  if (range.size() != 2 || !range[0].is_number() || !range[1].is_number())
    in.invalid("params.feature_range must be an array of two numbers [min, max]");
  const double lo = range[0].get<double>();
  const double hi = range[1].get<double>();
  if (!std::isfinite(lo) || !std::isfinite(hi) || !(lo < hi))
    in.invalid("params.feature_range must be finite with min < max");
  const bool clip = in.params().boolean("clip");
  Eigen::RowVectorXd scale = in.vector("scale", n).transpose();
  Eigen::RowVectorXd min = in.vector("min", n).transpose();
  return std::make_unique<MinMaxScaler>(std::move(scale), std::move(min), clip, lo, hi);
}

}  // namespace detail
FERRY_END_NAMESPACE
