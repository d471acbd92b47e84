// A preprocessing step: one scikit-learn transformer, frozen.
#ifndef FERRY_SRC_PIPELINE_STEP_HPP
#define FERRY_SRC_PIPELINE_STEP_HPP

#include <memory>
#include <vector>

#include "ferry/matrix.hpp"
#include "pipeline/step_rows.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {

class StepInputs;
struct TextBatch;

class Step {
 public:
  virtual ~Step() = default;
  // Replaces X (rows x n_features_in) by its transform (rows x n_features_out). Must be
  // safe to call concurrently: a step is immutable after construction.
  virtual void transform(RowMatrixXd& X) const = 0;
  // The same on a batch that may be sparse, with the batch's free text (null when the batch has
  // none). By default a sparse batch is made dense first; the steps that take free text, the
  // composites holding them and the steps scikit-learn computes on sparse rows override it.
  virtual void transform_rows(StepRows& X, const TextBatch* /*text*/) const { transform(X.densify()); }
  // For each output column, the input column it copies unchanged, or -1; empty when none
  // is a copy. A copied text column still carries text codes for the steps after this one.
  virtual std::vector<Index> copied_columns() const { return {}; }
  // For each output column, the one input column (of n_in) it is computed from alone, or -1
  // when it mixes several; empty when the step does not say (every output then counts as
  // mixed). Explanations use it to sum attributions back to raw input columns.
  virtual std::vector<Index> source_columns(Index /*n_in*/) const { return {}; }
};

// Source columns of a step that maps each column to itself (scalers, element-wise functions).
inline std::vector<Index> same_columns(Index n) {
  std::vector<Index> s(static_cast<std::size_t>(n));
  for (Index j = 0; j < n; ++j) s[static_cast<std::size_t>(j)] = j;
  return s;
}

// Builds the step of type inputs.type(); Error(kUnsupported) naming an unknown type,
// Error(kFormat) for parameters or tensors that break the step's rules (docs/format.md §4).
std::unique_ptr<Step> make_step(const StepInputs& inputs);

}  // namespace detail
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_PIPELINE_STEP_HPP
