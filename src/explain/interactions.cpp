// Interaction values (Model::explain_interactions): the estimator's interaction values over its own input columns,
// summed into raw input columns in both dimensions. Summing is the grouping of
// explain/attribution.cpp applied to a matrix: row sums stay the grouped SHAP values, and the
// matrix stays symmetric.
#include <algorithm>

#include <fmt/format.h>

#include "explain/interactions.hpp"

#include "explain/attribution.hpp"
#include "ferry/error.hpp"
#include "row_ranges.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail::explain {

InteractionExplanation interactions(const detail::Engine& model, const RowMatrixXd& preprocessed,
                                    const ExplainOptions& options) {
  using Method = ExplainOptions::Method;
  if (options.method != Method::kAuto && options.method != Method::kExact && options.method != Method::kPathDependent)
    throw Error(ErrorCode::kUnsupported, "explain_interactions: interaction values are path-dependent TreeSHAP's only");
  if (options.threads < 1)
    throw Error(ErrorCode::kValue, fmt::format("explain_interactions: threads must be >= 1, got {}", options.threads));
  const std::vector<Index> sources = raw_sources(model);
  const Estimator& estimator = *model.estimator;
  if (estimator.link() == Link::kIsolation)
    throw Error(ErrorCode::kUnsupported,
                fmt::format("explain_interactions: model \"{}\" is an IsolationForest, whose scores (-2^(-path "
                            "length / c)) are not additive in its trees; it has no interaction values",
                            model.metadata.name));
  const Index k = estimator.n_scores(), n = preprocessed.cols(), n1 = n + 1, rows = preprocessed.rows();
  const auto n_raw = static_cast<Index>(model.schema.inputs.size());
  if (!model.capabilities.interactions)
    throw Error(ErrorCode::kUnsupported,
                fmt::format("explain_interactions: model \"{}\" ({}) has no interaction values in this build; "
                            "only tree ensembles have them (path-dependent TreeSHAP)",
                            model.metadata.name, model.estimator_type));
  // The estimator validates each block with row numbers local to it: a whole-batch pass first
  // names the batch's row instead.
  model.scores(preprocessed);
  InteractionExplanation e;
  e.base_values.resize(rows, k);
  e.values.assign(static_cast<std::size_t>(k), RowMatrixXd::Zero(rows, n_raw * n_raw));
  // Blocks of rows bound the (n + 1)^2 x k values per row held at once.
  run_row_ranges(rows, Parallel::of(options), [&](Index begin, Index end) {
    constexpr Index kBlock = 64;
    RowMatrixXd block, phi;
    for (Index start = begin; start < end; start += kBlock) {
      const Index m = std::min(kBlock, end - start);
      block = preprocessed.middleRows(start, m);
      estimator.shap_interactions(block, phi);
      for (Index r = 0; r < m; ++r) {
        const double* p = phi.row(r).data();
        for (Index c = 0; c < k; ++c) {
          double* v = e.values[static_cast<std::size_t>(c)].row(start + r).data();  // n_raw x n_raw, row-major
          for (Index f = 0; f < n; ++f) {
            double* va = v + sources[static_cast<std::size_t>(f)] * n_raw;
            for (Index g = 0; g < n; ++g) va[sources[static_cast<std::size_t>(g)]] += p[(f * n1 + g) * k + c];
          }
          e.base_values(start + r, c) = p[(n * n1 + n) * k + c];
        }
      }
    }
  });
  for (const InputColumn& c : model.schema.inputs) e.feature_names.push_back(c.name);
  e.output_names = explained_output_names(model, k);
  return e;
}

}  // namespace detail::explain
FERRY_END_NAMESPACE
