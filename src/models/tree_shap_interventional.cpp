// One depth-first walk per (row x, background row r, tree) follows both routings at once. Each
// group's state on the current path is "both" (x and r satisfy all its conditions so far), U
// (only x) or V (only r); a split on a group in U follows x, one in V follows r, and one in
// "both" follows x and r, entering one child with the group in U and the other with it in V
// (when x and r part ways) or only the common child. A child neither row reaches for some
// group is never entered, so a walk visits only the nodes some hybrid reaches.
//
// At a leaf with u = |U|, v = |V| the game value · [U ⊆ S, V ∩ S = ∅] has the Shapley values
//   g ∈ U:  value · (u−1)! v! / (u+v)!      g ∈ V:  −value · u! (v−1)! / (u+v)!
// (a player in U joins a coalition that already has the rest of U and none of V: Σ over those
// coalitions of |S|!(n−|S|−1)!/n! is the Beta integral ∫ t^(u−1) (1−t)^v dt), and v(∅) counts
// the leaf exactly when U is empty, i.e. at r's own leaf.
#include "models/tree_shap_interventional.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "ferry/error.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail::explain {
namespace {

// A row's direction at an internal node.
constexpr std::uint8_t kRight = 0, kLeft = 1;
constexpr std::uint8_t kRefused = 2;  // predict() would throw there
constexpr std::uint8_t kUnknown = 3;  // not yet asked: rows are routed lazily, only at the nodes walks reach

// Background rows held as directions at most this many bytes at a time (per tree, a block of
// background rows), so that a deep forest with a large background stays in bounded memory.
constexpr std::size_t kMaxDirectionBytes = std::size_t{1} << 22;

enum : std::uint8_t { kBoth = 0, kOnlyX = 1, kOnlyR = 2 };

[[noreturn]] void refuse_background(const CompactForest& forest, std::uint32_t node, const double* r, Index b) {
  try {
    forest.goes_left(node, r, b);
  } catch (const Error& e) {
    throw Error(e.code(), "background " + e.message());
  }
  throw Error(ErrorCode::kValue, "background row refused inconsistently");  // unreachable: goes_left threw before
}

std::uint8_t direction(const CompactForest& forest, std::uint32_t node, const double* x, Index row) {
  try {
    return forest.goes_left(node, x, row) ? kLeft : kRight;
  } catch (const Error&) {
    // Only an error for the hybrids that carry this value here (the walk asks again then).
    return kRefused;
  }
}

struct Walk {
  const CompactForest& forest;
  const CompactForest::Node* nodes;
  const double* values;
  const Index* group;
  const double* shapley;  // (a−1)! b! / (a+b)! at a * stride + b
  Index shapley_stride;
  Index k, w;

  // Per tree, row and background row.
  std::uint32_t root = 0;
  std::uint8_t* xdir = nullptr;  // kUnknown until asked
  std::uint8_t* rdir = nullptr;
  const double* x = nullptr;
  const double* r = nullptr;
  Index row = 0, b = 0;
  double weight = 0.0;  // the background row's weight, over T for aggregation mean
  double* phi = nullptr;
  double* base = nullptr;  // both offset to the tree's first score

  // Path state, all kBoth between walks.
  std::uint8_t* state = nullptr;
  Index* only_x = nullptr;
  Index* only_r = nullptr;
  Index nu = 0, nv = 0;

  std::uint8_t x_direction(std::uint32_t j) {
    std::uint8_t& d = xdir[j - root];
    if (d == kUnknown) d = direction(forest, j, x, row);
    if (d == kRefused) forest.goes_left(j, x, row);  // throws the error predict() would
    return d;
  }
  std::uint8_t r_direction(std::uint32_t j) {
    std::uint8_t& d = rdir[j - root];
    if (d == kUnknown) d = direction(forest, j, r, b);
    if (d == kRefused) refuse_background(forest, j, r, b);
    return d;
  }

  void leaf(std::uint32_t j) const {
    const double* v = values + static_cast<std::size_t>(j) * static_cast<std::size_t>(w);
    if (nu == 0)
      for (Index c = 0; c < w; ++c) base[c] += weight * v[c];
    if (nu > 0) {
      const double s = weight * shapley[nu * shapley_stride + nv];
      for (Index i = 0; i < nu; ++i) {
        double* out = phi + only_x[i] * k;
        for (Index c = 0; c < w; ++c) out[c] += s * v[c];
      }
    }
    if (nv > 0) {
      const double s = weight * shapley[nv * shapley_stride + nu];
      for (Index i = 0; i < nv; ++i) {
        double* out = phi + only_r[i] * k;
        for (Index c = 0; c < w; ++c) out[c] -= s * v[c];
      }
    }
  }

  void visit(std::uint32_t j) {
    for (;;) {
      const CompactForest::Node& n = nodes[j];
      if ((n.info & CompactForest::kLeaf) != 0) return leaf(j);
      const std::uint32_t left = j + 1, right = j + 1 + n.skip;
      const Index g = group[n.info & CompactForest::kFeatureMask];
      std::uint8_t& st = state[g];
      if (st == kOnlyX) {
        j = x_direction(j) == kLeft ? left : right;
        continue;
      }
      if (st == kOnlyR) {
        j = r_direction(j) == kLeft ? left : right;
        continue;
      }
      const std::uint8_t dx = x_direction(j), dr = r_direction(j);
      if (dx == dr) {  // the group stays satisfied by both; the other child by neither
        j = dx == kLeft ? left : right;
        continue;
      }
      st = kOnlyX;
      only_x[nu++] = g;
      visit(dx == kLeft ? left : right);
      --nu;
      st = kOnlyR;
      only_r[nv++] = g;
      visit(dr == kLeft ? left : right);
      --nv;
      st = kBoth;
      return;
    }
  }
};

}  // namespace

void tree_shap_interventional(const CompactForest& forest, const double* X, Index rows, Index stride,
                              const double* background, Index n_background, Index background_stride,
                              const double* weights, const Index* group, Index n_groups, double* phi) {
  const CompactForest::Settings& s = forest.settings();
  const Index nf = s.n_features, k = s.n_scores, T = forest.n_trees(), width = (n_groups + 1) * k;
  const double scale = s.mean ? 1.0 / static_cast<double>(T) : 1.0;

  // Rows as predict() sees them (float32-rounded for float32 comparisons), validated alike.
  std::vector<double> xs(static_cast<std::size_t>(rows * nf)), bs(static_cast<std::size_t>(n_background * nf));
  forest.prepare_rows(X, rows, stride, 0, xs.data());
  try {
    forest.prepare_rows(background, n_background, background_stride, 0, bs.data());
  } catch (const Error& e) {
    throw Error(e.code(), "background " + e.message());
  }

  // A path holds at most min(depth, n_groups) distinct groups.
  Index max_size = 1;
  int max_depth = 0;
  for (Index t = 0; t < T; ++t) {
    const Index end = t + 1 < T ? static_cast<Index>(forest.root(t + 1)) : forest.n_nodes();
    max_size = std::max(max_size, end - static_cast<Index>(forest.root(t)));
    max_depth = std::max(max_depth, forest.depth(t));
  }
  const Index P = std::min<Index>(max_depth, n_groups), stride_w = P + 1;
  // (a−1)! b! / (a+b)! by the ratios b / (a+b) from 1/a: no factorial overflows.
  std::vector<double> shapley(static_cast<std::size_t>(stride_w * stride_w), 0.0);
  for (Index a = 1; a <= P; ++a) {
    double v = 1.0 / static_cast<double>(a);
    shapley[static_cast<std::size_t>(a * stride_w)] = v;
    for (Index bb = 1; bb <= P; ++bb) {
      v *= static_cast<double>(bb) / static_cast<double>(a + bb);
      shapley[static_cast<std::size_t>(a * stride_w + bb)] = v;
    }
  }

  const Index block = std::max<Index>(
      1, std::min<Index>(n_background, static_cast<Index>(kMaxDirectionBytes / static_cast<std::size_t>(max_size))));
  std::vector<std::uint8_t> rdir(static_cast<std::size_t>(block * max_size)), xdir(static_cast<std::size_t>(max_size));
  std::vector<std::uint8_t> state(static_cast<std::size_t>(n_groups), kBoth);
  std::vector<Index> only_x(static_cast<std::size_t>(P + 1)), only_r(static_cast<std::size_t>(P + 1));

  for (Index r = 0; r < rows; ++r) {
    double* out = phi + r * width;
    std::fill(out, out + width, 0.0);
    for (Index c = 0; c < k; ++c) out[n_groups * k + c] = forest.base_score()[c];
  }

  Walk walk{forest, forest.nodes(), forest.values(), group, shapley.data(), stride_w, k, s.leaf_width};
  walk.state = state.data();
  walk.only_x = only_x.data();
  walk.only_r = only_r.data();
  walk.xdir = xdir.data();
  for (Index t = 0; t < T; ++t) {
    const std::uint32_t root = forest.root(t);
    const Index size = (t + 1 < T ? static_cast<Index>(forest.root(t + 1)) : forest.n_nodes()) - root;
    const Index first = forest.first_score(t);
    walk.root = root;
    for (Index b0 = 0; b0 < n_background; b0 += block) {
      const Index nb = std::min(block, n_background - b0);
      // Kept over the rows: a background row's directions are asked again by every row.
      std::memset(rdir.data(), kUnknown, static_cast<std::size_t>(nb * size));
      for (Index r = 0; r < rows; ++r) {
        std::memset(xdir.data(), kUnknown, static_cast<std::size_t>(size));
        walk.x = xs.data() + r * nf;
        walk.row = r;
        walk.phi = phi + r * width + first;
        walk.base = phi + r * width + n_groups * k + first;
        for (Index b = 0; b < nb; ++b) {
          const double wb = weights[b0 + b];
          if (wb == 0.0) continue;
          walk.rdir = rdir.data() + b * size;
          walk.r = bs.data() + (b0 + b) * nf;
          walk.b = b0 + b;
          walk.weight = wb * scale;
          walk.visit(root);
        }
      }
    }
  }
}

}  // namespace detail::explain
FERRY_END_NAMESPACE
