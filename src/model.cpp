// The public Model API, every function of it: each forwards to the engine (engine.hpp) and,
// for explanations, to explain/, which read the engine.
#include "ferry/model.hpp"

#include <fmt/format.h>

#include "engine.hpp"
#include "explain/attribution.hpp"
#include "explain/interactions.hpp"
#include "ferry/error.hpp"

FERRY_BEGIN_NAMESPACE

Model::Model(std::shared_ptr<const detail::Engine> engine) noexcept : engine_(std::move(engine)) {}

namespace detail {
const Engine& engine_of(const Model& model) noexcept { return *model.engine_; }
}  // namespace detail

Model Model::from_bytes(const void* data, std::size_t size, const LoadOptions& options) {
  const artifact::Limits limits{options.max_header_bytes, options.max_tensor_bytes};
  const artifact::Artifact a = artifact::read(static_cast<const std::uint8_t*>(data), size, limits);
  Model model(detail::load_engine(a, options));
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

const Schema& Model::schema() const noexcept { return engine_->schema; }
const Metadata& Model::metadata() const noexcept { return engine_->metadata; }

Prediction Model::predict(const Eigen::Ref<const RowMatrixXd>& X) const { return predict(X, PredictOptions()); }
Prediction Model::predict(const Eigen::Ref<const RowMatrixXf>& X) const { return predict(X, PredictOptions()); }
Prediction Model::predict(const Eigen::Ref<const RowMatrixXd>& X, const PredictOptions& o) const {
  const detail::Engine& e = *engine_;
  return e.predict(e.scores(e.run_pipeline(e.bind_dense<double>(X)), o.threads));
}
Prediction Model::predict(const Eigen::Ref<const RowMatrixXf>& X, const PredictOptions& o) const {
  const detail::Engine& e = *engine_;
  return e.predict(e.scores(e.run_pipeline(e.bind_dense<float>(X)), o.threads));
}

RowMatrixXd Model::transform(const Eigen::Ref<const RowMatrixXd>& X) const {
  return engine_->run_pipeline(engine_->bind_dense<double>(X));
}
RowMatrixXd Model::transform(const Eigen::Ref<const RowMatrixXf>& X) const {
  return engine_->run_pipeline(engine_->bind_dense<float>(X));
}
const std::vector<std::string>& Model::transformed_feature_names() const noexcept {
  return engine_->transformed_names;
}

RowMatrixXd Model::predict_proba(const Eigen::Ref<const RowMatrixXd>& X) const {
  return predict_proba(X, PredictOptions());
}
RowMatrixXd Model::predict_proba(const Eigen::Ref<const RowMatrixXf>& X) const {
  return predict_proba(X, PredictOptions());
}
RowMatrixXd Model::predict_proba(const Eigen::Ref<const RowMatrixXd>& X, const PredictOptions& o) const {
  return engine_->probabilities(transform(X), o.threads);
}
RowMatrixXd Model::predict_proba(const Eigen::Ref<const RowMatrixXf>& X, const PredictOptions& o) const {
  return engine_->probabilities(transform(X), o.threads);
}

RowMatrixXd Model::decision_function(const Eigen::Ref<const RowMatrixXd>& X) const {
  return decision_function(X, PredictOptions());
}
RowMatrixXd Model::decision_function(const Eigen::Ref<const RowMatrixXf>& X) const {
  return decision_function(X, PredictOptions());
}
RowMatrixXd Model::decision_function(const Eigen::Ref<const RowMatrixXd>& X, const PredictOptions& o) const {
  engine_->require_classifier("decision_function");
  return engine_->decision_function(transform(X), o.threads);
}
RowMatrixXd Model::decision_function(const Eigen::Ref<const RowMatrixXf>& X, const PredictOptions& o) const {
  engine_->require_classifier("decision_function");
  return engine_->decision_function(transform(X), o.threads);
}

Prediction Model::predict(const Table& input, const PredictOptions& options) const {
  detail::Run r = engine_->run_or_throw(input, options);
  Prediction p = engine_->predict(std::move(r.scores));
  p.warnings = std::move(r.issues);
  return p;
}

RowMatrixXd Model::transform(const Table& input, const PredictOptions& options) const {
  return engine_->run_pipeline(engine_->bind(input, options));
}

RowMatrixXd Model::predict_proba(const Table& input, const PredictOptions& options) const {
  engine_->require_classifier("predict_proba");
  return engine_->probabilities(transform(input, options), options.threads);
}

RowMatrixXd Model::decision_function(const Table& input, const PredictOptions& options) const {
  engine_->require_classifier("decision_function");
  return engine_->decision_function(transform(input, options), options.threads);
}

ValidationReport Model::validate(const Table& input, const PredictOptions& options) const {
  return ValidationReport{engine_->run(input, options).issues};
}

Explanation Model::explain(const Eigen::Ref<const RowMatrixXd>& X, const ExplainOptions& options) const {
  return explain::explain_rows(*engine_, engine_->bind_dense<double>(X), options);
}
Explanation Model::explain(const Eigen::Ref<const RowMatrixXf>& X, const ExplainOptions& options) const {
  return explain::explain_rows(*engine_, engine_->bind_dense<float>(X), options);
}
Explanation Model::explain(const Table& input, const ExplainOptions& options,
                           const PredictOptions& predict_options) const {
  const detail::Run r = engine_->run_or_throw(input, predict_options);
  return explain::explain_run(*engine_, r.raw, r.preprocessed, r.scores, options);
}

InteractionExplanation Model::explain_interactions(const Eigen::Ref<const RowMatrixXd>& X,
                                                   const ExplainOptions& options) const {
  return explain::interactions(*engine_, transform(X), options);
}
InteractionExplanation Model::explain_interactions(const Eigen::Ref<const RowMatrixXf>& X,
                                                   const ExplainOptions& options) const {
  return explain::interactions(*engine_, transform(X), options);
}
InteractionExplanation Model::explain_interactions(const Table& input, const ExplainOptions& options,
                                                   const PredictOptions& predict_options) const {
  return explain::interactions(*engine_, transform(input, predict_options), options);
}

std::size_t Model::verify() const { return engine_->verify(); }

FERRY_END_NAMESPACE
