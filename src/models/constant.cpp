// scikit-learn's DummyClassifier and DummyRegressor (docs/format.md §4.35): the same output for
// every row, the class probabilities (the one-hot of the predicted class, or the class
// priors) or the regressor's constant_.
#include <string>
#include <utility>

#include <fmt/format.h>

#include "models/registry.hpp"
#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

class Constant final : public Estimator {
 public:
  Constant(Link link, Eigen::RowVectorXd value) : Estimator(link), value_(std::move(value)) {}

  void decision(const RowMatrixXd& X, RowMatrixXd& scores) const override {
    scores = value_.replicate(X.rows(), 1);
  }
  Index n_scores() const noexcept override { return value_.size(); }

 private:
  Eigen::RowVectorXd value_;
};

}  // namespace

std::unique_ptr<Estimator> make_constant(const StepInputs& in) {
  const std::string name = in.params().string("link");
  const Link link = parse_link(name, in.where());
  if (link != Link::kProbability && link != Link::kIdentity) in.invalid("the link must be probability or identity");
  const Eigen::VectorXd value = in.vector("value", in.n_features_out());
  if (link == Link::kProbability) {
    if (in.n_features_out() < 2) in.invalid("a constant classifier needs n_features_out = n_classes >= 2");
    if ((value.array() < 0.0).any() || (value.array() > 1.0).any())
      in.invalid("tensor value must hold probabilities in [0, 1]");
  }
  return std::make_unique<Constant>(link, value.transpose());
}

}  // namespace detail
FERRY_END_NAMESPACE
