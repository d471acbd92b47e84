// scikit-learn's OneVsOneClassifier (docs/format.md §4.37): a binary sub-model per pair of
// classes; the scores are _ovr_decision_function of their predictions and confidences.
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

class OneVsOne final : public Estimator {
 public:
  OneVsOne(std::vector<SubModel> subs, bool use_decision, Index c)
      : Estimator(Link::kNone), subs_(std::move(subs)), use_decision_(use_decision), c_(c) {}

  Capabilities capabilities() const noexcept override {
    Capabilities c;
    c.decision_function = true;  // and no predict_proba
    return c;
  }

  // votes + confidences / (3 (|confidences| + 1)): pair (i, j) votes for j when its sub-model
  // predicts 1, else for i, and its confidence counts against i and for j.
  void decision(const RowMatrixXd& X, RowMatrixXd& scores) const override {
    const Index rows = X.rows();
    RowMatrixXd votes = RowMatrixXd::Zero(rows, c_), sums = RowMatrixXd::Zero(rows, c_), s, proba;
    std::vector<Index> labels;
    std::size_t k = 0;
    for (Index i = 0; i < c_; ++i)
      for (Index j = i + 1; j < c_; ++j, ++k) {
        const SubModel& sub = subs_[k];
        sub.scores(X, s);
        sub.classes(s, labels);
        if (!use_decision_) sub.probabilities(s, proba);
        for (Index r = 0; r < rows; ++r) {
          const double confidence = use_decision_ ? s(r, 0) : proba(r, 1);
          sums(r, i) -= confidence;
          sums(r, j) += confidence;
          votes(r, labels[static_cast<std::size_t>(r)] == 0 ? i : j) += 1.0;
        }
      }
    scores.resize(rows, c_ == 2 ? 1 : c_);
    for (Index r = 0; r < rows; ++r)
      for (Index j = c_ == 2 ? 1 : 0; j < c_; ++j)
        scores(r, c_ == 2 ? 0 : j) = votes(r, j) + sums(r, j) / (3.0 * (std::abs(sums(r, j)) + 1.0));
  }
  Index n_scores() const noexcept override { return c_ == 2 ? 1 : c_; }

  // Two classes: class 1 iff the score is above 0 (sub-models with decision_function) or 0.5;
  // more: the first maximum.
  void classes(const RowMatrixXd& scores, std::vector<Index>& out) const override {
    if (c_ > 2) return predict_classes(scores, out);
    out.resize(static_cast<std::size_t>(scores.rows()));
    for (Index r = 0; r < scores.rows(); ++r)
      out[static_cast<std::size_t>(r)] = scores(r, 0) > (use_decision_ ? 0.0 : 0.5) ? 1 : 0;
  }

 private:
  std::vector<SubModel> subs_;
  bool use_decision_;
  Index c_;
};

}  // namespace

std::unique_ptr<Estimator> make_one_vs_one(const StepInputs& in) {
  const artifact::Fields& p = in.params();
  const std::string response = p.string("response");
  if (response != "decision_function" && response != "predict_proba")
    in.invalid(fmt::format("params.response \"{}\" is not decision_function or predict_proba", response));
  const bool use_decision = response == "decision_function";
  const std::int64_t c = p.int64("n_classes");
  if (c < 2 || c > 4096) in.invalid("params.n_classes must be in [2, 4096]");
  std::vector<SubModel> subs = build_sub_models(in, "estimators");
  if (static_cast<std::int64_t>(subs.size()) != c * (c - 1) / 2)
    in.invalid("params.estimators must hold one sub-model per pair of classes");
  if (in.n_features_out() != (c == 2 ? 1 : c)) in.invalid("n_features_out must be 1 for two classes, else n_classes");
  for (const SubModel& sub : subs) {
    require_sub_model(in, sub, Task::kClassification, 2);
    if (use_decision) {
      require_decision_function(in, sub);
      if (sub.estimator->n_scores() != 1) in.invalid(fmt::format("sub-model \"{}\" must give one decision value", sub.name));
    } else {
      require_probabilities(in, sub);
    }
  }
  return std::make_unique<OneVsOne>(std::move(subs), use_decision, static_cast<Index>(c));
}

}  // namespace detail
FERRY_END_NAMESPACE
