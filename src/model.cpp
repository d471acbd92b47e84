// The public Model API: loading, and the float/double entry points, which are thin
// forwards to one template instantiated twice.
#include "ferry/model.hpp"

#include <cmath>

#include <fmt/format.h>

#include "explain/attribution.hpp"
#include "ferry/error.hpp"
#include "input_binding.hpp"
#include "model_impl.hpp"
#include "pipeline/step_sequence.hpp"

FERRY_BEGIN_NAMESPACE

namespace {

const char* describe_non_finite(double v) {
  if (std::isnan(v)) return "a missing value (NaN)";
  return v > 0 ? "+infinity" : "-infinity";
}

}  // namespace

template <typename T>
RowMatrixXd Model::Impl::bind_dense(
    const Eigen::Ref<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>& X) const {
  const auto n_inputs = static_cast<Index>(schema.inputs.size());
  if (X.cols() != n_inputs)
    throw Error(ErrorCode::kShape, fmt::format("input has {} columns but the model takes {}, in this order: \"{}\"{}",
                                               X.cols(), n_inputs, schema.inputs.front().name,
                                               n_inputs > 1 ? ", ..." : ""));
  if (any_text) {
    for (const InputColumn& c : schema.inputs)
      if (c.kind == ColumnKind::kCategorical)
        throw Error(ErrorCode::kSchema, fmt::format("input \"{}\" is text; pass the input as a ferry::Table", c.name));
  }
  RowMatrixXd Z = X.template cast<double>();
  // Vectorised fast path (x * 0 is NaN exactly for NaN and infinities, and a NaN survives
  // the sum); the scan that names the culprit runs only when something is off.
  if (std::isnan((Z.array() * 0.0).sum())) check_finite(Z);
  return Z;
}

template <typename T>
RowMatrixXd Model::Impl::preprocess(
    const Eigen::Ref<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>& X) const {
  return run_pipeline(bind_dense<T>(X));
}

RowMatrixXd Model::Impl::run_pipeline(RowMatrixXd Z) const {
  run_steps(steps, Z);
  // Safety net for nullable inputs: a NaN must not reach the estimator (same cheap check).
  if (any_nullable && std::isnan((Z.array() * 0.0).sum())) check_transformed(Z);
  return Z;
}

RowMatrixXd Model::Impl::bind(const Table& input, const PredictOptions& options,
                              std::vector<ValidationIssue>* warnings) const {
  BoundInput bound = bind_table(schema, text_inputs, input, options.strict);
  for (ValidationIssue& issue : bound.issues) {
    if (issue.fatal) throw_issue(issue);
    if (warnings != nullptr) warnings->push_back(std::move(issue));
  }
  return std::move(bound.X);
}

void Model::Impl::check_transformed(const RowMatrixXd& Z) const {
  for (Index i = 0; i < Z.rows(); ++i) {
    const double* row = Z.row(i).data();
    for (Index j = 0; j < Z.cols(); ++j) {
      if (std::isfinite(row[j]) || (std::isnan(row[j]) && estimator->accepts_missing())) continue;
      const std::string& name = transformed_names[static_cast<std::size_t>(j)];
      if (std::isnan(row[j]))
        throw Error(ErrorCode::kValue,
                    fmt::format("row {}: a missing value reached the estimator in column \"{}\" (the pipeline has "
                                "no imputer for it)",
                                i, name));
      throw Error(ErrorCode::kValue, fmt::format("row {}: {} reached the estimator in column \"{}\"", i,
                                                 describe_non_finite(row[j]), name));
    }
  }
}

void Model::Impl::check_finite(const RowMatrixXd& Z) const {
  const auto n_inputs = static_cast<Index>(schema.inputs.size());
  for (Index i = 0; i < Z.rows(); ++i) {
    const double* row = Z.row(i).data();
    for (Index j = 0; j < n_inputs; ++j) {
      if (std::isfinite(row[j]) || (std::isnan(row[j]) && schema.inputs[static_cast<std::size_t>(j)].nullable))
        continue;
      throw Error(ErrorCode::kValue,
                  fmt::format("row {}, column \"{}\": {} is not allowed here; scikit-learn would refuse it too", i,
                              schema.inputs[static_cast<std::size_t>(j)].name, describe_non_finite(row[j])));
    }
  }
}

RowMatrixXd Model::Impl::scores(const RowMatrixXd& preprocessed, int threads) const {
  RowMatrixXd s;
  if (threads > 1)
    estimator->decision_threaded(preprocessed, s, threads);
  else
    estimator->decision(preprocessed, s);
  return s;
}

RowMatrixXd Model::Impl::probabilities(const RowMatrixXd& preprocessed, int threads) const {
  require_classifier("predict_proba");
  if (!estimator->capabilities().probabilities)
    throw Error(ErrorCode::kUnsupported, fmt::format("model \"{}\" has no predict_proba (scikit-learn's has none "
                                                     "either); use predict or decision_function",
                                                     metadata.name));
  RowMatrixXd p;
  apply_link(estimator->link(), scores(preprocessed, threads), p);
  return p;
}

RowMatrixXd Model::Impl::decision_function(const RowMatrixXd& preprocessed, int threads) const {
  if (!estimator->capabilities().decision_function)
    throw Error(ErrorCode::kUnsupported, fmt::format("model \"{}\" has no decision_function (scikit-learn's has "
                                                     "none either); use predict_proba",
                                                     metadata.name));
  return scores(preprocessed, threads);
}

Prediction Model::Impl::predict(RowMatrixXd preprocessed, int threads) const {
  Prediction p;
  p.task = schema.task;
  p.model_name = metadata.name;
  p.model_version = metadata.version;
  p.scores = scores(preprocessed, threads);
  if (schema.task == Task::kRegression) {
    regression_values(estimator->link(), p.scores, p.values);
  } else {
    p.classes = schema.classes;
    apply_link(estimator->link(), p.scores, p.probabilities);
    predict_classes(estimator->link(), p.scores, p.class_index);
  }
  return p;
}

void Model::Impl::require_classifier(const char* method) const {
  if (schema.task != Task::kClassification)
    throw Error(ErrorCode::kUnsupported, fmt::format("{} needs a classifier; model \"{}\" is a regressor", method,
                                                     metadata.name));
}

Model::Model(std::shared_ptr<const Impl> impl) noexcept : impl_(std::move(impl)) {}

Model Model::from_bytes(const void* data, std::size_t size, const LoadOptions& options) {
  const artifact::Limits limits{options.max_header_bytes, options.max_tensor_bytes};
  const artifact::Artifact a = artifact::read(static_cast<const std::uint8_t*>(data), size, limits);
  Model model(build_model(a, options));
  if (options.verify) model.verify();
  return model;
}

Model Model::load(const std::string& path, const LoadOptions& options) {
  const std::vector<std::uint8_t> bytes = artifact::read_file(path);
  try {
    return from_bytes(bytes.data(), bytes.size(), options);
  } catch (const Error& e) {
    throw Error(e.code(), fmt::format("{}: {}", path, e.message()));
  }
}

const Schema& Model::schema() const noexcept { return impl_->schema; }
const Metadata& Model::metadata() const noexcept { return impl_->metadata; }

Prediction Model::predict(const Eigen::Ref<const RowMatrixXd>& X) const {
  return impl_->predict(impl_->preprocess<double>(X));
}
Prediction Model::predict(const Eigen::Ref<const RowMatrixXf>& X) const {
  return impl_->predict(impl_->preprocess<float>(X));
}

RowMatrixXd Model::transform(const Eigen::Ref<const RowMatrixXd>& X) const { return impl_->preprocess<double>(X); }
RowMatrixXd Model::transform(const Eigen::Ref<const RowMatrixXf>& X) const { return impl_->preprocess<float>(X); }
const std::vector<std::string>& Model::transformed_feature_names() const noexcept { return impl_->transformed_names; }

RowMatrixXd Model::predict_proba(const Eigen::Ref<const RowMatrixXd>& X) const {
  return impl_->probabilities(impl_->preprocess<double>(X));
}
RowMatrixXd Model::predict_proba(const Eigen::Ref<const RowMatrixXf>& X) const {
  return impl_->probabilities(impl_->preprocess<float>(X));
}

RowMatrixXd Model::decision_function(const Eigen::Ref<const RowMatrixXd>& X) const {
  impl_->require_classifier("decision_function");
  return impl_->decision_function(impl_->preprocess<double>(X));
}
RowMatrixXd Model::decision_function(const Eigen::Ref<const RowMatrixXf>& X) const {
  impl_->require_classifier("decision_function");
  return impl_->decision_function(impl_->preprocess<float>(X));
}

Prediction Model::predict(const Eigen::Ref<const RowMatrixXd>& X, const PredictOptions& o) const {
  return impl_->predict(impl_->preprocess<double>(X), o.threads);
}
Prediction Model::predict(const Eigen::Ref<const RowMatrixXf>& X, const PredictOptions& o) const {
  return impl_->predict(impl_->preprocess<float>(X), o.threads);
}
RowMatrixXd Model::predict_proba(const Eigen::Ref<const RowMatrixXd>& X, const PredictOptions& o) const {
  return impl_->probabilities(impl_->preprocess<double>(X), o.threads);
}
RowMatrixXd Model::predict_proba(const Eigen::Ref<const RowMatrixXf>& X, const PredictOptions& o) const {
  return impl_->probabilities(impl_->preprocess<float>(X), o.threads);
}
RowMatrixXd Model::decision_function(const Eigen::Ref<const RowMatrixXd>& X, const PredictOptions& o) const {
  impl_->require_classifier("decision_function");
  return impl_->decision_function(impl_->preprocess<double>(X), o.threads);
}
RowMatrixXd Model::decision_function(const Eigen::Ref<const RowMatrixXf>& X, const PredictOptions& o) const {
  impl_->require_classifier("decision_function");
  return impl_->decision_function(impl_->preprocess<float>(X), o.threads);
}

Prediction Model::predict(const Table& input, const PredictOptions& options) const {
  std::vector<ValidationIssue> warnings;
  Prediction p = impl_->predict(impl_->run_pipeline(impl_->bind(input, options, &warnings)), options.threads);
  p.warnings = std::move(warnings);
  return p;
}

RowMatrixXd Model::transform(const Table& input, const PredictOptions& options) const {
  return impl_->run_pipeline(impl_->bind(input, options, nullptr));
}

RowMatrixXd Model::predict_proba(const Table& input, const PredictOptions& options) const {
  impl_->require_classifier("predict_proba");
  return impl_->probabilities(transform(input, options), options.threads);
}

RowMatrixXd Model::decision_function(const Table& input, const PredictOptions& options) const {
  impl_->require_classifier("decision_function");
  return impl_->decision_function(transform(input, options), options.threads);
}

ValidationReport Model::validate(const Table& input, const PredictOptions& options) const {
  BoundInput bound = bind_table(impl_->schema, impl_->text_inputs, input, options.strict);
  ValidationReport report{std::move(bound.issues)};
  if (report.ok()) {
    // What only the steps and the estimator can tell: a value a step refuses (e.g. an unknown
    // category under handle_unknown='error'), a missing value no step fills, a value a tree
    // model refuses.
    try {
      impl_->scores(impl_->run_pipeline(std::move(bound.X)), options.threads);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kValue) throw;
      report.issues.push_back(ValidationIssue{IssueKind::kRejected, true, "", 0, -1, e.code(), e.message()});
    }
  }
  return report;
}

Explanation Model::explain(const Eigen::Ref<const RowMatrixXd>& X, const ExplainOptions& options) const {
  return explain_rows(*impl_, impl_->bind_dense<double>(X), options);
}
Explanation Model::explain(const Eigen::Ref<const RowMatrixXf>& X, const ExplainOptions& options) const {
  return explain_rows(*impl_, impl_->bind_dense<float>(X), options);
}
Explanation Model::explain(const Table& input, const ExplainOptions& options,
                           const PredictOptions& predict_options) const {
  return explain_rows(*impl_, impl_->bind(input, predict_options, nullptr), options);
}

std::size_t Model::verify() const { return impl_->verify(); }

FERRY_END_NAMESPACE

FERRY_BEGIN_NAMESPACE
// verify.cpp runs the double path too.
template RowMatrixXd Model::Impl::preprocess<double>(const Eigen::Ref<const RowMatrixXd>&) const;
template RowMatrixXd Model::Impl::preprocess<float>(const Eigen::Ref<const RowMatrixXf>&) const;
template RowMatrixXd Model::Impl::bind_dense<double>(const Eigen::Ref<const RowMatrixXd>&) const;
template RowMatrixXd Model::Impl::bind_dense<float>(const Eigen::Ref<const RowMatrixXf>&) const;
FERRY_END_NAMESPACE
