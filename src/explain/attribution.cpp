// Grouping derived columns into their raw column is exact for SHAP values: the Shapley value
// of a group played as one player equals the sum of its members' values whenever the game is
// additive across groups, which holds for linear models (each score is a sum of per-column
// terms) and is the standard convention (shap's own) for the others.
#include "explain/attribution.hpp"

#include <algorithm>
#include <cmath>
#include <string_view>

#include <fmt/format.h>

#include "explain/model_agnostic.hpp"
#include "ferry/error.hpp"
#include "pipeline/step_sequence.hpp"
#include "row_ranges.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail::explain {

std::optional<std::vector<Index>> separable_sources(const detail::Engine& model) {
  const auto n_inputs = static_cast<Index>(model.schema.inputs.size());
  const auto width = static_cast<Index>(model.transformed_names.size());
  std::vector<Index> sources = source_columns_through(model.steps, n_inputs);
  if (sources.empty()) sources.assign(static_cast<std::size_t>(width), -1);
  for (Index f = 0; f < width; ++f)
    if (static_cast<std::size_t>(f) >= sources.size() || sources[static_cast<std::size_t>(f)] < 0) return std::nullopt;
  return sources;
}

std::vector<Index> raw_sources(const detail::Engine& model) {
  std::optional<std::vector<Index>> sources = separable_sources(model);
  if (sources) return *std::move(sources);
  const std::vector<Index> partial = source_columns_through(model.steps, static_cast<Index>(model.schema.inputs.size()));
  std::size_t f = 0;
  while (f < partial.size() && partial[f] >= 0) ++f;
  throw Error(ErrorCode::kUnsupported,
              fmt::format("explain: transformed column \"{}\" mixes several raw input columns (a PCA, "
                          "PolynomialFeatures or Normalizer step), so its attribution cannot be given to one raw "
                          "column; ExplainOptions::Method::kInterventional or kSampling explain such pipelines over "
                          "the raw columns",
                          model.transformed_names[std::min(f, model.transformed_names.size() - 1)]));
}

std::vector<std::string> explained_output_names(const detail::Engine& model, Index k) {
  std::vector<std::string> names;
  if (model.schema.task == Task::kClassification) {
    const ClassLabels& classes = model.schema.classes;
    // One score for two classes: it speaks for the second (positive) class.
    if (k == 1 && classes.size() == 2) return {classes.to_string(1)};
    for (Index c = 0; c < k; ++c) names.push_back(classes.to_string(static_cast<std::size_t>(c)));
    return names;
  }
  if (k == 1) return {model.schema.target.empty() ? std::string("output 0") : model.schema.target};
  for (Index c = 0; c < k; ++c) names.push_back(fmt::format("output {}", c));
  return names;
}


namespace {

using Method = ExplainOptions::Method;

// How a call is computed, decided once before any row is explained.
enum class Plan { kEstimator, kClosedForm, kEnumerate, kSample };

// phi rows x ((M + 1) * k) over the M raw columns (base in column M), se the same or empty.
struct RawValues {
  RowMatrixXd phi, se;
};

// The estimator's values over its own columns, summed into the raw columns.
void group_into_raw(const RowMatrixXd& est_phi, const std::vector<Index>& sources, Index M, Index k,
                    RowMatrixXd& phi) {
  const auto n = static_cast<Index>(sources.size());
  phi.setZero(est_phi.rows(), (M + 1) * k);
  for (Index r = 0; r < est_phi.rows(); ++r) {
    const double* p = est_phi.row(r).data();
    double* out = phi.row(r).data();
    for (Index f = 0; f < n; ++f)
      for (Index c = 0; c < k; ++c) out[sources[static_cast<std::size_t>(f)] * k + c] += p[f * k + c];
    for (Index c = 0; c < k; ++c) out[M * k + c] = p[n * k + c];
  }
}

void require_background(const detail::Engine& model, const char* why) {
  if (!model.background && !model.background_problem.empty())
    throw Error(ErrorCode::kUnsupported, fmt::format("explain: {}, which needs the background rows of model \"{}\", "
                                                     "but {}",
                                                     why, model.metadata.name, model.background_problem));
  if (!model.background)
    throw Error(ErrorCode::kUnsupported,
                fmt::format("explain: {}, which needs the background rows that model \"{}\" was exported without "
                            "(export it with X_sample and background_rows > 0)",
                            why, model.metadata.name));
}

Explanation::Method method_of(Plan plan, const Capabilities& can) {
  switch (plan) {
    case Plan::kEstimator:
      return *can.exact_shap;
    case Plan::kClosedForm:
      return *can.interventional_shap;
    case Plan::kEnumerate:
      return Explanation::Method::kInterventionalExact;
    case Plan::kSample:
      break;
  }
  return Explanation::Method::kInterventionalSampling;
}

void check_options(const ExplainOptions& options) {
  if (options.threads < 1 || options.permutations < 2 || options.max_exact_columns < 0)
    throw Error(ErrorCode::kValue,
                fmt::format("explain: options need threads >= 1, permutations >= 2 and max_exact_columns >= 0 (got "
                            "{}, {}, {})",
                            options.threads, options.permutations, options.max_exact_columns));
}

}  // namespace

Explanation explain_rows(const detail::Engine& model, const RowMatrixXd& raw, const ExplainOptions& options) {
  check_options(options);
  // The rows' own run: it names a bad row by its index, and gives the scores f(x).
  const RowMatrixXd preprocessed = model.run_pipeline(raw);
  return explain_run(model, raw, preprocessed, model.scores(preprocessed), options);
}

Explanation explain_run(const detail::Engine& model, const RowMatrixXd& raw, const RowMatrixXd& preprocessed,
                        const RowMatrixXd& scores, const ExplainOptions& options) {
  check_options(options);
  const Estimator& estimator = *model.estimator;
  const auto M = static_cast<Index>(model.schema.inputs.size());
  const Index k = estimator.n_scores(), rows = raw.rows();
  const std::optional<std::vector<Index>> sources = separable_sources(model);
  const Capabilities& can = model.capabilities;
  // The estimator's own methods attribute its input columns: usable when each comes from one
  // raw column.
  const bool own = sources && can.exact_shap.has_value();
  const bool closed_form = sources && model.background && can.interventional_shap.has_value();

  Plan plan = Plan::kEstimator;
  switch (options.method) {
    case Method::kAuto:
    case Method::kExact:
      if (own) break;
      require_background(model, sources ? "this estimator has no exact method of its own"
                                        : "the pipeline mixes raw columns (PCA, PolynomialFeatures, Normalizer)");
      plan = options.method == Method::kAuto && M > options.max_exact_columns ? Plan::kSample : Plan::kEnumerate;
      break;
    case Method::kPathDependent:
      if (can.exact_shap != Explanation::Method::kTreePathDependent)
        throw Error(ErrorCode::kUnsupported,
                    fmt::format("explain: path-dependent TreeSHAP needs a tree ensemble whose scores add up over "
                                "its trees; model \"{}\" is {}",
                                model.metadata.name,
                                estimator.link() == Link::kIsolation ? "an IsolationForest" : model.estimator_type));
      raw_sources(model);  // names the mixed column
      break;
    case Method::kInterventional:
      require_background(model, "interventional SHAP was asked for");
      plan = closed_form ? Plan::kClosedForm : Plan::kEnumerate;
      break;
    case Method::kSampling:
      require_background(model, "sampled SHAP was asked for");
      plan = Plan::kSample;
      break;
  }
  if (plan == Plan::kEnumerate && M > explain::kMaxEnumeratedColumns)
    throw Error(ErrorCode::kUnsupported,
                fmt::format("explain: exact interventional SHAP of model \"{}\" would enumerate 2^{} coalitions of "
                            "its raw columns (at most 2^{}); use ExplainOptions::Method::kSampling",
                            model.metadata.name, M, explain::kMaxEnumeratedColumns));

  const Eigen::RowVectorXd base =
      plan == Plan::kEnumerate || plan == Plan::kSample ? explain::background_scores(model, *model.background)
                                                        : Eigen::RowVectorXd();
  RawValues out;
  out.phi.resize(rows, (M + 1) * k);
  if (plan == Plan::kSample) out.se.resize(rows, (M + 1) * k);
  // Rows [begin, end) into out; a block at a time so that per-block buffers stay small.
  auto explain_range = [&](Index begin, Index end) {
    constexpr Index kBlock = 256;
    RowMatrixXd block, est_phi, phi, se;
    for (Index start = begin; start < end; start += kBlock) {
      const Index m = std::min(kBlock, end - start);
      block = preprocessed.middleRows(start, m);
      switch (plan) {
        case Plan::kEstimator:
          estimator.shap(block, est_phi);
          group_into_raw(est_phi, *sources, M, k, phi);
          break;
        case Plan::kClosedForm:
          estimator.shap_interventional(block, model.background->transformed, model.background->weights, *sources,
                                        M, phi);
          break;
        case Plan::kEnumerate:
          explain::shapley_enumerated(model, *model.background, raw.middleRows(start, m), scores.middleRows(start, m),
                                      base, phi);
          break;
        case Plan::kSample:
          explain::shapley_sampled(model, *model.background, raw.middleRows(start, m), scores.middleRows(start, m),
                                   base, options.permutations, options.seed, start, phi, se);
          out.se.middleRows(start, m) = se;
          break;
      }
      out.phi.middleRows(start, m) = phi;
    }
  };
  run_row_ranges(rows, Parallel::of(options), explain_range);

  Explanation e;
  e.base_values.resize(rows, k);
  e.values.assign(static_cast<std::size_t>(k), RowMatrixXd(rows, M));
  if (plan == Plan::kSample) e.standard_errors.assign(static_cast<std::size_t>(k), RowMatrixXd(rows, M));
  for (Index r = 0; r < rows; ++r)
    for (Index c = 0; c < k; ++c) {
      e.base_values(r, c) = out.phi(r, M * k + c);
      for (Index j = 0; j < M; ++j) {
        e.values[static_cast<std::size_t>(c)](r, j) = out.phi(r, j * k + c);
        if (plan == Plan::kSample) e.standard_errors[static_cast<std::size_t>(c)](r, j) = out.se(r, j * k + c);
      }
    }
  for (const InputColumn& c : model.schema.inputs) e.feature_names.push_back(c.name);
  e.output_names = explained_output_names(model, k);
  e.method = method_of(plan, can);
  e.terms = text_terms(model, preprocessed);
  return e;
}

std::vector<std::vector<Explanation::Term>> text_terms(const detail::Engine& model, const RowMatrixXd& preprocessed) {
  const RowMatrixXd* weights = model.estimator->input_weights();
  if (!model.any_free_text || weights == nullptr) return {};
  // The features that come from one free-text column alone.
  const std::vector<Index> sources =
      source_columns_through(model.steps, static_cast<Index>(model.schema.inputs.size()));
  std::vector<Index> text_features;
  for (std::size_t f = 0; f < sources.size() && f < static_cast<std::size_t>(weights->cols()); ++f)
    if (sources[f] >= 0 && model.schema.inputs[static_cast<std::size_t>(sources[f])].kind == ColumnKind::kText)
      text_features.push_back(static_cast<Index>(f));
  if (text_features.empty()) return {};
  const Index k = weights->rows();
  std::vector<std::vector<Explanation::Term>> terms(static_cast<std::size_t>(preprocessed.rows()));
  for (Index i = 0; i < preprocessed.rows(); ++i) {
    std::vector<Explanation::Term>& row = terms[static_cast<std::size_t>(i)];
    for (Index f : text_features) {
      const double x = preprocessed(i, f);
      if (x == 0.0) continue;
      Explanation::Term t;
      t.column = model.schema.inputs[static_cast<std::size_t>(sources[static_cast<std::size_t>(f)])].name;
      t.feature = model.transformed_names[static_cast<std::size_t>(f)];
      for (Index c = 0; c < k; ++c) t.values.push_back((*weights)(c, f) * x);
      row.push_back(std::move(t));
    }
    auto size = [](const Explanation::Term& t) {
      double m = 0.0;
      for (double v : t.values) m = std::max(m, std::abs(v));
      return m;
    };
    std::stable_sort(row.begin(), row.end(),
                     [&](const Explanation::Term& a, const Explanation::Term& b) { return size(a) > size(b); });
  }
  return terms;
}

}  // namespace detail::explain
FERRY_END_NAMESPACE
