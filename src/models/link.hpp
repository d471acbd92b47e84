// From raw scores to what scikit-learn's predict and predict_proba return.
#ifndef FERRY_SRC_MODELS_LINK_HPP
#define FERRY_SRC_MODELS_LINK_HPP

#include <string>
#include <vector>

#include "ferry/matrix.hpp"

namespace ferry {

enum class Link {
  kIdentity,  // regression: the scores are the prediction
  kLogistic,  // binary, one score: [1 - σ(s), σ(s)]
  kSoftmax,   // multinomial: softmax(s); one score means softmax([-s, s])
  kOvr,       // one-vs-rest: σ(s_j) / Σ σ(s_i)
};

// Error(kFormat) for names other than those of docs/format.md §4.2.
Link parse_link(const std::string& name, const std::string& where);

// Number of classes whose probabilities `scores` with k columns give.
Index n_probabilities(Link link, Index k) noexcept;

// proba is resized to rows x n_probabilities(link, scores.cols()).
void apply_link(Link link, const RowMatrixXd& scores, RowMatrixXd& proba);

// The predicted class per row: s > 0 for one score, else the first maximum.
void predict_classes(const RowMatrixXd& scores, std::vector<Index>& classes);

}  // namespace ferry

#endif  // FERRY_SRC_MODELS_LINK_HPP
