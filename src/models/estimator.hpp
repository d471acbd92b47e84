// The final step of a pipeline: raw scores, then a link (models/link.hpp).
#ifndef FERRY_SRC_MODELS_ESTIMATOR_HPP
#define FERRY_SRC_MODELS_ESTIMATOR_HPP

#include <memory>
#include <optional>
#include <vector>

#include "ferry/explanation.hpp"
#include "ferry/matrix.hpp"
#include "models/link.hpp"
#include "pipeline/step_rows.hpp"
#include "row_ranges.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {

class StepInputs;

// What an estimator computes beyond its raw scores, declared by its kernel: explain, the
// loader and the CLI read it instead of probing methods or comparing type names. The method
// names are those Explanation::method reports.
struct Capabilities {
  bool probabilities = false;      // predict_proba: the link turns scores into probabilities
  bool decision_function = false;  // the scores are scikit-learn's decision_function
  // shap(): exact SHAP values of the scores that add up to them, by this method; none when
  // the estimator has no such method.
  std::optional<Explanation::Method> exact_shap;
  // shap_interventional(): the closed form, by this method; none when coalitions must be
  // enumerated instead.
  std::optional<Explanation::Method> interventional_shap;
  bool interactions = false;  // shap_interactions()
  bool direct_rows = false;   // decision_direct(): reads float32 and double rows where they lie
  bool sparse_rows = false;   // decision_sparse(): reads sparse rows as they are
};

class Estimator {
 public:
  explicit Estimator(Link link) : link_(link) {}
  virtual ~Estimator() = default;
  Link link() const noexcept { return link_; }
  // What this estimator computes; the base fills what the link decides.
  virtual Capabilities capabilities() const noexcept {
    Capabilities c;
    c.probabilities = has_predict_proba(link_);
    c.decision_function = has_decision_function(link_);
    return c;
  }
  // scores = raw outputs for X, rows x n_scores. Immutable and thread-safe.
  virtual void decision(const RowMatrixXd& X, RowMatrixXd& scores) const = 0;
  // What scikit-learn's predict_proba, predict (class indices) and a regressor's predict make
  // of the scores: the link's rules, unless the estimator combines the outputs of others
  // (models/composition.hpp), whose rule is its own.
  virtual void probabilities(const RowMatrixXd& scores, RowMatrixXd& proba) const { apply_link(link_, scores, proba); }
  virtual void classes(const RowMatrixXd& scores, std::vector<Index>& classes) const {
    predict_classes(link_, scores, classes);
  }
  virtual void values(const RowMatrixXd& scores, RowMatrixXd& values) const {
    regression_values(link_, scores, values);
  }
  virtual Index n_scores() const noexcept = 0;
  // As decision(), split over threads where the estimator's work is worth it; the scores are
  // identical to decision()'s.
  virtual void decision_threaded(const RowMatrixXd& X, RowMatrixXd& scores, Parallel /*parallel*/) const {
    decision(X, scores);
  }
  // Raw scores of rows read where they lie (row-major, `stride` values apart, float32 or
  // double) into `scores` (rows x n_scores(), row-major), for models without preprocessing
  // steps, where capabilities() declares direct_rows: identical to decision()'s on the same
  // rows widened to double (tree ensembles compare float32 rows as float32, without a copy).
  virtual void decision_direct(const double* /*X*/, Index /*rows*/, Index /*stride*/, double* /*scores*/,
                               Parallel /*parallel*/) const {
    undeclared("decision_direct");
  }
  virtual void decision_direct(const float* /*X*/, Index /*rows*/, Index /*stride*/, double* /*scores*/,
                               Parallel /*parallel*/) const {
    undeclared("decision_direct");
  }
  // Raw scores of sparse rows, where capabilities() declares sparse_rows: scikit-learn's own
  // sums over each row's entries in their order (safe_sparse_dot), so a row of text costs its
  // terms, not the vocabulary's width.
  virtual void decision_sparse(const SparseRows& /*X*/, RowMatrixXd& /*scores*/) const {
    undeclared("decision_sparse");
  }
  // For an estimator whose scores are X · weightsᵀ + a constant: weights (n_scores x
  // n_features_in), which explanations use to give each input feature its part of a score.
  // Null for the others.
  virtual const RowMatrixXd* input_weights() const noexcept { return nullptr; }
  // Whether a missing value (NaN) may reach decision(): estimators with learned missing
  // directions route it; the others never see one.
  virtual bool accepts_missing() const noexcept { return false; }
  // The hooks below are called only where capabilities() declares them.
  //
  // Exact SHAP values over the estimator's own input columns: phi is resized to
  // rows x ((n_features_in + 1) * n_scores); phi(i, f * n_scores + c) is feature f's
  // attribution to score c, and f = n_features_in holds the base value, so that each row's
  // block sum over f equals the attributed quantity (the scores, where exact_shap is declared).
  virtual void shap(const RowMatrixXd& /*X*/, RowMatrixXd& /*phi*/) const { undeclared("shap"); }
  // Exact interventional SHAP values against a weighted background (rows of what the
  // estimator receives, weights summing to 1), with the estimator's input columns played in
  // groups: group[f] in [0, n_groups) is the player column f belongs to. The values are the
  // Shapley values of v(S) = Σ_b weights[b] · scores(x with the columns of the groups in S from
  // x, the others from background row b). phi is resized to rows x ((n_groups + 1) * n_scores):
  // phi(i, g * n_scores + c) is group g's value for score c, and g = n_groups holds the base
  // value Σ_b weights[b] · scores(b, c).
  virtual void shap_interventional(const RowMatrixXd& /*X*/, const RowMatrixXd& /*background*/,
                                   const Eigen::VectorXd& /*weights*/, const std::vector<Index>& /*group*/,
                                   Index /*n_groups*/, RowMatrixXd& /*phi*/) const {
    undeclared("shap_interventional");
  }
  // SHAP interaction values of the exact method of shap(), over the estimator's own input
  // columns, as XGBoost's pred_interactions: with n = n_features_in, phi is resized to
  // rows x ((n + 1) * (n + 1) * n_scores); phi(i, (f * (n + 1) + g) * n_scores + c) is the
  // interaction of f and g for score c (half of it on each side, the main effect on the
  // diagonal), so that each sum over g equals shap()'s value of f; (n, n) holds the base value.
  virtual void shap_interactions(const RowMatrixXd& /*X*/, RowMatrixXd& /*phi*/) const {
    undeclared("shap_interactions");
  }
  // The mean of the estimator's input over the exporter's sample (docs/format.md §3.5), handed
  // over once at load, before the model is shared; estimators whose exact SHAP needs a
  // background keep it.
  virtual void set_background_mean(const Eigen::RowVectorXd& /*mean*/) {}

 private:
  // A caller that ignored capabilities(): a bug in ferry, never in the input.
  [[noreturn]] static void undeclared(const char* hook);
  Link link_;
};

// Builds the estimator of type inputs.type(); errors as make_step.
std::unique_ptr<Estimator> make_estimator(const StepInputs& inputs);

}  // namespace detail
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_MODELS_ESTIMATOR_HPP
