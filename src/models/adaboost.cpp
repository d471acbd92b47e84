// scikit-learn's AdaBoostClassifier (SAMME, SAMME.R) and AdaBoostRegressor (docs/format.md
// §4.36). The classifier's scores are its decision_function: the sub-models' weighted votes
// (SAMME) or their centred log probabilities (SAMME.R), divided by the sum of the weights; its
// predict_proba is their softmax. The regressor predicts the weighted median of the sub-models'
// predictions, which no sum of per-feature terms gives: explanations are model-agnostic.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "models/composition.hpp"
#include "models/registry.hpp"
#include "spec_limits.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

enum class Algorithm { kSamme, kSammeR, kMedian };

class AdaBoost final : public Estimator {
 public:
  AdaBoost(Algorithm algorithm, std::vector<SubModel> subs, Eigen::VectorXd weights, double weight_sum, Index c)
      : Estimator(algorithm == Algorithm::kMedian ? Link::kIdentity : Link::kSoftmax), algorithm_(algorithm),
        subs_(std::move(subs)), weights_(std::move(weights)), weight_sum_(weight_sum), c_(c) {}

  Capabilities capabilities() const noexcept override {
    Capabilities c;
    c.probabilities = c.decision_function = algorithm_ != Algorithm::kMedian;
    return c;
  }

  void decision(const RowMatrixXd& X, RowMatrixXd& scores) const override {
    if (algorithm_ == Algorithm::kMedian) return weighted_median(X, scores);
    RowMatrixXd pred = RowMatrixXd::Zero(X.rows(), c_), s, proba;
    std::vector<Index> labels;
    const double eps = std::numeric_limits<double>::epsilon();
    const double k = static_cast<double>(c_);
    for (std::size_t e = 0; e < subs_.size(); ++e) {
      subs_[e].scores(X, s);
      if (algorithm_ == Algorithm::kSamme) {
        // (estimator.predict(X) == classes).T * w
        subs_[e].classes(s, labels);
        for (Index i = 0; i < X.rows(); ++i) pred(i, labels[static_cast<std::size_t>(i)]) += weights_[static_cast<Index>(e)];
        continue;
      }
      // _samme_proba: (c - 1) * (log p - (1 / c) * Σ log p), p clipped below at eps.
      subs_[e].probabilities(s, proba);
      for (Index i = 0; i < X.rows(); ++i) {
        double sum = 0.0;
        for (Index j = 0; j < c_; ++j) sum += (proba(i, j) = std::log(std::max(proba(i, j), eps)));
        for (Index j = 0; j < c_; ++j) pred(i, j) += (k - 1.0) * (proba(i, j) - (1.0 / k) * sum);
      }
    }
    pred /= weight_sum_;
    if (c_ == 2) {
      scores.resize(X.rows(), 1);
      for (Index i = 0; i < X.rows(); ++i) scores(i, 0) = -pred(i, 0) + pred(i, 1);
    } else {
      scores.swap(pred);
    }
  }
  Index n_scores() const noexcept override { return algorithm_ == Algorithm::kMedian || c_ == 2 ? 1 : c_; }

  // _compute_proba_from_decision: softmax of [-d, d] / 2 for two classes, of d / (c - 1) else.
  void probabilities(const RowMatrixXd& scores, RowMatrixXd& proba) const override {
    if (algorithm_ == Algorithm::kMedian) return Estimator::probabilities(scores, proba);
    proba.resize(scores.rows(), c_);
    for (Index i = 0; i < scores.rows(); ++i) {
      double* p = proba.row(i).data();
      if (c_ == 2) {
        p[0] = -scores(i, 0) / 2.0;
        p[1] = scores(i, 0) / 2.0;
      } else {
        for (Index j = 0; j < c_; ++j) p[j] = scores(i, j) / (static_cast<double>(c_) - 1.0);
      }
      double max = p[0];
      for (Index j = 1; j < c_; ++j) max = std::max(max, p[j]);
      double sum = 0.0;
      for (Index j = 0; j < c_; ++j) sum += (p[j] = std::exp(p[j] - max));
      for (Index j = 0; j < c_; ++j) p[j] /= sum;
    }
  }

 private:
  // AdaBoostRegressor._get_median_predict: the predictions sorted per row (ties in sub-model
  // order, which changes no value), the first whose cumulative weight reaches half the total.
  void weighted_median(const RowMatrixXd& X, RowMatrixXd& out) const {
    const auto m = static_cast<Index>(subs_.size());
    RowMatrixXd predictions(X.rows(), m), s, v;
    for (Index e = 0; e < m; ++e) {
      subs_[static_cast<std::size_t>(e)].scores(X, s);
      subs_[static_cast<std::size_t>(e)].values(s, v);
      predictions.col(e) = v.col(0);
    }
    out.resize(X.rows(), 1);
    std::vector<Index> order(static_cast<std::size_t>(m));
    std::vector<double> cdf(static_cast<std::size_t>(m));
    for (Index i = 0; i < X.rows(); ++i) {
      std::iota(order.begin(), order.end(), Index{0});
      std::stable_sort(order.begin(), order.end(), [&](Index a, Index b) { return predictions(i, a) < predictions(i, b); });
      double total = 0.0;
      for (std::size_t r = 0; r < order.size(); ++r) cdf[r] = (total += weights_[order[r]]);
      std::size_t median = 0;
      while (median + 1 < cdf.size() && !(cdf[median] >= 0.5 * total)) ++median;
      out(i, 0) = predictions(i, order[median]);
    }
  }

  Algorithm algorithm_;
  std::vector<SubModel> subs_;
  Eigen::VectorXd weights_;
  double weight_sum_;
  Index c_;
};

}  // namespace

std::unique_ptr<Estimator> make_adaboost(const StepInputs& in) {
  const artifact::Fields& p = in.params();
  const std::string name = p.string("algorithm");
  if (name != "samme" && name != "samme_r" && name != "median")
    in.invalid(fmt::format("params.algorithm \"{}\" is not samme, samme_r or median", name));
  const Algorithm algorithm = name == "samme" ? Algorithm::kSamme : name == "samme_r" ? Algorithm::kSammeR : Algorithm::kMedian;
  std::vector<SubModel> subs = build_sub_models(in, "estimators");
  const auto m = static_cast<Index>(subs.size());
  if (p.int64("n_estimators") != m) in.invalid("params.n_estimators does not match params.estimators");
  const std::int64_t c = p.int64("n_classes");
  if (algorithm == Algorithm::kMedian ? c != 1 : c < 2 || c > spec::kMaxWidth)
    in.invalid("params.n_classes must be 1 for a regressor, at least 2 for a classifier");
  const auto C = static_cast<Index>(c);
  for (const SubModel& sub : subs) {
    if (algorithm == Algorithm::kMedian) {
      require_sub_model(in, sub, Task::kRegression, 1);
    } else {
      require_sub_model(in, sub, Task::kClassification, C);
      if (algorithm == Algorithm::kSammeR) require_probabilities(in, sub);
    }
  }
  if (in.n_features_out() != (algorithm == Algorithm::kMedian || C == 2 ? 1 : C))
    in.invalid("n_features_out must be 1 for a regressor or two classes, else n_classes");
  Eigen::VectorXd weights = in.vector("weights", m);
  const double weight_sum = p.number("weight_sum");
  if (!std::isfinite(weight_sum) || weight_sum == 0.0) in.invalid("params.weight_sum must be finite and non-zero");
  return std::make_unique<AdaBoost>(algorithm, std::move(subs), std::move(weights), weight_sum, C);
}

}  // namespace detail
FERRY_END_NAMESPACE
