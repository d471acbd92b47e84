// The one path of a batch through the engine: bind, steps, estimator, link (engine.hpp).
#include "engine.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "ferry/error.hpp"
#include "input_binding.hpp"
#include "pipeline/step_sequence.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

const char* describe_non_finite(double v) {
  if (std::isnan(v)) return "a missing value (NaN)";
  return v > 0 ? "+infinity" : "-infinity";
}

// Vectorised test (x * 0 is NaN exactly for NaN and infinities, and a NaN survives the sum):
// the scans that name the culprit run only when something is off.
template <typename M>
bool any_non_finite(const M& Z) {
  return std::isnan((Z.array() * typename M::Scalar(0)).sum());
}

}  // namespace

const ValidationIssue* Run::fatal() const noexcept {
  for (const ValidationIssue& issue : issues)
    if (issue.fatal) return &issue;
  return nullptr;
}

void Engine::check_dense_columns(Index cols) const {
  const auto n_inputs = static_cast<Index>(schema.inputs.size());
  if (cols != n_inputs)
    throw Error(ErrorCode::kShape, fmt::format("input has {} columns but the model takes {}, in this order: \"{}\"{}",
                                               cols, n_inputs, schema.inputs.front().name,
                                               n_inputs > 1 ? ", ..." : ""));
  if (any_text) {
    for (const InputColumn& c : schema.inputs)
      if (c.kind != ColumnKind::kNumeric)
        throw Error(ErrorCode::kSchema, fmt::format("input \"{}\" is text; pass the input as a ferry::Table", c.name));
  }
}

template <typename T>
RowMatrixXd Engine::bind_dense(
    const Eigen::Ref<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>& X) const {
  check_dense_columns(X.cols());
  RowMatrixXd Z = X.template cast<double>();
  if (any_non_finite(Z)) check_finite(Z.data(), Z.rows(), Z.cols());
  return Z;
}

template <typename T>
void Engine::direct_scores(const Eigen::Ref<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>& X,
                           double* out, Parallel parallel) const {
  check_dense_columns(X.cols());
  if (any_non_finite(X)) {
    check_finite(X.data(), X.rows(), X.outerStride());
    // As run_pipeline's safety net: without steps, the input is what the estimator receives.
    if (any_nullable) check_transformed(X.data(), X.rows(), X.outerStride());
  }
  estimator->decision_direct(X.data(), X.rows(), X.outerStride(), out, parallel);
}
template <typename T>
std::vector<ValidationIssue> Engine::validate_dense(
    const Eigen::Ref<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>& X,
    const PredictOptions& options) const {
  std::vector<ValidationIssue> issues;
  const auto n_inputs = static_cast<Index>(schema.inputs.size());
  auto fatal = [&](IssueKind kind, ErrorCode code, std::string column, Index rows, Index first, std::string message) {
    issues.push_back(ValidationIssue{kind, true, std::move(column), rows, first, code, std::move(message)});
  };
  if (X.cols() != n_inputs) {
    const bool fewer = X.cols() < n_inputs;
    const std::string column = fewer ? schema.inputs[static_cast<std::size_t>(X.cols())].name : "";
    fatal(fewer ? IssueKind::kMissingColumn : IssueKind::kExtraColumn, ErrorCode::kShape, column, 0, -1,
          fmt::format("input has {} columns but the model takes {}", X.cols(), n_inputs));
    return issues;
  }
  for (const InputColumn& c : schema.inputs)
    if (c.kind != ColumnKind::kNumeric)
      fatal(IssueKind::kWrongType, ErrorCode::kSchema, c.name, 0, -1,
            fmt::format("input \"{}\" is text; pass the input as a ferry::Table", c.name));
  if (!issues.empty()) return issues;
  for (Index j = 0; j < n_inputs; ++j) {
    const InputColumn& c = schema.inputs[static_cast<std::size_t>(j)];
    Index missing = 0, infinite = 0, first_missing = -1, first_infinite = -1;
    for (Index i = 0; i < X.rows(); ++i) {
      const double v = static_cast<double>(X(i, j));
      if (std::isnan(v) && !c.nullable && missing++ == 0) first_missing = i;
      if (std::isinf(v) && infinite++ == 0) first_infinite = i;
    }
    if (missing > 0)
      fatal(IssueKind::kMissingValue, ErrorCode::kValue, c.name, missing, first_missing,
            fmt::format("row {}, column \"{}\": a missing value (NaN) is not allowed here ({} rows)", first_missing,
                        c.name, missing));
    if (infinite > 0)
      fatal(IssueKind::kNotFinite, ErrorCode::kValue, c.name, infinite, first_infinite,
            fmt::format("row {}, column \"{}\": an infinity is not allowed here ({} rows)", first_infinite, c.name,
                        infinite));
  }
  if (!issues.empty()) return issues;
  try {
    scores(run_steps_on(bind_dense<T>(X)), Parallel::of(options));
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kValue) throw;
    fatal(IssueKind::kRejected, e.code(), "", 0, -1, e.message());
  }
  return issues;
}

RowMatrixXd Engine::bind(const Table& input, const PredictOptions& options,
                         std::shared_ptr<const TextBatch>* text) const {
  BoundInput bound = bind_table(schema, text_inputs, input, options.strict);
  for (const ValidationIssue& issue : bound.issues)
    if (issue.fatal) throw_issue(issue);
  if (text != nullptr) *text = std::move(bound.text);
  return std::move(bound.X);
}

Run Engine::run(const Table& input, const PredictOptions& options) const {
  BoundInput bound = bind_table(schema, text_inputs, input, options.strict);
  Run r;
  r.issues = std::move(bound.issues);
  if (r.fatal() != nullptr) return r;
  r.raw = std::move(bound.X);
  r.text = std::move(bound.text);
  // What only the steps and the estimator can tell: a value a step refuses (e.g. an unknown
  // category under handle_unknown='error'), a missing value no step fills, a value a tree
  // model refuses.
  try {
    r.preprocessed = run_steps_on(r.raw, r.text.get());
    r.scores = scores(r.preprocessed, Parallel::of(options));
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kValue) throw;
    r.issues.push_back(ValidationIssue{IssueKind::kRejected, true, "", 0, -1, e.code(), e.message()});
  }
  return r;
}

Run Engine::run_or_throw(const Table& input, const PredictOptions& options) const {
  Run r = run(input, options);
  if (const ValidationIssue* issue = r.fatal()) throw_issue(*issue);
  return r;
}

StepRows Engine::run_steps_on(RowMatrixXd raw, const TextBatch* text) const {
  StepRows Z(std::move(raw));
  run_steps(steps, Z, text);
  // Safety net for nullable inputs: a NaN must not reach the estimator.
  if (any_nullable) {
    if (Z.sparse)
      check_transformed(*Z.sparse);
    else if (any_non_finite(Z.dense))
      check_transformed(Z.dense.data(), Z.dense.rows(), Z.dense.cols());
  }
  return Z;
}

RowMatrixXd Engine::run_pipeline(RowMatrixXd raw, const TextBatch* text) const {
  return std::move(run_steps_on(std::move(raw), text).densify());
}

void Engine::check_transformed(const SparseRows& Z) const {
  for (Index i = 0; i < Z.rows(); ++i)
    for (Index k = Z.begin(i); k < Z.end(i); ++k) {
      const double v = Z.values[static_cast<std::size_t>(k)];
      if (!std::isfinite(v) && !(std::isnan(v) && estimator->accepts_missing()))
        refuse_transformed(i, Z.indices[static_cast<std::size_t>(k)], v);
    }
}

void Engine::refuse_transformed(Index row, Index column, double value) const {
  const std::string& name = transformed_names[static_cast<std::size_t>(column)];
  if (std::isnan(value))
    throw Error(ErrorCode::kValue, fmt::format("row {}: a missing value reached the estimator in column \"{}\" (the "
                                               "pipeline has no imputer for it)",
                                               row, name));
  throw Error(ErrorCode::kValue,
              fmt::format("row {}: {} reached the estimator in column \"{}\"", row, describe_non_finite(value), name));
}

template <typename T>
void Engine::check_transformed(const T* Z, Index rows, Index stride) const {
  const auto cols = static_cast<Index>(transformed_names.size());
  for (Index i = 0; i < rows; ++i) {
    const T* row = Z + i * stride;
    for (Index j = 0; j < cols; ++j)
      if (!std::isfinite(row[j]) && !(std::isnan(row[j]) && estimator->accepts_missing()))
        refuse_transformed(i, j, static_cast<double>(row[j]));
  }
}

template <typename T>
void Engine::check_finite(const T* X, Index rows, Index stride) const {
  const auto n_inputs = static_cast<Index>(schema.inputs.size());
  for (Index i = 0; i < rows; ++i) {
    const T* row = X + i * stride;
    for (Index j = 0; j < n_inputs; ++j) {
      if (std::isfinite(row[j]) || (std::isnan(row[j]) && schema.inputs[static_cast<std::size_t>(j)].nullable))
        continue;
      throw Error(ErrorCode::kValue,
                  fmt::format("row {}, column \"{}\": {} is not allowed here; scikit-learn would refuse it too", i,
                              schema.inputs[static_cast<std::size_t>(j)].name,
                              describe_non_finite(static_cast<double>(row[j]))));
    }
  }
}

RowMatrixXd Engine::scores(const RowMatrixXd& preprocessed, Parallel parallel) const {
  RowMatrixXd s;
  if (parallel.threads > 1)
    estimator->decision_threaded(preprocessed, s, parallel);
  else
    estimator->decision(preprocessed, s);
  return s;
}

void Engine::require_probabilities() const {
  require_classifier("predict_proba");
  if (!capabilities.probabilities)
    throw Error(ErrorCode::kUnsupported, fmt::format("model \"{}\" has no predict_proba (scikit-learn's has none "
                                                     "either); use predict or decision_function",
                                                     metadata.name));
}

void Engine::require_decision_function() const {
  if (!capabilities.decision_function)
    throw Error(ErrorCode::kUnsupported, fmt::format("model \"{}\" has no decision_function (scikit-learn's has "
                                                     "none either); use predict_proba",
                                                     metadata.name));
}

RowMatrixXd Engine::scores(const StepRows& preprocessed, Parallel parallel) const {
  if (!preprocessed.sparse) return scores(preprocessed.dense, parallel);
  const SparseRows& X = *preprocessed.sparse;
  RowMatrixXd s;
  if (capabilities.sparse_rows) {
    estimator->decision_sparse(X, s);
    return s;
  }
  constexpr Index kDenseBlockValues = Index(1) << 20;  // 8 MB of doubles
  const Index block = std::max<Index>(1, kDenseBlockValues / std::max<Index>(1, X.cols));
  s.resize(X.rows(), estimator->n_scores());
  RowMatrixXd dense;
  for (Index first = 0; first < X.rows(); first += block) {
    const Index last = std::min(X.rows(), first + block);
    X.to_dense(first, last, dense);
    s.middleRows(first, last - first) = scores(dense, parallel);
  }
  return s;
}

RowMatrixXd Engine::probabilities(const StepRows& preprocessed, Parallel parallel) const {
  require_probabilities();
  RowMatrixXd p;
  estimator->probabilities(scores(preprocessed, parallel), p);
  return p;
}

RowMatrixXd Engine::decision_function(const StepRows& preprocessed, Parallel parallel) const {
  require_decision_function();
  return scores(preprocessed, parallel);
}

RowMatrixXd Engine::dense_scores(const Input& input, const PredictOptions& options) const {
  const Parallel parallel = Parallel::of(options);
  const bool doubles = input.kind() == Input::Kind::kDouble;
  if (!reads_rows_directly())
    return scores(run_steps_on(doubles ? bind_dense<double>(input.doubles()) : bind_dense<float>(input.floats())),
                  parallel);
  RowMatrixXd s(doubles ? input.doubles().rows() : input.floats().rows(), estimator->n_scores());
  if (doubles)
    direct_scores<double>(input.doubles(), s.data(), parallel);
  else
    direct_scores<float>(input.floats(), s.data(), parallel);
  return s;
}

Index Engine::output_width(Model::Output output) const noexcept {
  const bool classifier = schema.task == Task::kClassification;
  switch (output) {
    case Model::Output::kPredict:
      return classifier ? 1 : schema.n_outputs;
    case Model::Output::kPredictProba:
      return classifier && capabilities.probabilities ? static_cast<Index>(schema.classes.size()) : 0;
    case Model::Output::kDecisionFunction:
      return classifier && capabilities.decision_function ? estimator->n_scores() : 0;
  }
  return 0;
}

void Engine::compute(Model::Output output, const Input& input, Eigen::Ref<RowMatrixXd> out,
                     const PredictOptions& options) const {
  const char* name = nullptr;
  switch (output) {
    case Model::Output::kPredict:
      name = "predict";
      break;
    case Model::Output::kPredictProba:
      name = "predict_proba";
      require_probabilities();
      break;
    case Model::Output::kDecisionFunction:
      name = "decision_function";
      require_classifier(name);
      require_decision_function();
      break;
    default:
      throw Error(ErrorCode::kValue, fmt::format("compute: {} is not a Model::Output", static_cast<int>(output)));
  }
  const Index width = output_width(output);
  const Index rows = input.kind() == Input::Kind::kDouble  ? input.doubles().rows()
                     : input.kind() == Input::Kind::kFloat ? input.floats().rows()
                                                           : input.table().rows();
  if (out.rows() != rows || out.cols() != width)
    throw Error(ErrorCode::kShape, fmt::format("{} of {} rows writes {} x {} values; the output is {} x {}", name, rows,
                                               rows, width, out.rows(), out.cols()));
  // Raw scores go straight into `out` when they are the output and it is one block.
  if (input.kind() != Input::Kind::kTable && output == Model::Output::kDecisionFunction &&
      out.outerStride() == width && reads_rows_directly()) {
    if (input.kind() == Input::Kind::kDouble)
      direct_scores<double>(input.doubles(), out.data(), Parallel::of(options));
    else
      direct_scores<float>(input.floats(), out.data(), Parallel::of(options));
    return;
  }
  const RowMatrixXd s =
      input.kind() == Input::Kind::kTable ? run_or_throw(input.table(), options).scores : dense_scores(input, options);
  RowMatrixXd result;
  switch (output) {
    case Model::Output::kDecisionFunction:
      out = s;
      return;
    case Model::Output::kPredictProba:
      estimator->probabilities(s, result);
      break;
    case Model::Output::kPredict:
      if (schema.task == Task::kClassification) {
        std::vector<Index> classes;
        estimator->classes(s, classes);
        for (Index i = 0; i < rows; ++i) out(i, 0) = static_cast<double>(classes[static_cast<std::size_t>(i)]);
        return;
      }
      estimator->values(s, result);
      break;
  }
  out = result;
}

Prediction Engine::predict(RowMatrixXd scores) const {
  Prediction p;
  p.task = schema.task;
  p.model_name = metadata.name;
  p.model_version = metadata.version;
  p.model_content_id = metadata.content_id;
  p.scores = std::move(scores);
  if (schema.task == Task::kRegression) {
    estimator->values(p.scores, p.values);
  } else {
    p.classes = schema.classes;
    estimator->probabilities(p.scores, p.probabilities);
    estimator->classes(p.scores, p.class_index);
  }
  return p;
}

void Engine::require_classifier(const char* method) const {
  if (schema.task != Task::kClassification)
    throw Error(ErrorCode::kUnsupported, fmt::format("{} needs a classifier; model \"{}\" is a regressor", method,
                                                     metadata.name));
}

template RowMatrixXd Engine::bind_dense<double>(const Eigen::Ref<const RowMatrixXd>&) const;
template RowMatrixXd Engine::bind_dense<float>(const Eigen::Ref<const RowMatrixXf>&) const;
template void Engine::direct_scores<double>(const Eigen::Ref<const RowMatrixXd>&, double*, Parallel) const;
template void Engine::direct_scores<float>(const Eigen::Ref<const RowMatrixXf>&, double*, Parallel) const;
template std::vector<ValidationIssue> Engine::validate_dense<double>(const Eigen::Ref<const RowMatrixXd>&,
                                                                     const PredictOptions&) const;
template std::vector<ValidationIssue> Engine::validate_dense<float>(const Eigen::Ref<const RowMatrixXf>&,
                                                                    const PredictOptions&) const;

}  // namespace detail
FERRY_END_NAMESPACE
