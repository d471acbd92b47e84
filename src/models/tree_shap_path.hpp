// The path of Lundberg's TreeSHAP recursion (Algorithm 2): EXTEND and UNWIND on a path held
// in caller-owned storage, shared by the reference recursion (tree_shap_reference.cpp) and the
// interaction values (tree_shap_interactions.cpp).
#ifndef FERRY_SRC_MODELS_TREE_SHAP_PATH_HPP
#define FERRY_SRC_MODELS_TREE_SHAP_PATH_HPP

#include "ferry/matrix.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail::explain {

struct PathElement {
  Index feature;  // -1 for the path's empty first element
  double zero;    // the share of cover that reaches here when the feature is absent
  double one;     // 1 if the row itself goes this way, else 0
  double weight;  // the summed Shapley weight of the coalitions of each size
};

// Appends (feature, zero, one) to the path m[0, len).
inline void extend(PathElement* m, Index len, double zero, double one, Index feature) {
  m[len] = {feature, zero, one, len == 0 ? 1.0 : 0.0};
  const auto d = static_cast<double>(len + 1);
  for (Index i = len; i-- > 0;) {
    m[i + 1].weight += one * m[i].weight * static_cast<double>(i + 1) / d;
    m[i].weight = zero * m[i].weight * static_cast<double>(len - i) / d;
  }
}

// Removes element `index` of m[0, len), undoing its extend().
inline void unwind(PathElement* m, Index len, Index index) {
  const Index l = len - 1;
  const double one = m[index].one, zero = m[index].zero;
  const auto d = static_cast<double>(l + 1);
  double n = m[l].weight;
  for (Index j = l; j-- > 0;) {
    if (one != 0.0) {
      const double t = m[j].weight;
      m[j].weight = n * d / (static_cast<double>(j + 1) * one);
      n = t - m[j].weight * zero * static_cast<double>(l - j) / d;
    } else {
      m[j].weight = m[j].weight * d / (zero * static_cast<double>(l - j));
    }
  }
  for (Index j = index; j < l; ++j) {
    m[j].feature = m[j + 1].feature;
    m[j].zero = m[j + 1].zero;
    m[j].one = m[j + 1].one;
  }
}

// Σ of the weights unwind(m, len, index) would leave, without changing the path.
inline double unwound_sum(const PathElement* m, Index len, Index index) {
  const Index l = len - 1;
  const double one = m[index].one, zero = m[index].zero;
  const auto d = static_cast<double>(l + 1);
  double total = 0.0, n = m[l].weight;
  for (Index j = l; j-- > 0;) {
    if (one != 0.0) {
      const double w = n * d / (static_cast<double>(j + 1) * one);
      total += w;
      n = m[j].weight - w * zero * static_cast<double>(l - j) / d;
    } else {
      total += m[j].weight * d / (zero * static_cast<double>(l - j));
    }
  }
  return total;
}

}  // namespace detail::explain
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_MODELS_TREE_SHAP_PATH_HPP
