// Each function mirrors scikit-learn 1.2's own arithmetic, operation for operation, so
// probabilities agree to the last bit or two rather than merely mathematically.
#include "models/link.hpp"

#include <algorithm>
#include <cmath>

#include "ferry/error.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

// scipy.special.expit
double expit(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// sklearn.utils.extmath.softmax: subtract the row maximum, exponentiate, divide by the sum.
void softmax_row(double* p, Index n) {
  double max = p[0];
  for (Index j = 1; j < n; ++j) max = std::max(max, p[j]);
  double sum = 0.0;
  for (Index j = 0; j < n; ++j) {
    p[j] = std::exp(p[j] - max);
    sum += p[j];
  }
  for (Index j = 0; j < n; ++j) p[j] /= sum;
}

// SGDClassifier._predict_proba for loss="modified_huber" (scikit-learn 1.2): clip to [-1, 1],
// add 1, halve. One score: [1 - p, p]. Several: each row divided by its sum, and a row whose
// values are all 0 (every score at or below -1) becomes uniform (1 / k each).
void modified_huber_row(const double* s, double* p, Index k) {
  if (k == 1) {
    p[1] = (std::min(std::max(s[0], -1.0), 1.0) + 1.0) / 2.0;
    p[0] = 1.0 - p[1];
    return;
  }
  double sum = 0.0;
  for (Index j = 0; j < k; ++j) sum += (p[j] = (std::min(std::max(s[j], -1.0), 1.0) + 1.0) / 2.0);
  if (sum == 0.0) {
    for (Index j = 0; j < k; ++j) p[j] = 1.0;
    sum = static_cast<double>(k);
  }
  for (Index j = 0; j < k; ++j) p[j] /= sum;
}

// The number of classes c >= 2 with c (c - 1) / 2 == pairs, 0 if there is none.
Index ovo_classes(Index pairs) noexcept {
  Index c = 2;
  while (c * (c - 1) / 2 < pairs) ++c;
  return c * (c - 1) / 2 == pairs ? c : 0;
}

// libsvm's svm_predict_values: each pair (i, j), i < j, in order, votes for i when its decision
// is > 0, else for j; the class with the most votes wins, the first of those tied.
Index first_most_votes(const std::vector<Index>& votes) {
  Index best = 0;
  for (std::size_t j = 1; j < votes.size(); ++j)
    if (votes[j] > votes[static_cast<std::size_t>(best)]) best = static_cast<Index>(j);
  return best;
}

// _BaseNB.predict_proba: exp(s - logsumexp(s)) with scipy.special.logsumexp's own steps (the
// row maximum, or 0 where it is not finite; the log of the sum of exp(s - max); plus max).
void logsumexp_row(const double* s, double* p, Index n) {
  double max = s[0];
  for (Index j = 1; j < n; ++j) max = std::max(max, s[j]);
  if (!std::isfinite(max)) max = 0.0;
  double sum = 0.0;
  for (Index j = 0; j < n; ++j) sum += std::exp(s[j] - max);
  const double lse = std::log(sum) + max;
  for (Index j = 0; j < n; ++j) p[j] = std::exp(s[j] - lse);
}

}  // namespace

Link parse_link(const std::string& name, const std::string& where) {
  if (name == "identity") return Link::kIdentity;
  if (name == "logistic") return Link::kLogistic;
  if (name == "softmax") return Link::kSoftmax;
  if (name == "ovr") return Link::kOvr;
  if (name == "exp") return Link::kExp;
  if (name == "probability") return Link::kProbability;
  if (name == "isolation") return Link::kIsolation;
  if (name == "modified_huber") return Link::kModifiedHuber;
  if (name == "none") return Link::kNone;
  if (name == "softmax_pair") return Link::kSoftmaxPair;
  if (name == "ovo_votes") return Link::kOvoVotes;
  if (name == "ovr_votes") return Link::kOvrVotes;
  throw Error(ErrorCode::kFormat, where + ": unknown link \"" + name + "\"");
}

Index n_probabilities(Link link, Index k) noexcept {
  if (link == Link::kOvoVotes) {
    const Index c = ovo_classes(k);
    return c > 0 ? c : k;  // k is not c (c - 1) / 2 of any c: the loader refuses the scores
  }
  return (link == Link::kLogistic || link == Link::kSoftmax || link == Link::kIsolation ||
          link == Link::kModifiedHuber || link == Link::kNone || link == Link::kSoftmaxPair) &&
                 k == 1
             ? 2
             : k;
}

bool has_predict_proba(Link link) noexcept {
  return link != Link::kIsolation && link != Link::kNone && link != Link::kOvoVotes && link != Link::kOvrVotes;
}
bool has_decision_function(Link link) noexcept { return link != Link::kProbability && link != Link::kLogSumExp; }

void apply_link(Link link, const RowMatrixXd& scores, RowMatrixXd& proba) {
  const Index rows = scores.rows(), k = scores.cols();
  if (!has_predict_proba(link)) {
    proba.resize(rows, 0);
    return;
  }
  proba.resize(rows, n_probabilities(link, k));
  for (Index i = 0; i < rows; ++i) {
    double* p = proba.row(i).data();
    const double* s = scores.row(i).data();
    switch (link) {
      case Link::kIdentity:
      case Link::kProbability:
      case Link::kExp:  // not a classifier's link (the loader refuses it); copies like identity
      case Link::kIsolation:
        for (Index j = 0; j < k; ++j) p[j] = s[j];
        break;
      case Link::kLogistic:
        if (k == 1) {
          p[1] = expit(s[0]);
          p[0] = 1.0 - p[1];
          break;
        }
        [[fallthrough]];
      case Link::kOvr: {
        double sum = 0.0;
        for (Index j = 0; j < k; ++j) sum += (p[j] = expit(s[j]));
        for (Index j = 0; j < k; ++j) p[j] /= sum;
        break;
      }
      case Link::kModifiedHuber:
        modified_huber_row(s, p, k);
        break;
      case Link::kNone:  // no probabilities (has_predict_proba is false)
      case Link::kOvoVotes:
      case Link::kOvrVotes:
        break;
      case Link::kSoftmaxPair:
        if (k == 1) {
          p[0] = 0.0;
          p[1] = s[0];
        } else {
          for (Index j = 0; j < k; ++j) p[j] = s[j];
        }
        softmax_row(p, proba.cols());
        break;
      case Link::kLogSumExp:
        logsumexp_row(s, p, k);
        break;
      case Link::kSoftmax:
        if (k == 1) {
          p[0] = -s[0];
          p[1] = s[0];
        } else {
          for (Index j = 0; j < k; ++j) p[j] = s[j];
        }
        softmax_row(p, proba.cols());
        break;
    }
  }
}

void regression_values(Link link, const RowMatrixXd& scores, RowMatrixXd& values) {
  values.resize(scores.rows(), scores.cols());
  for (Index i = 0; i < scores.size(); ++i) {
    const double s = scores.data()[i];
    // HistGradientBoosting's LogLink.inverse is np.exp; XGBoost's reg:logistic is a sigmoid.
    values.data()[i] = link == Link::kExp ? std::exp(s) : link == Link::kLogistic ? expit(s) : s;
  }
}

void predict_classes(Link link, const RowMatrixXd& scores, std::vector<Index>& classes) {
  if (link == Link::kOvoVotes || link == Link::kOvrVotes) {
    classes.resize(static_cast<std::size_t>(scores.rows()));
    const Index k = scores.cols();
    if (link == Link::kOvoVotes && k == 1) {
      // Two classes: the score is scikit-learn's decision_function, the negated libsvm
      // decision d, and libsvm predicts class 0 iff d > 0, i.e. iff the score is < 0.
      for (Index i = 0; i < scores.rows(); ++i) classes[static_cast<std::size_t>(i)] = scores(i, 0) < 0.0 ? 0 : 1;
      return;
    }
    const Index c = link == Link::kOvoVotes ? ovo_classes(k) : k;
    std::vector<Index> votes(static_cast<std::size_t>(c));
    for (Index r = 0; r < scores.rows(); ++r) {
      if (link == Link::kOvoVotes) {
        std::fill(votes.begin(), votes.end(), 0);
        Index p = 0;
        for (Index i = 0; i < c; ++i)
          for (Index j = i + 1; j < c; ++j, ++p) ++votes[static_cast<std::size_t>(scores(r, p) > 0.0 ? i : j)];
      } else {
        // scikit-learn's _ovr_decision_function: votes + confidences / (3 (|confidences| + 1)),
        // the second term inside (-1/3, 1/3), so the votes are the nearest integers.
        for (Index j = 0; j < c; ++j) votes[static_cast<std::size_t>(j)] = static_cast<Index>(std::lround(scores(r, j)));
      }
      classes[static_cast<std::size_t>(r)] = first_most_votes(votes);
    }
    return;
  }
  if (link != Link::kIsolation) return predict_classes(scores, classes);
  // IsolationForest.predict: inlier (label 1, index 1) unless decision_function < 0.
  classes.resize(static_cast<std::size_t>(scores.rows()));
  for (Index i = 0; i < scores.rows(); ++i) classes[static_cast<std::size_t>(i)] = scores(i, 0) < 0.0 ? 0 : 1;
}

void isolation_decision(double offset, double scale, double* scores, Index n) {
  // IsolationForest._compute_score_samples: 2 ** (-depths / denominator), negated by score_samples;
  // decision_function subtracts offset_.
  for (Index i = 0; i < n; ++i) {
    double& s = scores[i];
    s = -std::pow(2.0, -(s / scale)) - offset;
  }
}

void predict_classes(const RowMatrixXd& scores, std::vector<Index>& classes) {
  classes.resize(static_cast<std::size_t>(scores.rows()));
  for (Index i = 0; i < scores.rows(); ++i) {
    Index best = 0;
    if (scores.cols() == 1) {
      best = scores(i, 0) > 0.0 ? 1 : 0;
    } else {
      for (Index j = 1; j < scores.cols(); ++j)
        if (scores(i, j) > scores(i, best)) best = j;
    }
    classes[static_cast<std::size_t>(i)] = best;
  }
}

}  // namespace detail
FERRY_END_NAMESPACE
