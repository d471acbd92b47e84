// Estimators made of estimators (docs/format.md §4.30): scikit-learn's meta-estimators hold
// fitted sub-estimators, each possibly a pipeline of its own. A sub-model entry in the header
// is a complete little model, {name, task, n_outputs, columns, pipeline, estimator}, built with the
// same step and estimator factories as the top level; each meta-estimator type (voting.cpp,
// stacking.cpp, ...) only adds its combination rule.
#ifndef FERRY_SRC_MODELS_COMPOSITION_HPP
#define FERRY_SRC_MODELS_COMPOSITION_HPP

#include <memory>
#include <string>
#include <vector>

#include "ferry/model.hpp"
#include "models/estimator.hpp"
#include "pipeline/step.hpp"
#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {

// One fitted sub-estimator with its own preprocessing. Immutable once built.
class SubModel {
 public:
  std::string name;  // e.g. "estimators[1]: Pipeline" (messages)
  Task task = Task::kRegression;
  Index n_outputs = 1;  // classes of a classifier, targets of a regressor
  std::vector<Index> columns;  // the parent's input columns it takes, in order; empty: all
  std::vector<std::unique_ptr<Step>> steps;
  std::unique_ptr<Estimator> estimator;
  Capabilities capabilities;

  // X (its selected columns) through the sub-model's steps into its estimator.
  void scores(const RowMatrixXd& X, RowMatrixXd& scores) const;
  // The estimator's own rules on those scores.
  void probabilities(const RowMatrixXd& scores, RowMatrixXd& proba) const { estimator->probabilities(scores, proba); }
  void classes(const RowMatrixXd& scores, std::vector<Index>& out) const { estimator->classes(scores, out); }
  void values(const RowMatrixXd& scores, RowMatrixXd& out) const { estimator->values(scores, out); }
};

// Builds the sub-model `entry` (at `path`, e.g. "estimator.params.estimators[0]") taking
// `n_in` numeric columns named `names`: its pipeline as the top-level one (pipeline/
// step_sequence.hpp), its estimator checked against its own task and n_outputs as the top-level
// estimator is against the schema. Nesting is bounded (spec limit max_composition_depth): a
// deeper file is a format error, never unbounded recursion. Error(kFormat/kUnsupported).
SubModel build_sub_model(const StepInputs& parent, const nlohmann::json& entry, const std::string& path,
                         const std::vector<std::string>& names);

// The sub-models of the parent's array parameter `key`, each taking the parent's input
// columns; at least one.
std::vector<SubModel> build_sub_models(const StepInputs& parent, const char* key);

// Error(kFormat) about the parent unless the sub-model is a `task` model with `n_outputs`
// outputs (for a classifier, its class count).
void require_sub_model(const StepInputs& parent, const SubModel& sub, Task task, Index n_outputs);

// Error(kFormat) about the parent unless `sub` offers the capability.
void require_probabilities(const StepInputs& parent, const SubModel& sub);
void require_decision_function(const StepInputs& parent, const SubModel& sub);

}  // namespace detail
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_MODELS_COMPOSITION_HPP
