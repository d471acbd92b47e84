// scikit-learn's VotingClassifier and VotingRegressor, BaggingClassifier and BaggingRegressor
// (docs/format.md §4.31): the weighted mean of the sub-models' probabilities (soft) or
// predictions (a regressor), or their weighted votes for a class (hard).
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "models/composition.hpp"
#include "models/registry.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

enum class Voting { kSoft, kHard, kMean };

class VotingEstimator final : public Estimator {
 public:
  VotingEstimator(Voting voting, std::vector<SubModel> subs, Eigen::VectorXd weights, double weight_sum, Index k)
      : Estimator(voting == Voting::kHard ? Link::kNone : voting == Voting::kMean ? Link::kIdentity : Link::kProbability),
        voting_(voting), subs_(std::move(subs)), weights_(std::move(weights)), weight_sum_(weight_sum), k_(k) {}

  // Soft voting has predict_proba (the scores) and no decision_function; hard voting neither.
  Capabilities capabilities() const noexcept override {
    Capabilities c;
    c.probabilities = voting_ == Voting::kSoft;
    return c;
  }

  // np.average(outputs, axis=0, weights=w): the products summed in sub-model order, then
  // divided by the sum of the weights; hard votes: np.bincount(labels, weights=w).
  void decision(const RowMatrixXd& X, RowMatrixXd& scores) const override {
    scores.setZero(X.rows(), k_);
    RowMatrixXd s, out;
    std::vector<Index> labels;
    for (std::size_t e = 0; e < subs_.size(); ++e) {
      const SubModel& sub = subs_[e];
      const double w = weights_[static_cast<Index>(e)];
      sub.scores(X, s);
      if (voting_ == Voting::kHard) {
        sub.classes(s, labels);
        for (Index i = 0; i < X.rows(); ++i) scores(i, labels[static_cast<std::size_t>(i)]) += w;
        continue;
      }
      if (voting_ == Voting::kSoft)
        sub.probabilities(s, out);
      else
        sub.values(s, out);
      scores += w * out;
    }
    if (voting_ != Voting::kHard) scores /= weight_sum_;
  }
  Index n_scores() const noexcept override { return k_; }

 private:
  Voting voting_;
  std::vector<SubModel> subs_;
  Eigen::VectorXd weights_;
  double weight_sum_;
  Index k_;
};

}  // namespace

std::unique_ptr<Estimator> make_voting(const StepInputs& in) {
  const artifact::Fields& p = in.params();
  const std::string name = p.string("voting");
  const Voting voting = name == "soft" ? Voting::kSoft : name == "hard" ? Voting::kHard : Voting::kMean;
  if (name != "soft" && name != "hard" && name != "mean")
    in.invalid(fmt::format("params.voting \"{}\" is not soft, hard or mean", name));
  std::vector<SubModel> subs = build_sub_models(in, "estimators");
  const auto m = static_cast<Index>(subs.size());
  if (p.int64("n_estimators") != m) in.invalid("params.n_estimators does not match params.estimators");
  const Index k = in.n_features_out();
  for (const SubModel& sub : subs) {
    if (voting == Voting::kMean) {
      require_sub_model(in, sub, Task::kRegression, k);
    } else {
      if (k < 2) in.invalid("a voting classifier needs n_features_out = n_classes >= 2");
      require_sub_model(in, sub, Task::kClassification, k);
      if (voting == Voting::kSoft) require_probabilities(in, sub);
    }
  }
  Eigen::VectorXd weights = in.vector("weights", m);
  if ((weights.array() < 0.0).any()) in.invalid("tensor weights has a negative value");
  const double weight_sum = p.number("weight_sum");
  if (!std::isfinite(weight_sum) || (voting != Voting::kHard && weight_sum == 0.0))
    in.invalid("params.weight_sum must be finite (and non-zero unless voting is hard)");
  return std::make_unique<VotingEstimator>(voting, std::move(subs), std::move(weights), weight_sum, k);
}

}  // namespace detail
FERRY_END_NAMESPACE
