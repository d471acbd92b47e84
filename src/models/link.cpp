// Each function mirrors scikit-learn 1.2's own arithmetic, operation for operation, so
// probabilities agree to the last bit or two rather than merely mathematically.
#include "models/link.hpp"

#include <cmath>

#include "ferry/error.hpp"

namespace ferry {
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

}  // namespace

Link parse_link(const std::string& name, const std::string& where) {
  if (name == "identity") return Link::kIdentity;
  if (name == "logistic") return Link::kLogistic;
  if (name == "softmax") return Link::kSoftmax;
  if (name == "ovr") return Link::kOvr;
  throw Error(ErrorCode::kFormat, where + ": unknown link \"" + name + "\"");
}

Index n_probabilities(Link link, Index k) noexcept {
  return (link == Link::kLogistic || link == Link::kSoftmax) && k == 1 ? 2 : k;
}

void apply_link(Link link, const RowMatrixXd& scores, RowMatrixXd& proba) {
  const Index rows = scores.rows(), k = scores.cols();
  proba.resize(rows, n_probabilities(link, k));
  for (Index i = 0; i < rows; ++i) {
    double* p = proba.row(i).data();
    const double* s = scores.row(i).data();
    switch (link) {
      case Link::kIdentity:
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

}  // namespace ferry
