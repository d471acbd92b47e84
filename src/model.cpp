// The public Model API, every function of it: each forwards to the engine (engine.hpp) and,
// for explanations, to explain/, which read the engine.
#include "ferry/model.hpp"

#include <fmt/format.h>

#include "artifact/signature.hpp"
#include "engine.hpp"
#if FERRY_HAVE_EXPLAIN
#include "explain/attribution.hpp"
#include "explain/interactions.hpp"
#endif
#include "ferry/error.hpp"
#include "sha256.hpp"

FERRY_BEGIN_NAMESPACE

Model::Model(std::shared_ptr<const detail::Engine> engine) noexcept : engine_(std::move(engine)) {}

namespace detail {
const Engine& engine_of(const Model& model) noexcept { return *model.engine_; }
}  // namespace detail

Model Model::from_bytes(const void* data, std::size_t size, const LoadOptions& options) {
  const detail::artifact::Limits limits{options.max_header_bytes, options.max_tensor_bytes, options.max_total_bytes};
  const auto note = [&](const std::string& message) {
    if (options.log) options.log(LogLevel::kWarning, message);
  };
  const detail::artifact::Span file = detail::artifact::checked_artifact(static_cast<const std::uint8_t*>(data), size,
                                                                         options.trusted_keys, note);
  const detail::artifact::Artifact a = detail::artifact::read(file.data, file.size, limits);
  // The id is of the bytes as given, so two files that differ in any byte (another export,
  // another `created` time, another signature) are told apart even when their name and version
  // are the same.
  Model model(detail::load_engine(a, options, detail::sha256_hex(data, size)));
  if (options.verify) model.verify();
  return model;
}

Model Model::load(const std::string& path, const LoadOptions& options) {
  const std::vector<std::uint8_t> bytes = detail::artifact::read_file(path);
  try {
    return from_bytes(bytes.data(), bytes.size(), options);
  } catch (const Error& e) {
    throw Error(e.code(), fmt::format("{}: {}", path, e.message()));
  }
}

const Schema& Model::schema() const noexcept { return engine_->schema; }
const Metadata& Model::metadata() const noexcept { return engine_->metadata; }

namespace {

// The raw input (bound, checked, text as codes) of a batch, as the pipeline takes it.
RowMatrixXd bound(const detail::Engine& e, const Input& input, const PredictOptions& options) {
  switch (input.kind()) {
    case Input::Kind::kDouble:
      return e.bind_dense<double>(input.doubles());
    case Input::Kind::kFloat:
      return e.bind_dense<float>(input.floats());
    case Input::Kind::kTable:
      break;
  }
  return e.bind(input.table(), options);
}

// The batch through the preprocessing, with its free text when it is a Table.
detail::StepRows preprocessed(const detail::Engine& e, const Input& input, const PredictOptions& options) {
  if (input.kind() != Input::Kind::kTable) return e.run_steps_on(bound(e, input, options));
  std::shared_ptr<const detail::TextBatch> text;
  RowMatrixXd raw = e.bind(input.table(), options, &text);
  return e.run_steps_on(std::move(raw), text.get());
}

}  // namespace

Prediction Model::predict(const Input& input, const PredictOptions& options) const {
  const detail::Engine& e = *engine_;
  if (input.kind() == Input::Kind::kTable) {
    detail::Run r = e.run_or_throw(input.table(), options);
    Prediction p = e.predict(std::move(r.scores));
    p.warnings = std::move(r.issues);
    return p;
  }
  return e.predict(e.dense_scores(input, options));
}

Index Model::output_width(Output output) const noexcept { return engine_->output_width(output); }

void Model::compute(Output output, const Input& input, Eigen::Ref<RowMatrixXd> out,
                    const PredictOptions& options) const {
  engine_->compute(output, input, out, options);
}

RowMatrixXd Model::transform(const Input& input, const PredictOptions& options) const {
  return std::move(preprocessed(*engine_, input, options).densify());
}

const std::vector<std::string>& Model::transformed_feature_names() const noexcept {
  return engine_->transformed_names;
}

RowMatrixXd Model::predict_proba(const Input& input, const PredictOptions& options) const {
  // A named batch is refused for a regressor before it is bound; a dense one after.
  if (input.kind() == Input::Kind::kTable) engine_->require_classifier("predict_proba");
  return engine_->probabilities(preprocessed(*engine_, input, options), detail::Parallel::of(options));
}

RowMatrixXd Model::decision_function(const Input& input, const PredictOptions& options) const {
  engine_->require_classifier("decision_function");
  return engine_->decision_function(preprocessed(*engine_, input, options), detail::Parallel::of(options));
}

ValidationReport Model::validate(const Input& input, const PredictOptions& options) const {
  if (input.kind() == Input::Kind::kTable) return ValidationReport{engine_->run(input.table(), options).issues};
  return ValidationReport{input.kind() == Input::Kind::kDouble ? engine_->validate_dense<double>(input.doubles(), options)
                                                               : engine_->validate_dense<float>(input.floats(), options)};
}

namespace {

Explanation with_identity(Explanation x, const Metadata& m) {
  x.model_name = m.name;
  x.model_version = m.version;
  x.model_content_id = m.content_id;
  return x;
}

}  // namespace

#if FERRY_HAVE_EXPLAIN
Explanation Model::explain(const Input& input, const ExplainOptions& options) const {
  const detail::Engine& e = *engine_;
  if (input.kind() == Input::Kind::kTable) {
    detail::Run r = e.run_or_throw(input.table(), options);
    return with_identity(detail::explain::explain_run(e, r.raw, r.preprocessed.densify(), r.scores, options),
                         e.metadata);
  }
  return with_identity(detail::explain::explain_rows(e, bound(e, input, options), options), e.metadata);
}

InteractionExplanation Model::explain_interactions(const Input& input, const ExplainOptions& options) const {
  return detail::explain::interactions(*engine_, transform(input, options), options);
}
#else
// A lean build (FERRY_WITH_EXPLAIN=OFF) leaves src/explain out of the library.
Explanation Model::explain(const Input& /*input*/, const ExplainOptions& /*options*/) const {
  throw Error(ErrorCode::kUnsupported, "explanations: this ferry was built without them (FERRY_WITH_EXPLAIN=OFF)");
}

InteractionExplanation Model::explain_interactions(const Input& /*input*/, const ExplainOptions& /*options*/) const {
  throw Error(ErrorCode::kUnsupported, "explanations: this ferry was built without them (FERRY_WITH_EXPLAIN=OFF)");
}
#endif

std::size_t Model::verify() const { return engine_->verify(); }

FERRY_END_NAMESPACE
