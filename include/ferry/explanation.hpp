// The results of Model::explain and Model::explain_interactions: additive feature attributions
// (SHAP values) and their pairwise interactions per raw input column.
#ifndef FERRY_EXPLANATION_HPP
#define FERRY_EXPLANATION_HPP

#include <cstdint>
#include <string>
#include <vector>

#include "ferry/detail/config.hpp"
#include "ferry/matrix.hpp"

FERRY_BEGIN_NAMESPACE

// How Model::explain attributes. Every method explains the same thing (the raw scores) and
// keeps the additivity invariant of Explanation; they differ in what "a column is absent"
// means and in cost.
struct ExplainOptions {
  enum class Method {
    // The estimator's own exact method when it has one for this pipeline (kPathDependent for
    // trees, linear SHAP for linear models); otherwise kInterventional when the model has at
    // most max_exact_columns raw columns, else kSampling.
    kAuto,
    // Never an approximation: the estimator's own exact method, else kInterventional whatever
    // the number of columns (Error(kUnsupported) above 20 raw columns: 2^20 coalitions).
    kExact,
    // Exact Shapley values of v(S) = Σ_b w_b f(x with the columns in S, the others from
    // background row b), over the weighted background stored in the artifact (format.md §3.5).
    // Any model; fast closed forms for linear models and tree ensembles, enumeration of all
    // 2^columns coalitions otherwise.
    kInterventional,
    // Antithetic permutation sampling of the same values as kInterventional (any number of
    // columns): each permutation's contributions add up to the score exactly, and
    // Explanation::standard_errors reports each value's standard error.
    kSampling,
    // Path-dependent TreeSHAP from the node covers (tree ensembles only).
    kPathDependent,
  };
  Method method = Method::kAuto;
  // kAuto's limit for enumerating coalitions.
  int max_exact_columns = 12;
  // kSampling: the number of permutations (rounded up to even: each comes with its reverse)
  // and the seed of their generator; the same seed gives the same values.
  int permutations = 64;
  std::uint64_t seed = 0;
  // Rows are explained on up to this many threads; the values do not depend on it.
  int threads = 1;
};

// For each row r and output o: base_values(r, o) + Σ_c values[o](r, c) equals the raw score
// o of row r (Prediction::scores: margin, log-odds or logits; the value for a regressor with
// the identity link), up to rounding.
struct Explanation {
  // rows x outputs: the score with every column at its background (the expected score).
  RowMatrixXd base_values;
  // One rows x columns matrix per output, columns as feature_names: one matrix per output so
  // that a multi-output model hands each output's attributions on as a plain matrix.
  std::vector<RowMatrixXd> values;
  // The raw input columns (schema().inputs, in order): attributions of derived columns (one-hot
  // outputs, indicator columns, spline bases) are summed into the column they come from.
  std::vector<std::string> feature_names;
  // One name per output: the class label for a classifier with one score per class, the
  // positive class for a binary one, the target ("output 0" when unnamed) for a regressor.
  std::vector<std::string> output_names;
  // Only for kSampling: the standard error of each value, shaped as `values`.
  std::vector<RowMatrixXd> standard_errors;
  // What computed the values: "linear_exact", "tree_path_dependent", "tree_interventional",
  // "interventional_exact" (coalition enumeration) or "interventional_sampling".
  std::string method;

  Index rows() const noexcept { return base_values.rows(); }
};

// The result of Model::explain_interactions: SHAP interaction values per pair of raw input
// columns. For each row r and output o, values[o][r] is symmetric; its entry (i, j), i != j,
// is half the interaction effect of columns i and j (the other half is at (j, i)) and (i, i)
// is column i's main effect, so that the sum of row i is Explanation::values[o](r, i) and
// base_values(r, o) + the sum of all entries is the raw score o of row r, up to rounding.
struct InteractionExplanation {
  // rows x outputs: the expected score, as Explanation::base_values.
  RowMatrixXd base_values;
  // values[o][r]: columns x columns, columns as feature_names. Derived columns (one-hot
  // outputs, indicator columns) are summed into the column they come from in both dimensions,
  // so the interactions within one raw column's derived columns add to its main effect.
  std::vector<std::vector<Eigen::MatrixXd>> values;
  // As Explanation::feature_names and Explanation::output_names.
  std::vector<std::string> feature_names;
  std::vector<std::string> output_names;
  // What computed the values: "tree_path_dependent".
  std::string method;

  Index rows() const noexcept { return base_values.rows(); }
};

FERRY_END_NAMESPACE

#endif  // FERRY_EXPLANATION_HPP
