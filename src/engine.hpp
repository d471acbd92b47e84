// The engine behind ferry::Model: the loaded pipeline and estimator, and the one path every
// input takes through them, forward only: bind (schema, names, kinds, missing values) ->
// steps -> estimator (raw scores) -> link. The loader builds it (engine_loader.cpp), Model
// forwards to it (model.cpp), explain reads it (explain/); it knows neither of them.
#ifndef FERRY_SRC_ENGINE_HPP
#define FERRY_SRC_ENGINE_HPP

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "artifact/artifact.hpp"
#include "ferry/model.hpp"
#include "models/estimator.hpp"
#include "monitor/baseline.hpp"
#include "pipeline/step.hpp"
#include "pipeline/text_batch.hpp"
#include "pipeline/text_vocabulary.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {

// Test rows embedded by the exporter with scikit-learn's outputs (docs/format.md §3.4).
struct Verification {
  RowMatrixXd input;
  TextBatch text;  // free-text inputs: the rows' texts (verification.texts), codes are row indices
  std::optional<std::vector<std::int64_t>> predict_classes;  // classification
  std::optional<RowMatrixXd> predict_values;                  // regression
  std::optional<RowMatrixXd> predict_proba;
  std::optional<RowMatrixXd> decision_function;
  double rtol = 0.0;
  double atol = 0.0;
};

// The background distribution of interventional SHAP (docs/format.md §3.5).
struct Background {
  RowMatrixXd raw;          // B x inputs, as bound input: numbers, text codes, NaN missing
  Eigen::VectorXd weights;  // B, summing to 1
  RowMatrixXd transformed;  // raw through the pipeline: what the estimator receives
};

// One named batch taken through the engine once: every problem Model::validate lists, and,
// when none is fatal, the batch at each stage, so that predict, explain and the CLI reuse one
// binding and one run of the pipeline.
struct Run {
  std::vector<ValidationIssue> issues;  // in validate's order; a step's refusal is kRejected
  RowMatrixXd raw;                      // bound input: numbers, text codes, NaN missing
  std::shared_ptr<const TextBatch> text;  // the free text `raw` refers to, or null
  StepRows preprocessed;                // what the estimator received (sparse where the steps made it so)
  RowMatrixXd scores;                   // the estimator's raw scores
  // The first fatal issue, or null.
  const ValidationIssue* fatal() const noexcept;
};

class Engine {
 public:
  Schema schema;
  Metadata metadata;
  // Per input: the vocabulary of a categorical (text) input, null for a numeric one.
  std::vector<std::unique_ptr<TextVocabulary>> vocabularies;
  std::vector<const TextVocabulary*> text_inputs;  // the same pointers, for binding
  bool any_text = false;       // a categorical or free-text input
  bool any_free_text = false;  // an input of kind "text"
  bool any_nullable = false;
  std::vector<std::unique_ptr<Step>> steps;
  std::unique_ptr<Estimator> estimator;
  std::string estimator_type;  // its step type, e.g. "linear": for messages only
  Capabilities capabilities;   // the estimator's, as declared at the end of loading
  std::optional<Verification> verification;
  std::optional<Background> background;
  std::string background_problem;  // why a stored background is unusable, if it is
  std::optional<Baseline> baseline;  // drift baselines (docs/format.md §3.6), when stored
  // Output column names of the preprocessing (the input names when there is none).
  std::vector<std::string> transformed_names;

  // Dense input checked against the schema and widened to double: the raw input of the steps.
  template <typename T>
  RowMatrixXd bind_dense(const Eigen::Ref<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>& X) const;
  // The raw scores of a dense batch: read where it lies where reads_rows_directly(), else
  // widened and taken through the pipeline.
  RowMatrixXd dense_scores(const Input& input, const PredictOptions& options) const;
  // Model::output_width and Model::compute.
  Index output_width(Model::Output output) const noexcept;
  void compute(Model::Output output, const Input& input, Eigen::Ref<RowMatrixXd> out,
               const PredictOptions& options) const;
  // Whether direct_scores() applies: no preprocessing steps, and an estimator that reads rows
  // where they lie (Capabilities::direct_rows).
  bool reads_rows_directly() const noexcept { return steps.empty() && capabilities.direct_rows; }
  // Raw scores of a dense batch read where it lies into `scores` (rows x the estimator's
  // n_scores(), row-major), checked as bind_dense checks it but without the widened copy.
  // Only where reads_rows_directly().
  template <typename T>
  void direct_scores(const Eigen::Ref<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>& X,
                     double* scores, Parallel parallel) const;
  // Every problem of a dense batch, as Model::validate lists them for a Table: a wrong column
  // count, text inputs, and per column the missing values and infinities it may not hold, then
  // a step's or the estimator's refusal.
  template <typename T>
  std::vector<ValidationIssue> validate_dense(
      const Eigen::Ref<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>& X,
      const PredictOptions& options) const;
  // Named input bound by name, throwing the first fatal issue; counted issues are dropped.
  // `text` receives the batch's free text (null when the model takes none).
  RowMatrixXd bind(const Table& input, const PredictOptions& options,
                   std::shared_ptr<const TextBatch>* text = nullptr) const;
  // Named input through the whole path, stopping at the first stage with a fatal issue.
  Run run(const Table& input, const PredictOptions& options) const;
  // run(), throwing the first fatal issue as its Error; the counted ones are in `issues`.
  Run run_or_throw(const Table& input, const PredictOptions& options) const;
  // Runs the steps on bound input (text as codes; free text in `text`) and checks what reaches
  // the estimator: sparse where the steps made it so.
  StepRows run_steps_on(RowMatrixXd raw, const TextBatch* text = nullptr) const;
  // The same, made dense: for explain, and Model::transform.
  RowMatrixXd run_pipeline(RowMatrixXd raw, const TextBatch* text = nullptr) const;
  RowMatrixXd scores(const RowMatrixXd& preprocessed, Parallel parallel = {}) const;
  // Of a batch that may be sparse: read sparse by an estimator that declares sparse_rows, else
  // made dense a block of rows at a time, so that a wide sparse batch never stands dense at once.
  RowMatrixXd scores(const StepRows& preprocessed, Parallel parallel = {}) const;
  // The link applied to scores.
  Prediction predict(RowMatrixXd scores) const;
  // From the preprocessed batch; Error(kUnsupported) before any work where the model has no
  // such output (as scikit-learn's).
  RowMatrixXd probabilities(const StepRows& preprocessed, Parallel parallel) const;
  RowMatrixXd decision_function(const StepRows& preprocessed, Parallel parallel) const;
  // Error(kUnsupported) naming `method` for a regressor.
  void require_classifier(const char* method) const;
  // Error(kUnsupported) where the model has no predict_proba / decision_function (as
  // scikit-learn's has none).
  void require_probabilities() const;
  void require_decision_function() const;
  std::size_t verify() const;  // rows checked

 private:
  // Error(kShape) for a wrong column count, kSchema for a model with text inputs.
  void check_dense_columns(Index cols) const;
  // Error(kValue) naming the first row and column holding a value the schema forbids.
  template <typename T>
  void check_finite(const T* X, Index rows, Index stride) const;
  // Error(kValue) naming the first row and transformed column where a missing value (or an
  // infinity) came out of the preprocessing: only possible with nullable inputs.
  template <typename T>
  void check_transformed(const T* Z, Index rows, Index stride) const;
  void check_transformed(const SparseRows& Z) const;
  [[noreturn]] void refuse_transformed(Index row, Index column, double value) const;
};

// Builds the engine from a parsed artifact; Error(kFormat/kUnsupported) on any violation of
// docs/format.md §3-4. `content_id` (the SHA-256 of the artifact's bytes) becomes
// Metadata::content_id.
std::shared_ptr<const Engine> load_engine(const artifact::Artifact& artifact, const LoadOptions& options,
                                          std::string content_id = {});

// The engine of a loaded model, for the library's own tools (the CLI) that take a batch
// through it once.
const Engine& engine_of(const Model& model) noexcept;

}  // namespace detail
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_ENGINE_HPP
