// Explanations in raw input columns: the estimator's exact SHAP values over its own input,
// summed back through the preprocessing into the raw columns each derived column comes from.
#ifndef FERRY_SRC_EXPLAIN_ATTRIBUTION_HPP
#define FERRY_SRC_EXPLAIN_ATTRIBUTION_HPP

#include <string>
#include <vector>

#include "ferry/explanation.hpp"
#include "model_impl.hpp"

FERRY_BEGIN_NAMESPACE

// For each column the estimator receives, the raw input column it is computed from alone.
// Error(kUnsupported) naming the first transformed column that mixes several raw columns
// (PCA, PolynomialFeatures, Normalizer): a sum of its attribution into one raw column would
// be wrong, and the model-agnostic explainer that could handle it does not exist yet.
std::vector<Index> raw_sources(const Model::Impl& model);

// The names of an explanation's outputs, for an estimator with k scores (Explanation::output_names).
std::vector<std::string> explained_output_names(const Model::Impl& model, Index k);

// Explains preprocessed rows (what the estimator receives). Error(kUnsupported) when the
// estimator has no exact method for this artifact, or as raw_sources.
Explanation explain_preprocessed(const Model::Impl& model, const RowMatrixXd& preprocessed,
                                 const ExplainOptions& options);

FERRY_END_NAMESPACE

#endif  // FERRY_SRC_EXPLAIN_ATTRIBUTION_HPP
