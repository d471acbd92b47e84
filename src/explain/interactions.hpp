// SHAP interaction values in raw input columns (Model::explain_interactions).
#ifndef FERRY_SRC_EXPLAIN_INTERACTIONS_HPP
#define FERRY_SRC_EXPLAIN_INTERACTIONS_HPP

#include "engine.hpp"
#include "ferry/explanation.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail::explain {

// Of rows already preprocessed by the engine. Errors: kUnsupported where the estimator declares
// no interaction values or a step mixes raw columns, kValue for bad options or rows.
InteractionExplanation interactions(const detail::Engine& model, const RowMatrixXd& preprocessed,
                                    const ExplainOptions& options);

}  // namespace detail::explain
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_EXPLAIN_INTERACTIONS_HPP
