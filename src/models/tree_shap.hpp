// Exact path-dependent TreeSHAP (Lundberg et al. 2018) of a tree ensemble's raw scores: the
// value of a coalition S is the tree's expectation when the features in S follow the row and
// the others split by cover, which is what XGBoost's pred_contribs, LightGBM's pred_contrib and
// shap's TreeExplainer (no background) compute.
#ifndef FERRY_SRC_MODELS_TREE_SHAP_HPP
#define FERRY_SRC_MODELS_TREE_SHAP_HPP

#include <vector>

#include "ferry/matrix.hpp"
#include "models/compact_forest.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail::explain {

// The share of a node's cover that goes to a child. A node without cover (possible after a
// model refresh, or in hand-built files) splits evenly, so that the game stays well defined.
inline double cover_fraction(double child, double parent) noexcept { return parent > 0.0 ? child / parent : 0.5; }

// Each tree's expectation E[tree] (leaf_width values per tree): leaf values weighted by the
// products of cover_fraction down their paths.
void tree_expectations(const CompactForest& forest, double* out);

// What tree_shap needs beyond the forest, computed once per forest (at load): each node's
// cover_fraction below its parent and each score's base value.
struct TreeShapTables {
  std::vector<double> fraction;  // node-indexed (global); 1 at roots
  std::vector<double> bias;      // n_scores: base_score + Σ_t E[tree_t] (divided by T for mean)
};
TreeShapTables tree_shap_tables(const CompactForest& forest);

// phi (rows x ((n_features + 1) * n_scores), row-major, zeroed by the callee): phi[f * k + c]
// is feature f's attribution to raw score c, f = n_features the base value (base_score plus
// the trees' expectations), so that each row's sum over f is its raw score. Rows are validated
// and routed exactly as CompactForest::predict routes them (errors are its errors).
void tree_shap(const CompactForest& forest, const TreeShapTables& tables, const double* X, Index rows, Index stride,
               double* phi);

// The same values by the published recursion (Algorithm 2, EXTEND/UNWIND), copying the path at
// every level: slow and plain, kept as the oracle the fast path is tested against.
void tree_shap_reference(const CompactForest& forest, const double* X, Index rows, Index stride, double* phi);

}  // namespace detail::explain
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_MODELS_TREE_SHAP_HPP
