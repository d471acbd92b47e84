// Grouping derived columns into their raw column is exact for SHAP values: the Shapley value
// of a group played as one player equals the sum of its members' values whenever the game is
// additive across groups, which holds for linear models (each score is a sum of per-column
// terms) and is the standard convention (shap's own) for the others.
#include "explain/attribution.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "ferry/error.hpp"
#include "pipeline/step_sequence.hpp"

FERRY_BEGIN_NAMESPACE

std::vector<Index> raw_sources(const Model::Impl& model) {
  const auto n_inputs = static_cast<Index>(model.schema.inputs.size());
  const auto width = static_cast<Index>(model.transformed_names.size());
  std::vector<Index> sources = source_columns_through(model.steps, n_inputs);
  if (sources.empty()) sources.assign(static_cast<std::size_t>(width), -1);
  for (Index f = 0; f < width; ++f)
    if (static_cast<std::size_t>(f) >= sources.size() || sources[static_cast<std::size_t>(f)] < 0)
      throw Error(ErrorCode::kUnsupported,
                  fmt::format("explain: transformed column \"{}\" mixes several raw input columns (a PCA, "
                              "PolynomialFeatures or Normalizer step), so its attribution cannot be given to one "
                              "raw column; explaining such pipelines needs the model-agnostic explainer, which "
                              "this build does not have",
                              model.transformed_names[static_cast<std::size_t>(f)]));
  return sources;
}

std::vector<std::string> explained_output_names(const Model::Impl& model, Index k) {
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

Explanation explain_preprocessed(const Model::Impl& model, const RowMatrixXd& preprocessed,
                                 const ExplainOptions& /*options*/) {
  // Refuse a mixing pipeline before any work, whatever the estimator.
  const std::vector<Index> sources = raw_sources(model);
  const Estimator& estimator = *model.estimator;
  // An IsolationForest's scores are a non-additive transform of its summed path lengths, so
  // no attribution adds up to them.
  if (estimator.link() == Link::kIsolation)
    throw Error(ErrorCode::kUnsupported,
                fmt::format("explain: model \"{}\" is an IsolationForest, whose scores (-2^(-path length / c)) "
                            "are not additive in its trees; it has no explanation in this build",
                            model.metadata.name));
  const Index k = estimator.n_scores();
  const Index n = preprocessed.cols();
  Explanation e;
  const Index rows = preprocessed.rows();
  const auto n_raw = static_cast<Index>(model.schema.inputs.size());
  e.base_values.resize(rows, k);
  e.values.resize(static_cast<std::size_t>(k));
  for (RowMatrixXd& v : e.values) v.setZero(rows, n_raw);
  // The estimator explains a block of rows at a time: its (features + 1) x scores values per
  // row then stay in cache and in one reused buffer instead of a batch-sized allocation.
  constexpr Index kBlock = 256;
  RowMatrixXd block, phi;
  Index start = 0;
  do {  // at least once, so that an empty batch is refused as a full one would be
    const Index m = std::min(kBlock, rows - start);
    block = preprocessed.middleRows(start, m);
    if (!estimator.shap(block, phi))
      throw Error(ErrorCode::kUnsupported,
                  fmt::format("explain: model \"{}\" ({}) has no exact explanation in this build{}",
                              model.metadata.name, model.estimator_type,
                              model.estimator_type == "linear"
                                  ? ": its artifact has no explain.background_mean (export it with X_sample)"
                                  : ""));
    for (Index r = 0; r < m; ++r) {
      const double* p = phi.row(r).data();
      for (Index c = 0; c < k; ++c) {
        double* v = e.values[static_cast<std::size_t>(c)].row(start + r).data();
        for (Index f = 0; f < n; ++f) v[sources[static_cast<std::size_t>(f)]] += p[f * k + c];
        e.base_values(start + r, c) = p[n * k + c];
      }
    }
    start += m;
  } while (start < rows);
  for (const InputColumn& c : model.schema.inputs) e.feature_names.push_back(c.name);
  e.output_names = explained_output_names(model, k);
  e.method = model.estimator_type == "linear"          ? "linear_exact"
             : model.estimator_type == "tree_ensemble" ? "tree_path_dependent"
                                                       : model.estimator_type;
  return e;
}

FERRY_END_NAMESPACE
