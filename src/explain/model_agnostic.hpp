// Model-agnostic SHAP over raw input columns: Shapley values of the interventional game
//   v(S) = Σ_b w_b f(x with the columns in S, the others from background row b),
// where f is the whole model (pipeline and estimator, raw scores) and the background is the
// artifact's (docs/format.md §3.5). Any pipeline works, since only f's outputs are used: PCA,
// polynomial features, an IsolationForest, any estimator.
#ifndef FERRY_SRC_EXPLAIN_MODEL_AGNOSTIC_HPP
#define FERRY_SRC_EXPLAIN_MODEL_AGNOSTIC_HPP

#include <cstdint>

#include "ferry/detail/config.hpp"
#include "engine.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail::explain {

// The most columns exact enumeration takes: 2^20 coalitions, each as many model runs as the
// background has rows.
constexpr Index kMaxEnumeratedColumns = 20;

// Rows of raw input (bound, as the pipeline takes it) and their scores f(x), which the callers
// have computed anyway (they also check the rows). `base` holds v(∅) (k values, from
// background_scores). phi is rows x ((M + 1) * k) as Estimator::shap's layout over the M raw
// columns: phi(i, j * k + c) is column j's value for score c; j = M holds the base value.
// Each row adds up exactly: v(N) is taken as f(x) itself.

// Σ_b w_b f(b): the expected score, v(∅).
Eigen::RowVectorXd background_scores(const detail::Engine& model, const detail::Background& background);

// Exact values by enumerating all 2^M coalitions (M ≤ kMaxEnumeratedColumns).
void shapley_enumerated(const detail::Engine& model, const detail::Background& background, const RowMatrixXd& raw,
                        const RowMatrixXd& scores, const Eigen::RowVectorXd& base, RowMatrixXd& phi);

// Antithetic permutation sampling: `permutations` (even) orderings, each followed by its
// reverse; each ordering's marginal contributions add up to f(x) − v(∅), so the estimate does
// too. se (shaped as phi, base column 0) is each value's standard error over the pairs. Row i
// draws its orderings from a generator seeded by (seed, first_row + i), so a row's values do
// not depend on how rows are split into calls or threads.
void shapley_sampled(const detail::Engine& model, const detail::Background& background, const RowMatrixXd& raw,
                     const RowMatrixXd& scores, const Eigen::RowVectorXd& base, int permutations, std::uint64_t seed,
                     Index first_row, RowMatrixXd& phi, RowMatrixXd& se);

}  // namespace detail::explain
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_EXPLAIN_MODEL_AGNOSTIC_HPP
