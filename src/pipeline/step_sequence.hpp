// Builds a list of steps from the header, carrying column names and text columns from each
// step to the next: the top-level pipeline and the pipelines nested in composite steps.
#ifndef FERRY_SRC_PIPELINE_STEP_SEQUENCE_HPP
#define FERRY_SRC_PIPELINE_STEP_SEQUENCE_HPP

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "ferry/detail/config.hpp"
#include "artifact/artifact.hpp"
#include "pipeline/step.hpp"
#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {

// Builds the steps of the JSON array `entries` (located at `path`, e.g. "pipeline"), whose
// first step takes `columns`; on return `columns` describes the last step's output. Checks
// each step's n_features_in against the width before it, its feature_names_out, and that
// text reaches only steps that take text. Error(kFormat/kUnsupported) as make_step.
std::vector<std::unique_ptr<Step>> build_steps(const nlohmann::json& entries, const std::string& path,
                                               const artifact::Artifact& artifact, std::set<std::string>& used,
                                               Columns& columns);

// For each output column of `steps` (run on n_in columns), the one input column it is computed
// from alone, or -1 when it mixes several (Step::source_columns composed).
std::vector<Index> source_columns_through(const std::vector<std::unique_ptr<Step>>& steps, Index n_in);

// Runs steps in order on X; `text` is the batch's free text, when it has some. The first
// overload leaves X sparse where the steps made it so; the second gives it back dense.
void run_steps(const std::vector<std::unique_ptr<Step>>& steps, StepRows& X, const TextBatch* text = nullptr);
void run_steps(const std::vector<std::unique_ptr<Step>>& steps, RowMatrixXd& X, const TextBatch* text = nullptr);

}  // namespace detail
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_PIPELINE_STEP_SEQUENCE_HPP
