// SHAP interaction values of path-dependent TreeSHAP's game (Lundberg et al. 2020, "From local
// explanations to global understanding"), as XGBoost's pred_interactions and shap's
// TreeExplainer.shap_interaction_values compute them: the Shapley interaction index
//   φ_ij = Σ_{S ⊆ M∖{i,j}} |S|! (M − |S| − 2)! / (2 (M − 1)!) · ∇_ij(S),
//   ∇_ij(S) = v(S ∪ {i,j}) − v(S ∪ {i}) − v(S ∪ {j}) + v(S),
// for i ≠ j, and φ_ii = φ_i − Σ_{j≠i} φ_ij, so that each row of the matrix sums to the
// feature's SHAP value. φ_ij is half the difference between j's Shapley value in the game with
// i always present and in the game with i always absent, each computed by the TreeSHAP
// recursion conditioned on i.
#ifndef FERRY_SRC_MODELS_TREE_SHAP_INTERACTIONS_HPP
#define FERRY_SRC_MODELS_TREE_SHAP_INTERACTIONS_HPP

#include "ferry/detail/config.hpp"
#include "models/tree_shap.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail::explain {

// phi (rows x ((n + 1) * (n + 1) * n_scores), row-major, n = n_features, written entirely by
// the callee): phi[(f * (n + 1) + g) * k + c] is the interaction of features f and g for raw
// score c, the main effect at f = g; row and column n are zero but for (n, n), the base value.
// The sum over g equals tree_shap's value of f. Rows are validated and routed as tree_shap
// routes them (errors are CompactForest::predict's). Per row and tree: 2·d runs of the
// EXTEND/UNWIND recursion, d the tree's distinct split features, and one tree_shap.
void tree_shap_interactions(const CompactForest& forest, const TreeShapTables& tables, const double* X, Index rows,
                            Index stride, double* phi);

}  // namespace detail::explain
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_MODELS_TREE_SHAP_INTERACTIONS_HPP
