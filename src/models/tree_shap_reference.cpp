#include <vector>

#include "models/tree_shap.hpp"
#include "models/tree_shap_path.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail::explain {
namespace {

using Path = std::vector<PathElement>;

void extend(Path& m, double zero, double one, Index feature) {
  m.emplace_back();
  extend(m.data(), static_cast<Index>(m.size()) - 1, zero, one, feature);
}

void unwind(Path& m, std::size_t index) {
  unwind(m.data(), static_cast<Index>(m.size()), static_cast<Index>(index));
  m.pop_back();
}

struct Walk {
  const CompactForest& forest;
  const double* x;
  Index row;
  double scale;  // 1, or 1/T for aggregation mean
  double* phi;   // the row's (n_features + 1) x k block, offset to the tree's first score
  Index k, w;

  void recurse(std::uint32_t j, Path m, double zero, double one, Index feature) const {
    extend(m, zero, one, feature);
    const CompactForest::Node& n = forest.nodes()[j];
    if ((n.info & CompactForest::kLeaf) != 0) {
      const double* v = forest.values() + static_cast<std::size_t>(j) * static_cast<std::size_t>(w);
      for (std::size_t i = 1; i < m.size(); ++i) {
        const double s = unwound_sum(m.data(), static_cast<Index>(m.size()), static_cast<Index>(i)) *
                        (m[i].one - m[i].zero) * scale;
        for (Index c = 0; c < w; ++c) phi[m[i].feature * k + c] += s * v[c];
      }
      return;
    }
    const std::uint32_t left = j + 1, right = j + 1 + n.skip;
    const bool go_left = forest.goes_left(j, x, row);
    const std::uint32_t hot = go_left ? left : right, cold = go_left ? right : left;
    const auto f = static_cast<Index>(n.info & CompactForest::kFeatureMask);
    double in_zero = 1.0, in_one = 1.0;
    for (std::size_t i = 1; i < m.size(); ++i)
      if (m[i].feature == f) {
        in_zero = m[i].zero;
        in_one = m[i].one;
        unwind(m, i);
        break;
      }
    const double* cover = forest.cover();
    const double hot_zero = in_zero * cover_fraction(cover[hot], cover[j]);
    const double cold_zero = in_zero * cover_fraction(cover[cold], cover[j]);
    // A subtree no coalition reaches adds nothing (and would divide by zero in unwind()).
    if (hot_zero != 0.0 || in_one != 0.0) recurse(hot, m, hot_zero, in_one, f);
    if (cold_zero != 0.0) recurse(cold, m, cold_zero, 0.0, f);
  }
};

}  // namespace

void tree_shap_reference(const CompactForest& forest, const double* X, Index rows, Index stride, double* phi) {
  const CompactForest::Settings& s = forest.settings();
  const Index nf = s.n_features, k = s.n_scores, T = forest.n_trees(), width = (nf + 1) * k;
  const double scale = s.mean ? 1.0 / static_cast<double>(T) : 1.0;
  std::vector<double> expected(static_cast<std::size_t>(T * s.leaf_width));
  tree_expectations(forest, expected.data());
  std::vector<double> x(static_cast<std::size_t>(nf));
  for (Index r = 0; r < rows; ++r) {
    double* out = phi + r * width;
    for (Index i = 0; i < width; ++i) out[i] = 0.0;
    forest.prepare_rows(X + r * stride, 1, stride, r, x.data());
    for (Index c = 0; c < k; ++c) out[nf * k + c] = forest.base_score()[c];
    for (Index t = 0; t < T; ++t) {
      const Index g = forest.first_score(t);
      for (Index c = 0; c < s.leaf_width; ++c) out[nf * k + g + c] += scale * expected[t * s.leaf_width + c];
      Walk walk{forest, x.data(), r, scale, out + g, k, s.leaf_width};
      walk.recurse(forest.root(t), Path{}, 1.0, 1.0, -1);
    }
  }
}

}  // namespace detail::explain
FERRY_END_NAMESPACE
