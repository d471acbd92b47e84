// The result of Model::explain: additive feature attributions (SHAP values) per raw input column.
#ifndef FERRY_EXPLANATION_HPP
#define FERRY_EXPLANATION_HPP

#include <string>
#include <vector>

#include "ferry/detail/config.hpp"
#include "ferry/matrix.hpp"

FERRY_BEGIN_NAMESPACE

// How Model::explain attributes; the choices never change what is explained (the raw scores).
struct ExplainOptions {
  enum class Method {
    kAuto,   // the estimator's exact method; Error(kUnsupported) when it has none
    kExact,  // the same, named explicitly: never an approximation
  };
  Method method = Method::kAuto;
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
  // What computed the values, e.g. "linear" (exact interventional SHAP of a linear model).
  std::string method;

  Index rows() const noexcept { return base_values.rows(); }
};

FERRY_END_NAMESPACE

#endif  // FERRY_EXPLANATION_HPP
