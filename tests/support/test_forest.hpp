// Hand-built tree ensembles for the explanation tests (TreeSHAP, interactions, interventional):
// node lists turned into a CompactForest, random trees with every awkward feature, and
// path-dependent SHAP by enumeration.
#ifndef FERRY_TESTS_SUPPORT_TEST_FOREST_HPP
#define FERRY_TESTS_SUPPORT_TEST_FOREST_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "models/compact_forest.hpp"

namespace ferry::detail::test {

struct TestNode {
  std::int64_t feature = -1;
  double threshold = 0.0;
  std::int64_t left = -1, right = -1;
  std::uint8_t default_left = 0;
  std::int64_t set = -1;
  std::vector<double> value;
  double cover = 1.0;
};
struct TestTree {
  std::vector<TestNode> nodes;
  int group = 0;
};

// A forest built straight from node lists (no artifact), with the tests' own routing rule.
struct TestForest {
  Index n_features = 2, w = 1, k = 1;
  TreeCompare compare = TreeCompare::kLeFloat64;
  bool missing_error = false, mean = false;
  bool float32_sum = false;  // XGBoost's float32 accumulation (needs mean false)
  std::vector<double> base{0.0};
  std::vector<std::vector<std::uint8_t>> sets;
  std::vector<TestTree> trees;

  CompactForest build() const {
    CompactForest::Settings s;
    s.compare = compare;
    s.missing_error = missing_error;
    s.mean = mean;
    s.float32_sum = float32_sum;
    s.leaf_width = w;
    s.n_scores = k;
    s.n_features = n_features;
    for (Index j = 0; j < n_features; ++j) s.feature_names.push_back("x" + std::to_string(j));
    std::vector<std::uint8_t> bits;
    std::vector<std::int64_t> offsets{0};
    for (const auto& set : sets) {
      bits.insert(bits.end(), set.begin(), set.end());
      offsets.push_back(static_cast<std::int64_t>(bits.size()));
    }
    std::int64_t n = 0;
    for (const TestTree& t : trees) n += static_cast<std::int64_t>(t.nodes.size());
    CompactForest forest(s, base, bits, offsets, static_cast<std::int64_t>(trees.size()), n);
    for (const TestTree& t : trees) {
      std::vector<std::int64_t> feature, left, right, set;
      std::vector<double> threshold, value, cover;
      std::vector<std::uint8_t> dl;
      std::function<int(std::int64_t)> depth = [&](std::int64_t i) -> int {
        const TestNode& nd = t.nodes[static_cast<std::size_t>(i)];
        return nd.left < 0 ? 0 : 1 + std::max(depth(nd.left), depth(nd.right));
      };
      for (const TestNode& nd : t.nodes) {
        feature.push_back(nd.feature);
        threshold.push_back(nd.threshold);
        left.push_back(nd.left);
        right.push_back(nd.right);
        dl.push_back(nd.default_left);
        set.push_back(nd.set);
        cover.push_back(nd.cover);
        std::vector<double> v = nd.value;
        v.resize(static_cast<std::size_t>(w), 0.0);
        value.insert(value.end(), v.begin(), v.end());
      }
      forest.add_tree(TreeArrays{feature.data(), threshold.data(), left.data(), right.data(),
                                 missing_error ? nullptr : dl.data(), sets.empty() ? nullptr : set.data(), value.data(),
                                 cover.data(), static_cast<std::int64_t>(t.nodes.size()), depth(0), t.group});
    }
    return forest;
  }

  // docs/format.md §4.17 read literally (float64 comparisons only).
  bool goes_left(const TestNode& n, double x) const {
    if (n.set >= 0) {
      const auto& s = sets[static_cast<std::size_t>(n.set)];
      if (x >= 0 && x < 8.0 * static_cast<double>(s.size())) {
        const auto c = static_cast<std::size_t>(std::floor(x));
        return ((s[c / 8] >> (c % 8)) & 1) != 0;
      }
      return n.default_left != 0;
    }
    if (std::isnan(x)) return n.default_left != 0;
    return x <= n.threshold;
  }

  // E[tree | x_S]: features in S follow x, the others split by cover.
  double conditional(const TestTree& t, std::int64_t i, const double* x, unsigned S, Index c) const {
    const TestNode& n = t.nodes[static_cast<std::size_t>(i)];
    if (n.left < 0) return n.value[static_cast<std::size_t>(c)];
    if ((S >> n.feature) & 1u) return conditional(t, goes_left(n, x[n.feature]) ? n.left : n.right, x, S, c);
    const double cl = t.nodes[static_cast<std::size_t>(n.left)].cover;
    const double cr = t.nodes[static_cast<std::size_t>(n.right)].cover;
    const double fl = n.cover > 0 ? cl / n.cover : 0.5, fr = n.cover > 0 ? cr / n.cover : 0.5;
    double sum = 0.0;
    if (fl != 0.0) sum += fl * conditional(t, n.left, x, S, c);
    if (fr != 0.0) sum += fr * conditional(t, n.right, x, S, c);
    return sum;
  }
  // v(S) for score `score`.
  double game(const double* x, unsigned S, Index score) const {
    double v = base[static_cast<std::size_t>(score)], trees_sum = 0.0;
    for (const TestTree& t : trees)
      if (t.group * w <= score && score < (t.group + 1) * w) trees_sum += conditional(t, 0, x, S, score - t.group * w);
    return v + (mean ? trees_sum / static_cast<double>(trees.size()) : trees_sum);
  }
  // Shapley values by enumerating all 2^M coalitions: rows x ((M + 1) * k) like tree_shap.
  std::vector<double> brute_force(const double* x) const {
    const Index M = n_features;
    std::vector<double> phi(static_cast<std::size_t>((M + 1) * k), 0.0);
    std::vector<double> fact(static_cast<std::size_t>(M + 1), 1.0);
    for (Index i = 1; i <= M; ++i)
      fact[static_cast<std::size_t>(i)] = fact[static_cast<std::size_t>(i - 1)] * static_cast<double>(i);
    for (Index c = 0; c < k; ++c) {
      std::vector<double> v(std::size_t{1} << M);
      for (unsigned S = 0; S < (1u << M); ++S) v[S] = game(x, S, c);
      for (Index i = 0; i < M; ++i)
        for (unsigned S = 0; S < (1u << M); ++S) {
          if ((S >> i) & 1u) continue;
          const int s = __builtin_popcount(S);
          const double weight = fact[static_cast<std::size_t>(s)] * fact[static_cast<std::size_t>(M - s - 1)] /
                                fact[static_cast<std::size_t>(M)];
          phi[static_cast<std::size_t>(i * k + c)] += weight * (v[S | (1u << i)] - v[S]);
        }
      phi[static_cast<std::size_t>(M * k + c)] = v[0];
    }
    return phi;
  }
};

inline TestNode split(std::int64_t f, double t, std::int64_t l, std::int64_t r, double cover) {
  return TestNode{f, t, l, r, 0, -1, {0.0}, cover};
}
inline TestNode leaf(double v, double cover) { return TestNode{-1, 0.0, -1, -1, 0, -1, {v}, cover}; }

// Rows that reach every kind of branch: 15% missing, 25% small integers (category codes and
// thresholds of integer features), the rest on a grid of quarters (values exactly at splits).
inline RowMatrixXd random_rows(std::mt19937_64& rng, Index rows, Index n_features) {
  std::uniform_int_distribution<int> pct(0, 99);
  RowMatrixXd X(rows, n_features);
  for (Index r = 0; r < rows; ++r)
    for (Index j = 0; j < n_features; ++j) {
      const int p = pct(rng);
      X(r, j) = p < 15   ? std::numeric_limits<double>::quiet_NaN()
                : p < 40 ? static_cast<double>(pct(rng) % 12)
                         : std::round(std::uniform_real_distribution<double>(-2.5, 2.5)(rng) * 4) / 4;
    }
  return X;
}

// Random trees with every awkward feature: repeated features on a path, NaN routing by
// default_left, categorical splits, zero cover (at children and at parents), several scores
// and groups, and mean aggregation.
inline TestTree random_tree(std::mt19937_64& rng, int depth, Index n_features, Index w, std::int64_t n_sets,
                            int group) {
  TestTree t;
  t.group = group;
  std::uniform_real_distribution<double> u(-2, 2);
  std::uniform_int_distribution<std::int64_t> feat(0, n_features - 1);
  std::uniform_int_distribution<int> pct(0, 99);
  std::function<std::int64_t(int)> grow = [&](int d) -> std::int64_t {
    const auto i = static_cast<std::int64_t>(t.nodes.size());
    t.nodes.emplace_back();
    const double cover = pct(rng) < 10 ? 0.0 : std::uniform_real_distribution<double>(0.5, 10)(rng);
    if (d == depth || (d > 1 && pct(rng) < 15)) {
      TestNode n;
      for (Index c = 0; c < w; ++c) n.value.push_back(u(rng));
      n.cover = cover;
      t.nodes[static_cast<std::size_t>(i)] = n;
      return i;
    }
    TestNode n;
    n.feature = feat(rng);
    n.threshold = std::round(u(rng) * 2) / 2;
    n.default_left = static_cast<std::uint8_t>(pct(rng) < 50);
    if (n_sets > 0 && pct(rng) < 25) n.set = std::uniform_int_distribution<std::int64_t>(0, n_sets - 1)(rng);
    n.value.assign(static_cast<std::size_t>(w), 0.0);
    n.cover = cover;
    n.left = grow(d + 1);
    n.right = grow(d + 1);
    t.nodes[static_cast<std::size_t>(i)] = n;
    return i;
  };
  grow(0);
  return t;
}

// Trial `trial` of a sweep over random forests: features, leaf width, score groups, mean
// aggregation, category sets and tree count vary with the trial. From trial `first_deep` on,
// trees grow 7 to 6 + deep_spread levels over at most 3 features: long paths of one feature
// repeated.
inline TestForest random_forest(std::mt19937_64& rng, int trial, int first_deep, int deep_spread) {
  TestForest f;
  const bool deep = trial >= first_deep;
  f.n_features = deep ? 1 + trial % 3 : 1 + trial % 6;
  f.w = trial % 3 == 0 ? 2 : 1;
  const Index groups = trial % 4 == 1 ? 3 : 1;
  f.k = f.w * groups;
  f.mean = trial % 5 == 2;
  f.base.clear();
  for (Index c = 0; c < f.k; ++c) f.base.push_back(0.25 * static_cast<double>(c) - 0.5);
  if (trial % 2 == 0) f.sets = {{0x05}, {0xff, 0x01}, {}};
  const int n_trees = 1 + trial % 4;
  for (int t = 0; t < n_trees; ++t)
    f.trees.push_back(random_tree(rng, deep ? 7 + trial % deep_spread : 1 + (trial + t) % 6, f.n_features, f.w,
                                  static_cast<std::int64_t>(f.sets.size()), t % static_cast<int>(groups)));
  return f;
}

}  // namespace ferry::detail::test

#endif  // FERRY_TESTS_SUPPORT_TEST_FOREST_HPP
