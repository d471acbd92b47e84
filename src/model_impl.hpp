// The loaded state behind ferry::Model, shared immutably by all its copies.
#ifndef FERRY_SRC_MODEL_IMPL_HPP
#define FERRY_SRC_MODEL_IMPL_HPP

#include <memory>
#include <optional>
#include <vector>

#include "artifact/artifact.hpp"
#include "ferry/model.hpp"
#include "models/estimator.hpp"
#include "pipeline/step.hpp"
#include "pipeline/text_vocabulary.hpp"

FERRY_BEGIN_NAMESPACE

// Test rows embedded by the exporter with scikit-learn's outputs (docs/format.md §3.4).
struct Verification {
  RowMatrixXd input;
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

struct Model::Impl {
  Schema schema;
  Metadata metadata;
  // Per input: the vocabulary of a categorical (text) input, null for a numeric one.
  std::vector<std::unique_ptr<TextVocabulary>> vocabularies;
  std::vector<const TextVocabulary*> text_inputs;  // the same pointers, for binding
  bool any_text = false;
  std::vector<std::unique_ptr<Step>> steps;
  std::unique_ptr<Estimator> estimator;
  std::string estimator_type;  // its step type, e.g. "linear"
  std::optional<Verification> verification;
  std::optional<Background> background;
  std::string background_problem;  // why a stored background is unusable, if it is
  // Output column names of the preprocessing (the input names when there is none).
  std::vector<std::string> transformed_names;

  // Checks the batch against the schema and widens it to double: the raw input of the steps.
  template <typename T>
  RowMatrixXd bind_dense(const Eigen::Ref<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>& X) const;
  // bind_dense, then the preprocessing.
  template <typename T>
  RowMatrixXd preprocess(const Eigen::Ref<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>& X) const;
  // Runs the steps on bound input (text as codes) and checks what reaches the estimator.
  RowMatrixXd run_pipeline(RowMatrixXd X) const;
  // Binds named input; throws the first fatal issue unless `report` is given, where every
  // issue then goes.
  RowMatrixXd bind(const Table& input, const PredictOptions& options, std::vector<ValidationIssue>* warnings) const;
  // Error(kValue) naming the first row and column holding a value the schema forbids.
  void check_finite(const RowMatrixXd& X) const;
  // Error(kValue) naming the first row and transformed column where a missing value (or an
  // infinity) came out of the preprocessing: only possible with nullable inputs.
  void check_transformed(const RowMatrixXd& Z) const;
  bool any_nullable = false;
  Prediction predict(RowMatrixXd preprocessed, int threads = 1) const;
  RowMatrixXd scores(const RowMatrixXd& preprocessed, int threads = 1) const;
  RowMatrixXd probabilities(const RowMatrixXd& preprocessed, int threads = 1) const;
  RowMatrixXd decision_function(const RowMatrixXd& preprocessed, int threads = 1) const;
  void require_classifier(const char* method) const;
  std::size_t verify() const;  // rows checked
};

// Builds the model state from a parsed artifact; Error(kFormat/kUnsupported) on any violation
// of docs/format.md §3-4.
std::shared_ptr<const Model::Impl> build_model(const artifact::Artifact& artifact, const LoadOptions& options);

FERRY_END_NAMESPACE

#endif  // FERRY_SRC_MODEL_IMPL_HPP
