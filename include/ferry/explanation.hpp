// The results of Model::explain and Model::explain_interactions: additive feature attributions
// (SHAP values) and their pairwise interactions per raw input column.
#ifndef FERRY_EXPLANATION_HPP
#define FERRY_EXPLANATION_HPP

#include <cstdint>
#include <string>
#include <vector>

#include "ferry/detail/config.hpp"
#include "ferry/matrix.hpp"
#include "ferry/options.hpp"

FERRY_BEGIN_NAMESPACE

// How Model::explain attributes. Every method explains the same thing (the raw scores) and
// keeps the additivity invariant of Explanation; they differ in what "a column is absent"
// means and in cost.
// PredictOptions' threads, executor and strict apply to explanations too.
struct ExplainOptions : PredictOptions {
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
};

// For each row r and output o: base_values(r, o) + Σ_c values[o](r, c) equals the raw score
// o of row r (Prediction::scores: margin, log-odds or logits; the value for a regressor with
// the identity link), up to rounding.
struct Explanation {
  // What computed the values (to_string gives the name `ferry explain` writes).
  enum class Method {
    kLinearExact,              // "linear_exact": linear SHAP against the sample's mean
    kTreePathDependent,        // "tree_path_dependent": TreeSHAP from the node covers
    kLinearInterventional,     // "linear_interventional": closed form against the background
    kTreeInterventional,       // "tree_interventional": interventional TreeSHAP
    kInterventionalExact,      // "interventional_exact": coalition enumeration
    kInterventionalSampling,   // "interventional_sampling": antithetic permutation sampling
  };

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
  // Only for kInterventionalSampling: the standard error of each value, shaped as `values`.
  std::vector<RowMatrixXd> standard_errors;
  // One feature the estimator received from a free-text column, and its part of each output's
  // score in one row.
  struct Term {
    std::string column;          // the raw text column, as feature_names
    std::string feature;         // the feature, as Model::transformed_feature_names (the term)
    std::vector<double> values;  // per output: its weight in the estimator times its value in the row
  };
  // Per row, for an estimator whose scores are its input times weights plus a constant (linear
  // models, MultinomialNB, ComplementNB): every feature a free-text column gave a nonzero value
  // in that row (the row's terms), largest |value| over the outputs first. They add up to
  // the text column's part of the score, w · x; its SHAP value in `values` is that sum minus the
  // same sum at the background, w · mean. Empty for other estimators and without text columns.
  std::vector<std::vector<Term>> terms;
  Method method = Method::kLinearExact;
  // The model explained, as Prediction::model_name, model_version and model_content_id.
  std::string model_name;
  std::string model_version;
  std::string model_content_id;

  Index rows() const noexcept { return base_values.rows(); }
};

inline const char* to_string(Explanation::Method method) noexcept {
  switch (method) {
    case Explanation::Method::kLinearExact: return "linear_exact";
    case Explanation::Method::kTreePathDependent: return "tree_path_dependent";
    case Explanation::Method::kLinearInterventional: return "linear_interventional";
    case Explanation::Method::kTreeInterventional: return "tree_interventional";
    case Explanation::Method::kInterventionalExact: return "interventional_exact";
    case Explanation::Method::kInterventionalSampling: return "interventional_sampling";
  }
  return "";
}

// The result of Model::explain_interactions: SHAP interaction values per pair of raw input
// columns. For each row r and output o, matrix(o, r) is symmetric; its entry (i, j), i != j,
// is half the interaction effect of columns i and j (the other half is at (j, i)) and (i, i)
// is column i's main effect, so that the sum of row i is Explanation::values[o](r, i) and
// base_values(r, o) + the sum of all entries is the raw score o of row r, up to rounding.
struct InteractionExplanation {
  // rows x outputs: the expected score, as Explanation::base_values.
  RowMatrixXd base_values;
  // values[o]: rows x (columns · columns), row-major and contiguous: row r holds the
  // columns x columns matrix of row r, row after row (entry (i, j) at i · columns + j). Columns
  // as feature_names; derived columns (one-hot outputs, indicator columns) are summed into the
  // column they come from in both dimensions, so the interactions within one raw column's
  // derived columns add to its main effect.
  std::vector<RowMatrixXd> values;
  // As Explanation::feature_names and Explanation::output_names.
  std::vector<std::string> feature_names;
  std::vector<std::string> output_names;
  Explanation::Method method = Explanation::Method::kTreePathDependent;

  Index rows() const noexcept { return base_values.rows(); }
  // Row r's columns x columns matrix for output o, a view into values[o].
  Eigen::Map<const RowMatrixXd> matrix(std::size_t output, Index row) const {
    const auto m = static_cast<Index>(feature_names.size());
    return Eigen::Map<const RowMatrixXd>(values[output].row(row).data(), m, m);
  }
};

FERRY_END_NAMESPACE

#endif  // FERRY_EXPLANATION_HPP
