// Path-dependent TreeSHAP leaf by leaf, in closed form. Along a root-to-leaf path each distinct
// feature j has a cover share z_j (the product of its splits' cover fractions) and is "hot"
// when the row follows every one of its splits there. The leaf's game is
// u(S) = value · Π_{j∈S} hot_j · Π_{j∉S} z_j over the path's d features, so only coalitions of
// hot features count, and with H the hot set (h = |H|), C the cold one, Z = Π_{j∈C} z_j,
// e_m(·) the elementary symmetric polynomials and W_d(k) = k!(d−1−k)!/d!:
//   cold j:  φ_j = −value · Z · Σ_{k=0..h} W_d(k) e_{h−k}(z_H)          (the same for every cold j)
//   hot i:   φ_i =  value · Z · (1 − z_i) · Σ_{k=0..h−1} W_d(k) e_{h−1−k}(z_{H∖i})
// e(z_H) is built on the way down (one multiplication by (1 + z t) per hot split; cold splits
// only scale the cold product), and e(z_{H∖i}) is e(z_H) divided by (1 + z_i t), run in the
// direction that never amplifies rounding errors. A leaf costs O(h²) multiplications and no
// division on the usual path (z ≤ 1), where the EXTEND/UNWIND recursion
// (tree_shap_reference.cpp) spends O(d²) divisions.
#include "models/tree_shap.hpp"

#include <algorithm>
#include <vector>

FERRY_BEGIN_NAMESPACE
namespace detail::explain {
namespace {

struct Scratch {
  std::vector<Index> feature;  // the path's distinct features, root first
  std::vector<double> zero;    // their cover shares
  std::vector<std::uint8_t> hot;
  std::vector<Index> position;   // per input feature: its place on the path, or -1
  std::vector<double> e_levels;  // per tree level: e(z_H) of the path down to it
  Index e_stride = 0;
  std::vector<double> e_without;
  std::vector<double> weights;  // W_d(k) at d * (d - 1) / 2 + k, d >= 1
};

struct Walk {
  const CompactForest& forest;
  const CompactForest::Node* nodes;
  const double* fractions;
  const double* values;
  const double* x;
  Index row;
  double scale;
  double* phi;  // the row's block, offset to the tree's first score
  Index k, w;
  Scratch& s;

  // `e` holds e_0..e_h of the path's hot shares, `cold` the product of its cold ones.
  void leaf(std::uint32_t j, Index len, const double* e, Index h, double cold) const {
    if (len == 0) return;  // a lone leaf: its value is all expectation
    const double* W = s.weights.data() + len * (len - 1) / 2;
    const double* v = values + static_cast<std::size_t>(j) * static_cast<std::size_t>(w);
    double cold_phi = 0.0;
    if (h < len) {
      double a = 0.0;
      for (Index q = 0; q <= h; ++q) a += W[q] * e[h - q];
      cold_phi = -cold * a * scale;
    }
    double* without = s.e_without.data();
    for (Index p = 0; p < len; ++p) {
      double contribution = cold_phi;
      if (s.hot[p] != 0) {
        const double z = s.zero[p];
        double b = 0.0;
        if (z <= 1.0) {
          double prev = 1.0;
          b = W[h - 1];
          for (Index m = 1; m < h; ++m) {
            prev = e[m] - z * prev;
            b += W[h - 1 - m] * prev;
          }
        } else {
          without[h - 1] = e[h] / z;
          for (Index m = h - 1; m >= 1; --m) without[m - 1] = (e[m] - without[m]) / z;
          for (Index q = 0; q < h; ++q) b += W[q] * without[h - 1 - q];
        }
        contribution = cold * (1.0 - z) * b * scale;
      }
      double* out = phi + s.feature[p] * k;
      for (Index c = 0; c < w; ++c) out[c] += contribution * v[c];
    }
  }

  // e(z_H) and the cold product from the path itself, after a repeated feature changed.
  Index recompute(Index len, double* e, double& cold) const {
    Index h = 0;
    cold = 1.0;
    e[0] = 1.0;
    for (Index p = 0; p < len; ++p) {
      if (s.hot[p] == 0) {
        cold *= s.zero[p];
        continue;
      }
      const double z = s.zero[p];
      e[h + 1] = z * e[h];
      for (Index q = h; q >= 1; --q) e[q] += z * e[q - 1];
      ++h;
    }
    return h;
  }

  void visit(std::uint32_t j, Index len, Index level, const double* e, Index h, double cold) const {
    const CompactForest::Node& n = nodes[j];
    if ((n.info & CompactForest::kLeaf) != 0) return leaf(j, len, e, h, cold);
    const std::uint32_t left = j + 1, right = j + 1 + n.skip;
    const bool go_left = forest.goes_left(j, x, row);
    const auto f = static_cast<Index>(n.info & CompactForest::kFeatureMask);
    const Index p = s.position[f];
    double* e_child = s.e_levels.data() + (level + 1) * s.e_stride;
    for (const std::uint32_t child : {left, right}) {
      const bool is_hot = (child == left) == go_left;
      const double fraction = fractions[child];
      if (p >= 0) {  // the feature is already on the path: its splits merge into one player
        const double z = s.zero[p];
        const std::uint8_t was_hot = s.hot[p];
        s.zero[p] = z * fraction;
        s.hot[p] = static_cast<std::uint8_t>(was_hot & static_cast<std::uint8_t>(is_hot));
        // A subtree no coalition reaches adds nothing.
        if (s.zero[p] != 0.0 || s.hot[p] != 0) {
          double c = 1.0;
          const Index hc = recompute(len, e_child, c);
          visit(child, len, level + 1, e_child, hc, c);
        }
        s.zero[p] = z;
        s.hot[p] = was_hot;
      } else if (is_hot) {
        e_child[h + 1] = fraction * e[h];
        for (Index q = h; q >= 1; --q) e_child[q] = e[q] + fraction * e[q - 1];
        e_child[0] = 1.0;
        s.feature[len] = f;
        s.zero[len] = fraction;
        s.hot[len] = 1;
        s.position[f] = len;
        visit(child, len + 1, level + 1, e_child, h + 1, cold);
        s.position[f] = -1;
      } else if (fraction != 0.0) {
        s.feature[len] = f;
        s.zero[len] = fraction;
        s.hot[len] = 0;
        s.position[f] = len;
        visit(child, len + 1, level + 1, e, h, cold * fraction);
        s.position[f] = -1;
      }
    }
  }
};

}  // namespace

void tree_expectations(const CompactForest& forest, double* out) {
  const Index w = forest.settings().leaf_width;
  const CompactForest::Node* nodes = forest.nodes();
  const double* cover = forest.cover();
  const double* values = forest.values();
  std::vector<std::pair<std::uint32_t, double>> stack;
  for (Index t = 0; t < forest.n_trees(); ++t) {
    double* e = out + t * w;
    std::fill(e, e + w, 0.0);
    stack.assign(1, {forest.root(t), 1.0});
    while (!stack.empty()) {
      const auto [j, p] = stack.back();
      stack.pop_back();
      const CompactForest::Node& n = nodes[j];
      if ((n.info & CompactForest::kLeaf) != 0) {
        const double* v = values + static_cast<std::size_t>(j) * static_cast<std::size_t>(w);
        for (Index c = 0; c < w; ++c) e[c] += p * v[c];
        continue;
      }
      const std::uint32_t left = j + 1, right = j + 1 + n.skip;
      stack.push_back({right, p * cover_fraction(cover[right], cover[j])});
      stack.push_back({left, p * cover_fraction(cover[left], cover[j])});
    }
  }
}

TreeShapTables tree_shap_tables(const CompactForest& forest) {
  const CompactForest::Settings& st = forest.settings();
  const Index k = st.n_scores, T = forest.n_trees(), w = st.leaf_width;
  TreeShapTables tables;
  const double scale = st.mean ? 1.0 / static_cast<double>(T) : 1.0;
  std::vector<double> expected(static_cast<std::size_t>(T * w));
  tree_expectations(forest, expected.data());
  tables.bias.assign(forest.base_score(), forest.base_score() + k);
  for (Index t = 0; t < T; ++t)
    for (Index c = 0; c < w; ++c)
      tables.bias[static_cast<std::size_t>(forest.first_score(t) + c)] +=
          scale * expected[static_cast<std::size_t>(t * w + c)];
  const CompactForest::Node* nodes = forest.nodes();
  const double* cover = forest.cover();
  tables.fraction.assign(static_cast<std::size_t>(forest.n_nodes()), 1.0);
  for (std::size_t j = 0; j < tables.fraction.size(); ++j) {
    if ((nodes[j].info & CompactForest::kLeaf) != 0) continue;
    const std::size_t left = j + 1, right = j + 1 + nodes[j].skip;
    tables.fraction[left] = cover_fraction(cover[left], cover[j]);
    tables.fraction[right] = cover_fraction(cover[right], cover[j]);
  }
  return tables;
}

void tree_shap(const CompactForest& forest, const TreeShapTables& tables, const double* X, Index rows, Index stride,
               double* phi) {
  const CompactForest::Settings& st = forest.settings();
  const Index nf = st.n_features, k = st.n_scores, T = forest.n_trees(), w = st.leaf_width, width = (nf + 1) * k;
  const double scale = st.mean ? 1.0 / static_cast<double>(T) : 1.0;
  const std::vector<double>& bias = tables.bias;
  int depth = 0;
  for (Index t = 0; t < T; ++t) depth = std::max(depth, forest.depth(t));
  // A path holds at most min(depth, n_features) distinct features.
  const Index d_max = std::min<Index>(depth, nf);
  Scratch s;
  const auto n = static_cast<std::size_t>(d_max) + 1;
  s.feature.resize(n);
  s.zero.resize(n);
  s.hot.resize(n);
  s.e_without.resize(n + 1);
  s.e_stride = static_cast<Index>(n) + 1;
  s.e_levels.assign(static_cast<std::size_t>((depth + 2) * s.e_stride), 0.0);
  s.e_levels[0] = 1.0;  // the root's empty hot set
  s.position.assign(static_cast<std::size_t>(nf), -1);
  s.weights.resize(n * (n + 1) / 2);
  for (Index d = 1; d <= d_max; ++d) {
    double* W = s.weights.data() + d * (d - 1) / 2;
    W[0] = 1.0 / static_cast<double>(d);
    for (Index q = 1; q < d; ++q) W[q] = W[q - 1] * static_cast<double>(q) / static_cast<double>(d - q);
  }
  std::vector<double> x(static_cast<std::size_t>(nf));
  for (Index r = 0; r < rows; ++r) {
    double* out = phi + r * width;
    std::fill(out, out + width, 0.0);
    forest.prepare_rows(X + r * stride, 1, stride, r, x.data());
    for (Index c = 0; c < k; ++c) out[nf * k + c] = bias[static_cast<std::size_t>(c)];
    for (Index t = 0; t < T; ++t) {
      const Walk walk{forest,
                      forest.nodes(),
                      tables.fraction.data(),
                      forest.values(),
                      x.data(),
                      r,
                      scale,
                      out + forest.first_score(t),
                      k,
                      w,
                      s};
      walk.visit(forest.root(t), 0, 0, s.e_levels.data(), 0, 1.0);
    }
  }
}

}  // namespace detail::explain
FERRY_END_NAMESPACE
