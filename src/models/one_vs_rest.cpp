// scikit-learn's OneVsRestClassifier (docs/format.md §4.34): one binary sub-model per class
// (one in all for two classes). The scores are each sub-model's decision_function, or the
// probability of its positive class when it has none (scikit-learn's _predict_binary).
#include <algorithm>
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "models/composition.hpp"
#include "models/registry.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

class OneVsRest final : public Estimator {
 public:
  OneVsRest(std::vector<SubModel> subs, bool use_decision, bool probabilities)
      : Estimator(subs.size() == 1 ? Link::kLogistic : Link::kOvr), subs_(std::move(subs)),
        use_decision_(use_decision), probabilities_(probabilities) {}

  Capabilities capabilities() const noexcept override {
    Capabilities c;
    c.probabilities = probabilities_;
    c.decision_function = use_decision_;
    return c;
  }

  void decision(const RowMatrixXd& X, RowMatrixXd& scores) const override {
    scores.resize(X.rows(), n_scores());
    RowMatrixXd s, proba;
    for (std::size_t e = 0; e < subs_.size(); ++e) {
      subs_[e].scores(X, s);
      if (use_decision_) {
        scores.col(static_cast<Index>(e)) = s.col(0);
      } else {
        subs_[e].probabilities(s, proba);
        scores.col(static_cast<Index>(e)) = proba.col(1);
      }
    }
  }
  Index n_scores() const noexcept override { return static_cast<Index>(subs_.size()); }

  // predict_proba: each sub-model's probability of its positive class ([1 - p, p] for one
  // sub-model), every row divided by its sum.
  void probabilities(const RowMatrixXd& scores, RowMatrixXd& proba) const override {
    const Index m = n_scores(), rows = scores.rows();
    if (!probabilities_) {
      proba.resize(rows, 0);
      return;
    }
    RowMatrixXd Y(rows, m), one(rows, 1), p;
    for (Index e = 0; e < m; ++e) {
      if (use_decision_) {
        one.col(0) = scores.col(e);
        subs_[static_cast<std::size_t>(e)].probabilities(one, p);
        Y.col(e) = p.col(1);
      } else {
        Y.col(e) = scores.col(e);
      }
    }
    proba.resize(rows, m == 1 ? 2 : m);
    for (Index i = 0; i < rows; ++i) {
      if (m == 1) {
        proba(i, 0) = 1.0 - Y(i, 0);
        proba(i, 1) = Y(i, 0);
      } else {
        proba.row(i) = Y.row(i);
      }
      double sum = 0.0;
      for (Index j = 0; j < proba.cols(); ++j) sum += proba(i, j);
      for (Index j = 0; j < proba.cols(); ++j) proba(i, j) /= sum;
    }
  }

  // predict: two classes, class 1 iff the score is above 0 (a decision) or 0.5 (a
  // probability); more, the running maximum over the sub-models in order, a tie going to the
  // later one (maxima == pred).
  void classes(const RowMatrixXd& scores, std::vector<Index>& out) const override {
    const Index m = n_scores(), rows = scores.rows();
    out.resize(static_cast<std::size_t>(rows));
    for (Index i = 0; i < rows; ++i) {
      if (m == 1) {
        out[static_cast<std::size_t>(i)] = scores(i, 0) > (use_decision_ ? 0.0 : 0.5) ? 1 : 0;
        continue;
      }
      double maximum = -std::numeric_limits<double>::infinity();
      Index best = 0;
      for (Index e = 0; e < m; ++e) {
        maximum = std::isnan(scores(i, e)) || std::isnan(maximum) ? std::numeric_limits<double>::quiet_NaN()
                                                                   : std::max(maximum, scores(i, e));
        if (maximum == scores(i, e)) best = e;
      }
      out[static_cast<std::size_t>(i)] = best;
    }
  }

 private:
  std::vector<SubModel> subs_;
  bool use_decision_;
  bool probabilities_;
};

}  // namespace

std::unique_ptr<Estimator> make_one_vs_rest(const StepInputs& in) {
  const std::string response = in.params().string("response");
  if (response != "decision_function" && response != "predict_proba")
    in.invalid(fmt::format("params.response \"{}\" is not decision_function or predict_proba", response));
  const bool use_decision = response == "decision_function";
  std::vector<SubModel> subs = build_sub_models(in, "estimators");
  const auto m = static_cast<Index>(subs.size());
  if (m == 2) in.invalid("params.estimators must hold one sub-model (two classes) or one per class (more)");
  if (in.n_features_out() != m) in.invalid("n_features_out must equal the number of sub-models");
  bool probabilities = true;
  for (const SubModel& sub : subs) {
    require_sub_model(in, sub, Task::kClassification, 2);
    if (use_decision) {
      require_decision_function(in, sub);
      if (sub.estimator->n_scores() != 1) in.invalid(fmt::format("sub-model \"{}\" must give one decision value", sub.name));
    } else {
      require_probabilities(in, sub);
    }
    probabilities = probabilities && sub.capabilities.probabilities;
  }
  return std::make_unique<OneVsRest>(std::move(subs), use_decision, probabilities);
}

}  // namespace detail
FERRY_END_NAMESPACE
