// Exact interventional TreeSHAP of a tree ensemble's raw scores against a weighted background,
// with the input columns played in groups: the value of a coalition S of groups is
//   v(S) = Σ_b weights[b] · scores(x with the columns of the groups in S from x, the others from
//          background row b),
// the "interventional" (marginal) game of shap's TreeExplainer with a background data set,
// here with weights and column groups. For one tree, one row x and one background row r, a leaf
// is reached by the hybrid of S exactly when, for every group g splitting on its path, the
// path's conditions on g's columns hold for x if g ∈ S and for r otherwise. So the groups on
// the path fall into U (only x satisfies them), V (only r does), those both satisfy (they do
// not matter) and those neither does (no hybrid reaches the leaf); the leaf adds
// value · [U ⊆ S, V ∩ S = ∅], whose Shapley values are closed-form (see the .cpp).
//
// The values are of the raw scores in float64 arithmetic. A model whose scores are summed in
// float32 (XGBoost's `accumulate float32`) has scores that differ from that float64 sum by
// float32 rounding, so there the values add up to the scores to float32 precision only.
#ifndef FERRY_SRC_MODELS_TREE_SHAP_INTERVENTIONAL_HPP
#define FERRY_SRC_MODELS_TREE_SHAP_INTERVENTIONAL_HPP

#include "ferry/matrix.hpp"
#include "models/compact_forest.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail::explain {

// phi (rows x ((n_groups + 1) * n_scores), row-major, written whole by the callee):
// phi[g * k + c] is group g's value for raw score c and g = n_groups the base value
// base_score + Σ_b weights[b] · trees(b); weights are taken to sum to 1. group[f] in
// [0, n_groups) is the group of input column f (checked by the caller: models/interventional.hpp).
// Rows and background rows are validated and routed exactly as CompactForest::predict routes
// them: a value predict refuses is refused (Error kValue) when some coalition's hybrid row
// would carry it to the node that refuses it; background rows are named "background row b".
// Cost O(rows × background rows × Σ_trees nodes the two rows' hybrids reach); the workspace
// is allocated once per call.
void tree_shap_interventional(const CompactForest& forest, const double* X, Index rows, Index stride,
                              const double* background, Index n_background, Index background_stride,
                              const double* weights, const Index* group, Index n_groups, double* phi);

}  // namespace detail::explain
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_MODELS_TREE_SHAP_INTERVENTIONAL_HPP
