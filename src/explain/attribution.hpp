// Explanations in raw input columns: the estimator's exact SHAP values over its own input,
// summed back through the preprocessing into the raw columns each derived column comes from.
#ifndef FERRY_SRC_EXPLAIN_ATTRIBUTION_HPP
#define FERRY_SRC_EXPLAIN_ATTRIBUTION_HPP

#include <optional>
#include <string>
#include <vector>

#include "ferry/explanation.hpp"
#include "engine.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail::explain {

// For each column the estimator receives, the raw input column it is computed from alone;
// nullopt when a column mixes several raw columns (PCA, PolynomialFeatures, Normalizer).
std::optional<std::vector<Index>> separable_sources(const detail::Engine& model);
// The same, or Error(kUnsupported) naming the first mixed column.
std::vector<Index> raw_sources(const detail::Engine& model);

// The names of an explanation's outputs, for an estimator with k scores (Explanation::output_names).
std::vector<std::string> explained_output_names(const detail::Engine& model, Index k);

// Explains rows of raw input (bound and checked, text as codes: what the pipeline takes) by
// the method ExplainOptions selects (api.md). Errors: the rows' own (as predict), kValue for
// bad options, kUnsupported when no method applies.
Explanation explain_rows(const detail::Engine& model, const RowMatrixXd& raw, const ExplainOptions& options);
// The same for rows already taken through the engine (detail::Run): their preprocessed
// matrix and scores are reused, not computed again.
Explanation explain_run(const detail::Engine& model, const RowMatrixXd& raw, const RowMatrixXd& preprocessed,
                        const RowMatrixXd& scores, const ExplainOptions& options);

// Explanation::terms of preprocessed rows: empty unless the estimator declares input_weights()
// and some features come from a free-text column alone.
std::vector<std::vector<Explanation::Term>> text_terms(const detail::Engine& model, const RowMatrixXd& preprocessed);

}  // namespace detail::explain
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_EXPLAIN_ATTRIBUTION_HPP
