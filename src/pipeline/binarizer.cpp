// scikit-learn's Binarizer: 1 where x > threshold, else 0 (NaN gives 0, as `X > threshold`).
#include <cmath>

#include "pipeline/registry.hpp"
#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

class Binarizer final : public Step {
 public:
  explicit Binarizer(double threshold) : threshold_(threshold) {}

  void transform(RowMatrixXd& X) const override {
    const Index n = X.cols();
    for (Index i = 0; i < X.rows(); ++i) {
      double* row = X.row(i).data();
      for (Index j = 0; j < n; ++j) row[j] = row[j] > threshold_ ? 1.0 : 0.0;
    }
  }

  std::vector<Index> source_columns(Index n_in) const override { return same_columns(n_in); }

 private:
  double threshold_;
};

}  // namespace

std::unique_ptr<Step> make_binarizer(const StepInputs& in) {
  if (in.n_features_out() != in.n_features_in()) in.invalid("n_features_out must equal n_features_in");
  const double threshold = in.params().number("threshold");
  if (!std::isfinite(threshold)) in.invalid("params.threshold must be finite");
  return std::make_unique<Binarizer>(threshold);
}

}  // namespace detail
FERRY_END_NAMESPACE
