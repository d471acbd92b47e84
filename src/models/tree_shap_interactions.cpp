// The conditioned recursion is the EXTEND/UNWIND recursion of tree_shap_reference.cpp with one
// feature i taken out of the game: with i "on" the row's branch at i's splits is followed with
// its whole weight, with i "off" both branches are, weighted by their cover fractions; i never
// enters the path, so the Shapley weights are those of the other features. The paths live in
// one per-call buffer, one segment per tree level (a child copies its parent's segment into
// the next one), instead of a vector copied at every node.
#include "models/tree_shap_interactions.hpp"

#include <algorithm>
#include <vector>

#include "models/tree_shap_path.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail::explain {
namespace {

struct ConditionedWalk {
  const CompactForest& forest;
  const double* x;
  Index row;
  Index condition;  // the feature taken out of the game
  bool on;          // whether it follows the row (else both branches, by cover)
  Index segment;    // PathElement capacity of one tree level
  double factor;    // ±1/2 (on/off) times 1 or 1/T (aggregation mean)
  double* out;      // the condition's row of the interaction block, offset to the tree's first score
  Index k, w;
  const std::uint32_t* subtree_end;          // per node: one past its subtree's last node
  const std::uint32_t *splits, *splits_end;  // the tree's nodes splitting on `condition`, ascending

  // `below`: whether the path has passed a split on the condition. A leaf whose path has none
  // gets the same contributions with the condition on and off (it is a dummy player there),
  // so the subtrees without such a split are skipped by both walks alike.
  void recurse(std::uint32_t j, PathElement* parent, Index len, double zero, double one, Index feature, double fraction,
               bool below) const {
    if (!below) {
      const std::uint32_t* s = std::lower_bound(splits, splits_end, j);
      if (s == splits_end || *s >= subtree_end[j]) return;
    }
    PathElement* m = parent + segment;
    std::copy(parent, parent + len, m);
    if (feature != condition) extend(m, len++, zero, one, feature);
    const CompactForest::Node& n = forest.nodes()[j];
    if ((n.info & CompactForest::kLeaf) != 0) {
      const double* v = forest.values() + static_cast<std::size_t>(j) * static_cast<std::size_t>(w);
      for (Index i = 1; i < len; ++i) {
        const double s = unwound_sum(m, len, i) * (m[i].one - m[i].zero) * fraction * factor;
        for (Index c = 0; c < w; ++c) out[m[i].feature * k + c] += s * v[c];
      }
      return;
    }
    const std::uint32_t left = j + 1, right = j + 1 + n.skip;
    const bool go_left = forest.goes_left(j, x, row);
    const std::uint32_t hot = go_left ? left : right, cold = go_left ? right : left;
    const auto f = static_cast<Index>(n.info & CompactForest::kFeatureMask);
    const double* cover = forest.cover();
    const double hot_fraction = cover_fraction(cover[hot], cover[j]);
    const double cold_fraction = cover_fraction(cover[cold], cover[j]);
    if (f == condition) {
      if (on) {
        recurse(hot, m, len, hot_fraction, 1.0, f, fraction, true);
      } else {
        if (hot_fraction != 0.0) recurse(hot, m, len, hot_fraction, 1.0, f, fraction * hot_fraction, true);
        if (cold_fraction != 0.0) recurse(cold, m, len, cold_fraction, 0.0, f, fraction * cold_fraction, true);
      }
      return;
    }
    double in_zero = 1.0, in_one = 1.0;
    for (Index i = 1; i < len; ++i)
      if (m[i].feature == f) {
        in_zero = m[i].zero;
        in_one = m[i].one;
        unwind(m, len--, i);
        break;
      }
    const double hot_zero = in_zero * hot_fraction, cold_zero = in_zero * cold_fraction;
    // A subtree no coalition reaches adds nothing (and would divide by zero in unwind()).
    if (hot_zero != 0.0 || in_one != 0.0) recurse(hot, m, len, hot_zero, in_one, f, fraction, below);
    if (cold_zero != 0.0) recurse(cold, m, len, cold_zero, 0.0, f, fraction, below);
  }
};

}  // namespace

void tree_shap_interactions(const CompactForest& forest, const TreeShapTables& tables, const double* X, Index rows,
                            Index stride, double* phi) {
  const CompactForest::Settings& s = forest.settings();
  const Index n = s.n_features, k = s.n_scores, T = forest.n_trees();
  const Index n1 = n + 1, width = n1 * n1 * k;
  const double scale = s.mean ? 1.0 / static_cast<double>(T) : 1.0;

  // The main effects come from tree_shap itself, so that each row of the matrix sums to its
  // values; it also refuses the rows predict would refuse, before any conditioned walk.
  std::vector<double> main(static_cast<std::size_t>(rows * n1 * k));
  tree_shap(forest, tables, X, rows, stride, main.data());

  // Each tree's distinct split features (only they interact within it), each with the nodes
  // that split on it, and every node's subtree extent (subtrees are contiguous, depth first).
  std::vector<Index> features, first{0};
  std::vector<std::uint32_t> splits, splits_first{0}, subtree_end(static_cast<std::size_t>(forest.n_nodes()));
  std::vector<Index> slot(static_cast<std::size_t>(n), -1);
  std::vector<std::uint32_t> count, at;
  int max_depth = 0;
  for (Index t = 0; t < T; ++t) {
    const std::uint32_t begin = forest.root(t);
    const std::uint32_t end = t + 1 < T ? forest.root(t + 1) : static_cast<std::uint32_t>(forest.n_nodes());
    const auto distinct = static_cast<Index>(features.size());
    for (std::uint32_t j = end; j-- > begin;) {
      const CompactForest::Node& node = forest.nodes()[j];
      subtree_end[j] = (node.info & CompactForest::kLeaf) != 0 ? j + 1 : subtree_end[j + 1 + node.skip];
    }
    count.clear();
    for (std::uint32_t j = begin; j < end; ++j) {
      const CompactForest::Node& node = forest.nodes()[j];
      if ((node.info & CompactForest::kLeaf) != 0) continue;
      const auto f = static_cast<std::size_t>(node.info & CompactForest::kFeatureMask);
      if (slot[f] < 0) {
        slot[f] = static_cast<Index>(features.size()) - distinct;
        features.push_back(static_cast<Index>(f));
        count.push_back(0);
      }
      ++count[static_cast<std::size_t>(slot[f])];
    }
    // The split nodes grouped by feature (counting sort), ascending within each group.
    at.resize(count.size());
    for (std::size_t i = 0; i < count.size(); ++i) {
      at[i] = splits_first.back();
      splits_first.push_back(at[i] + count[i]);
    }
    splits.resize(splits_first.back());
    for (std::uint32_t j = begin; j < end; ++j) {
      const CompactForest::Node& node = forest.nodes()[j];
      if ((node.info & CompactForest::kLeaf) == 0)
        splits[at[static_cast<std::size_t>(slot[node.info & CompactForest::kFeatureMask])]++] = j;
    }
    for (Index i = distinct; i < static_cast<Index>(features.size()); ++i)
      slot[static_cast<std::size_t>(features[static_cast<std::size_t>(i)])] = -1;
    first.push_back(static_cast<Index>(features.size()));
    max_depth = std::max(max_depth, forest.depth(t));
  }
  // A path holds at most one element per distinct feature plus the empty first one; levels
  // 0 (the empty parent of the root) to max_depth + 1 (below the deepest split) each get one.
  const Index segment = std::min<Index>(max_depth, n) + 1;
  std::vector<PathElement> paths(static_cast<std::size_t>((max_depth + 2) * segment));
  std::vector<double> x(static_cast<std::size_t>(n));

  for (Index r = 0; r < rows; ++r) {
    double* out = phi + r * width;
    std::fill(out, out + width, 0.0);
    forest.prepare_rows(X + r * stride, 1, stride, r, x.data());
    for (Index t = 0; t < T; ++t) {
      const Index g = forest.first_score(t);
      for (Index i = first[static_cast<std::size_t>(t)]; i < first[static_cast<std::size_t>(t) + 1]; ++i) {
        const Index f = features[static_cast<std::size_t>(i)];
        for (const bool on : {true, false}) {
          const ConditionedWalk walk{forest,
                                     x.data(),
                                     r,
                                     f,
                                     on,
                                     segment,
                                     (on ? 0.5 : -0.5) * scale,
                                     out + f * n1 * k + g,
                                     k,
                                     s.leaf_width,
                                     subtree_end.data(),
                                     splits.data() + splits_first[static_cast<std::size_t>(i)],
                                     splits.data() + splits_first[static_cast<std::size_t>(i) + 1]};
          walk.recurse(forest.root(t), paths.data(), 0, 1.0, 1.0, -1, 1.0, false);
        }
      }
    }
    // The main effect is what the interactions leave of the SHAP value.
    const double* m = main.data() + r * n1 * k;
    for (Index f = 0; f < n; ++f)
      for (Index c = 0; c < k; ++c) {
        double rest = 0.0;
        for (Index g = 0; g < n; ++g)
          if (g != f) rest += out[(f * n1 + g) * k + c];
        out[(f * n1 + f) * k + c] = m[f * k + c] - rest;
      }
    for (Index c = 0; c < k; ++c) out[(n * n1 + n) * k + c] = m[n * k + c];
  }
}

}  // namespace detail::explain
FERRY_END_NAMESPACE
