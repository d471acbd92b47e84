// scikit-learn's StackingClassifier and StackingRegressor (docs/format.md §4.32): each
// sub-model's output by its stack method side by side (with the input itself after them under
// passthrough) is the input of the final estimator, whose outputs are the model's.
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

enum class StackMethod { kPredictProba, kDecisionFunction, kPredict };

struct Stacked {
  SubModel sub;
  StackMethod method;
  Index width;  // meta-features it gives
};

class StackingEstimator final : public Estimator {
 public:
  StackingEstimator(std::vector<Stacked> stacked, SubModel final, bool passthrough, Index meta_width)
      : Estimator(final.estimator->link()), stacked_(std::move(stacked)), final_(std::move(final)),
        passthrough_(passthrough), meta_width_(meta_width) {}

  // The final estimator's outputs; explanations are model-agnostic.
  Capabilities capabilities() const noexcept override {
    Capabilities c;
    c.probabilities = final_.capabilities.probabilities;
    c.decision_function = final_.capabilities.decision_function;
    return c;
  }

  void decision(const RowMatrixXd& X, RowMatrixXd& scores) const override {
    RowMatrixXd meta(X.rows(), meta_width_), s, out;
    std::vector<Index> labels;
    Index at = 0;
    for (const Stacked& st : stacked_) {
      st.sub.scores(X, s);
      switch (st.method) {
        case StackMethod::kPredictProba:
          st.sub.probabilities(s, out);
          // _concatenate_predictions: two classes keep only the second column.
          meta.middleCols(at, st.width) = out.rightCols(st.width);
          break;
        case StackMethod::kDecisionFunction:
          meta.middleCols(at, st.width) = s;
          break;
        case StackMethod::kPredict:
          if (st.sub.task == Task::kClassification) {
            // The sub-models were fitted on the encoded labels 0 .. c-1: predict gives those.
            st.sub.classes(s, labels);
            for (Index i = 0; i < X.rows(); ++i) meta(i, at) = static_cast<double>(labels[static_cast<std::size_t>(i)]);
          } else {
            st.sub.values(s, out);
            meta.middleCols(at, st.width) = out;
          }
          break;
      }
      at += st.width;
    }
    if (passthrough_) meta.rightCols(X.cols()) = X;
    final_.scores(meta, scores);
  }
  Index n_scores() const noexcept override { return final_.estimator->n_scores(); }
  void probabilities(const RowMatrixXd& scores, RowMatrixXd& proba) const override {
    final_.probabilities(scores, proba);
  }
  void classes(const RowMatrixXd& scores, std::vector<Index>& out) const override { final_.classes(scores, out); }
  void values(const RowMatrixXd& scores, RowMatrixXd& out) const override { final_.values(scores, out); }

 private:
  std::vector<Stacked> stacked_;
  SubModel final_;
  bool passthrough_;
  Index meta_width_;
};

}  // namespace

std::unique_ptr<Estimator> make_stacking(const StepInputs& in) {
  const artifact::Fields& p = in.params();
  const bool classifier = p.boolean("classifier");
  const bool passthrough = p.boolean("passthrough");
  std::vector<SubModel> subs = build_sub_models(in, "estimators");
  const nlohmann::json& methods = p.array("stack_methods");
  if (methods.size() != subs.size()) in.invalid("params.stack_methods must name one method per sub-model");
  std::vector<Stacked> stacked;
  std::vector<std::string> names;
  for (std::size_t e = 0; e < subs.size(); ++e) {
    SubModel& sub = subs[e];
    if (!methods[e].is_string()) in.invalid(fmt::format("params.stack_methods[{}] is not a string", e));
    const std::string method = methods[e].get<std::string>();
    if (classifier) require_sub_model(in, sub, Task::kClassification, sub.n_outputs);
    else require_sub_model(in, sub, Task::kRegression, 1);
    Stacked st{std::move(sub), StackMethod::kPredict, 1};
    if (method == "predict_proba" && classifier) {
      require_probabilities(in, st.sub);
      st.method = StackMethod::kPredictProba;
      st.width = st.sub.n_outputs == 2 ? 1 : st.sub.n_outputs;
    } else if (method == "decision_function" && classifier) {
      require_decision_function(in, st.sub);
      st.method = StackMethod::kDecisionFunction;
      st.width = st.sub.estimator->n_scores();
    } else if (method != "predict") {
      in.invalid(fmt::format("params.stack_methods[{}] \"{}\" is not {}", e, method,
                             classifier ? "predict_proba, decision_function or predict" : "predict"));
    }
    for (Index j = 0; j < st.width; ++j) names.push_back(fmt::format("{}{}", st.sub.name, j));
    stacked.push_back(std::move(st));
  }
  if (passthrough)
    for (const std::string& name : in.names_in()) names.push_back(name);
  const auto meta_width = static_cast<Index>(names.size());
  if (meta_width > spec::kMaxWidth) in.invalid("the stacked features are too many");
  SubModel final = build_sub_model(in, p.any("final_estimator"), in.path() + ".params.final_estimator", names);
  if (classifier) {
    if (final.task != Task::kClassification) in.invalid("the final estimator of a stacking classifier must be a classifier");
    for (const Stacked& st : stacked)
      if (st.sub.n_outputs != final.n_outputs)
        in.invalid(fmt::format("sub-model \"{}\" must be a classifier with {} classes", st.sub.name, final.n_outputs));
  } else {
    require_sub_model(in, final, Task::kRegression, 1);
  }
  if (final.estimator->n_scores() != in.n_features_out())
    in.invalid("n_features_out must equal the number of the final estimator's scores");
  return std::make_unique<StackingEstimator>(std::move(stacked), std::move(final), passthrough, meta_width);
}

}  // namespace detail
FERRY_END_NAMESPACE
