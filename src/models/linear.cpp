// Every linear model: LinearRegression, Ridge, LogisticRegression (docs/format.md §4.2).
#include "models/registry.hpp"
#include "pipeline/step_inputs.hpp"

namespace ferry {
namespace {

class Linear final : public Estimator {
 public:
  Linear(Link link, RowMatrixXd coef, Eigen::RowVectorXd intercept)
      : Estimator(link), coef_t_(coef.transpose()), intercept_(std::move(intercept)) {}

  void decision(const RowMatrixXd& X, RowMatrixXd& scores) const override {
    scores.noalias() = X * coef_t_;
    scores.rowwise() += intercept_;
  }
  Index n_scores() const noexcept override { return coef_t_.cols(); }

 private:
  Eigen::MatrixXd coef_t_;  // n_features x k, so X * coef_t_ walks contiguous memory
  Eigen::RowVectorXd intercept_;
};

}  // namespace

std::unique_ptr<Estimator> make_linear(const StepInputs& in) {
  const Link link = parse_link(in.params().string("link"), in.where());
  const Index k = in.n_features_out();
  if (k < 1) in.invalid("n_features_out must be at least 1");
  if ((link == Link::kOvr && k < 3) || (link == Link::kLogistic && k != 1) || (link == Link::kSoftmax && k == 2))
    in.invalid("link does not match the number of scores n_features_out");
  RowMatrixXd coef = in.matrix("coef", k, in.n_features_in());
  Eigen::RowVectorXd intercept = in.vector("intercept", k).transpose();
  return std::make_unique<Linear>(link, std::move(coef), std::move(intercept));
}

}  // namespace ferry
