// From raw scores to what scikit-learn's predict and predict_proba return.
#ifndef FERRY_SRC_MODELS_LINK_HPP
#define FERRY_SRC_MODELS_LINK_HPP

#include <string>
#include <vector>

#include "ferry/matrix.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {

enum class Link {
  kIdentity,       // regression: the scores are the prediction
  kLogistic,       // binary, one score: [1 - σ(s), σ(s)]; regression: σ(s)
  kSoftmax,        // multinomial: softmax(s); one score means softmax([-s, s])
  kOvr,            // one-vs-rest: σ(s_j) / Σ σ(s_i)
  kExp,            // regression: exp(s) (log-link losses: poisson, gamma, tweedie)
  kProbability,    // classification: the scores are the class probabilities (forests)
  kIsolation,      // outlier detection: the score is scikit-learn's decision_function
  kModifiedHuber,  // SGDClassifier(loss="modified_huber"): (clip(s, -1, 1) + 1) / 2, normalised
  kNone,           // classification without predict_proba: hinge, perceptron, ridge, ...
  kSoftmaxPair,    // binary, one score s = d1 - d0 of two class scores: softmax of [0, s]
  kOvoVotes,       // libsvm's one-vs-one votes: one score per class pair, no predict_proba
  kOvrVotes,       // libsvm's votes read from scikit-learn's ovr decision_function, no predict_proba
  kLogSumExp,      // naive Bayes, mixtures: exp(s - logsumexp(s)), one score per class; no decision_function
};

// Error(kFormat) for names other than those of docs/format.md §4.2, §4.17 and §4.22 (kLogSumExp has
// no name: the naive Bayes types and gaussian_mixture imply it, §4.23 - §4.25, §4.28).
Link parse_link(const std::string& name, const std::string& where);

// Number of classes whose probabilities `scores` with k columns give (for kIsolation, the two
// classes [-1, 1], although it has no probabilities).
Index n_probabilities(Link link, Index k) noexcept;

// Whether scikit-learn offers predict_proba / decision_function for a classifier with this link.
bool has_predict_proba(Link link) noexcept;
bool has_decision_function(Link link) noexcept;

// proba is resized to rows x n_probabilities(link, scores.cols()); 0 columns for kIsolation.
void apply_link(Link link, const RowMatrixXd& scores, RowMatrixXd& proba);

// A regressor's prediction from its scores: identity, exp or logistic.
void regression_values(Link link, const RowMatrixXd& scores, RowMatrixXd& values);

// The predicted class per row: s > 0 for one score, else the first maximum.
void predict_classes(const RowMatrixXd& scores, std::vector<Index>& classes);
// As above, with the link's own rule (kIsolation: class 1 iff decision_function >= 0; kOvoVotes,
// kOvrVotes: the class with the most votes, the first of those tied, as libsvm's predict).
void predict_classes(Link link, const RowMatrixXd& scores, std::vector<Index>& classes);

// scikit-learn's IsolationForest, in place: s (the mean path length, already summed in tree
// order) becomes score_samples = -2^(-s / scale), then decision_function = score_samples - offset.
void isolation_decision(double offset, double scale, double* scores, Index n);

}  // namespace detail
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_MODELS_LINK_HPP
