#include "models/compact_forest.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <type_traits>

#include <fmt/format.h>

#include "ferry/error.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

// Rows walked together through one tree: enough independent loads to hide memory latency,
// few enough that the block's rows stay in L1 cache.
constexpr Index kBlockRows = 128;
// Below this many rows a block walks many trees at once for each row instead.
constexpr Index kMinRowLanes = 8;
constexpr Index kTreeLanes = 16;

// The smallest magnitude that rounds to infinity in float32 (round to nearest, ties to even:
// FLT_MAX's significand is odd, so the halfway point 2^128 - 2^103 rounds up).
const double kFloat32Overflow = std::ldexp(1.0, 128) - std::ldexp(1.0, 103);

double round_to_float32(double x) noexcept { return static_cast<double>(static_cast<float>(x)); }

}  // namespace

double CompactForest::compare_threshold(TreeCompare compare, double t) noexcept {
  const double max = std::numeric_limits<float>::max();
  const double inf = std::numeric_limits<double>::infinity();
  switch (compare) {
    case TreeCompare::kLeFloat64:
      return t;
    case TreeCompare::kLtFloat32:
      if (std::fabs(t) >= kFloat32Overflow) return t > 0 ? inf : -inf;
      return round_to_float32(t);
    case TreeCompare::kLeFloat32: {
      // The largest float32 f <= t: then float32(x) <= f exactly when float32(x) <= t.
      if (t >= max) return max;
      if (t < -max) return -inf;
      float f = static_cast<float>(t);
      if (static_cast<double>(f) > t) f = std::nextafter(f, -std::numeric_limits<float>::infinity());
      return static_cast<double>(f);
    }
  }
  return t;
}

CompactForest::CompactForest(Settings settings, std::vector<double> base_score, std::vector<std::uint8_t> category_bits,
                             std::vector<std::int64_t> category_offsets, std::int64_t n_trees, std::int64_t n_nodes)
    : settings_(std::move(settings)),
      base_(std::move(base_score)),
      bits_(std::move(category_bits)),
      set_offsets_(std::move(category_offsets)),
      expected_trees_(n_trees) {
  nodes_.reserve(static_cast<std::size_t>(n_nodes));
  values_.reserve(static_cast<std::size_t>(n_nodes * settings_.leaf_width));
  cover_.reserve(static_cast<std::size_t>(n_nodes));
  roots_.reserve(static_cast<std::size_t>(n_trees));
  depth_.reserve(static_cast<std::size_t>(n_trees));
  group_.reserve(static_cast<std::size_t>(n_trees));
}

void CompactForest::add_tree(const TreeArrays& t) {
  const auto base = static_cast<std::uint32_t>(nodes_.size());
  const Index w = settings_.leaf_width;
  roots_.push_back(base);
  depth_.push_back(static_cast<std::uint16_t>(t.depth));
  group_.push_back(static_cast<std::uint32_t>(t.group * w));
  // Depth-first, left before right, so that a left child is always the next node: a node then
  // needs only its right child's index, and a walk down the left spine reads memory in order.
  // `where` maps local indices to global ones; right children are patched once placed.
  std::vector<std::uint32_t> where(static_cast<std::size_t>(t.n_nodes));
  std::vector<std::int64_t> stack;
  stack.reserve(static_cast<std::size_t>(t.depth) + 2);
  stack.push_back(0);
  while (!stack.empty()) {
    const std::int64_t local = stack.back();
    stack.pop_back();
    const auto global = static_cast<std::uint32_t>(nodes_.size());
    where[static_cast<std::size_t>(local)] = global;
    Node n{};
    if (t.left[local] < 0) {
      n.threshold = std::numeric_limits<double>::quiet_NaN();
      n.info = kLeaf;
      n.skip = ~0u;  // i + 1 + skip wraps to i itself
    } else {
      n.info = static_cast<std::uint32_t>(t.feature[local]);
      if (t.default_left != nullptr && t.default_left[local] != 0) n.info |= kDefaultLeft;
      if (t.category_set != nullptr && t.category_set[local] >= 0) {
        n.info |= kCategorical;
        const auto set = static_cast<std::uint64_t>(t.category_set[local]);
        std::memcpy(&n.threshold, &set, sizeof set);
        has_categories_ = true;
      } else {
        n.threshold = compare_threshold(settings_.compare, t.threshold[local]);
      }
      n.skip = static_cast<std::uint32_t>(t.right[local]);  // the local right child, for now
      stack.push_back(t.right[local]);
      stack.push_back(t.left[local]);
    }
    nodes_.push_back(n);
    cover_.push_back(t.cover[local]);
    values_.insert(values_.end(), t.value + local * w, t.value + (local + 1) * w);
  }
  for (std::size_t i = base; i < nodes_.size(); ++i)
    if ((nodes_[i].info & kLeaf) == 0) nodes_[i].skip = where[nodes_[i].skip] - static_cast<std::uint32_t>(i) - 1u;
  if (settings_.float32_sum) {
    values32_.resize(values_.size());
    for (std::size_t i = base * static_cast<std::size_t>(w); i < values_.size(); ++i)
      values32_[i] = static_cast<float>(values_[i]);
  }
  if (static_cast<std::int64_t>(roots_.size()) == expected_trees_) build_top();
  if (static_cast<std::int64_t>(roots_.size()) > expected_trees_)
    throw std::logic_error("CompactForest: more trees than announced");
}

int CompactForest::top_levels(std::uint32_t root, int depth) const {
  const int most = std::min(depth, kTopLevels);
  const double total = cover_[root];
  if (!(total > 0.0)) return most;  // no training weights to go by
  // A laid-out level costs every row one cheap step, a node below them one step of the
  // per-node walk for the rows that reach it (its cover's share of the root's): the levels
  // laid out are those that minimise the expected cost, so that an unbalanced tree whose rows
  // mostly stop early is not padded to its deepest branch.
  constexpr double kNodeStepCost = 2.5;  // measured: a per-node step against a laid-out level
  std::vector<double> reach(static_cast<std::size_t>(most) + 1, 0.0);  // by depth, capped at `most`
  std::vector<std::pair<std::uint32_t, int>> todo{{root, 0}};
  while (!todo.empty()) {
    const auto [i, level] = todo.back();
    todo.pop_back();
    const Node& n = nodes_[i];
    if ((n.info & kLeaf) != 0) continue;
    reach[static_cast<std::size_t>(std::min(level, most))] += cover_[i] / total;
    todo.emplace_back(i + 1, level + 1);
    todo.emplace_back(i + 1 + n.skip, level + 1);
  }
  // below[d]: the expected per-node steps with d levels laid out.
  double below = 0.0;
  for (double r : reach) below += r;
  int best = 0;
  double best_cost = kNodeStepCost * below;
  for (int d = 1; d <= most; ++d) {
    below -= reach[static_cast<std::size_t>(d - 1)];
    const double cost = d + kNodeStepCost * below;
    if (cost < best_cost) {
      best = d;
      best_cost = cost;
    }
  }
  return best;
}

void CompactForest::build_top() {
  if (has_categories_) return;
  const bool wide = settings_.compare == TreeCompare::kLeFloat64;
  const auto n_trees = roots_.size();
  std::vector<std::uint8_t> depths(n_trees);
  std::size_t n_top = 0, n_bottom = 0;
  for (std::size_t t = 0; t < n_trees; ++t) {
    const int d = top_levels(roots_[t], depth_[t]);
    depths[t] = static_cast<std::uint8_t>(d);
    n_top += (std::size_t{1} << d) - 1;
    n_bottom += std::size_t{1} << d;
  }
  // Padding a chain of single splits to full levels multiplies its size: past 16 entries per
  // node of the trees (a small HistGradientBoosting tree laid out 8 deep takes about 8; only a
  // hostile or degenerate file goes further), or past 32-bit positions, the forest walks its
  // nodes one by one instead.
  const std::size_t budget = 16 * nodes_.size() + 4096;
  if (n_top + n_bottom > budget || n_bottom > std::numeric_limits<std::uint32_t>::max()) return;
  top_depth_ = std::move(depths);
  top_first_.resize(n_trees);
  bottom_first_.resize(n_trees);
  n_top = n_bottom = 0;
  for (std::size_t t = 0; t < n_trees; ++t) {
    top_first_[t] = static_cast<std::uint32_t>(n_top);
    bottom_first_[t] = static_cast<std::uint32_t>(n_bottom);
    n_top += (std::size_t{1} << top_depth_[t]) - 1;
    n_bottom += std::size_t{1} << top_depth_[t];
  }
  if (wide)
    top_threshold64_.resize(n_top);
  else
    top_threshold32_.resize(n_top);
  top_feature_.resize(n_top);
  top_nan_left_.resize(n_top);
  bottom_.resize(n_bottom);
  const double inf = std::numeric_limits<double>::infinity();
  for (std::size_t t = 0; t < n_trees; ++t) {
    const int d = top_depth_[t];
    const std::uint32_t last_level = (1u << d) - 1;  // the first position below the laid-out levels
    // Position p of the complete tree stands for node `node` (or for the leaf it pads below).
    std::vector<std::pair<std::uint32_t, std::uint32_t>> todo{{0u, roots_[t]}};
    while (!todo.empty()) {
      const auto [p, node] = todo.back();
      todo.pop_back();
      if (p >= last_level) {
        bottom_[bottom_first_[t] + p - last_level] = node;
        continue;
      }
      const Node& n = nodes_[node];
      const bool leaf = (n.info & kLeaf) != 0;
      const double threshold = leaf ? inf : n.threshold;
      const std::uint32_t feature = leaf ? 0u : (n.info & kFeatureMask);
      top_nan_left_[top_first_[t] + p] = leaf || (n.info & kDefaultLeft) != 0;
      if (wide)
        top_threshold64_[top_first_[t] + p] = threshold;
      else
        top_threshold32_[top_first_[t] + p] = static_cast<float>(threshold);  // float-exact (compare_threshold)
      top_feature_[top_first_[t] + p] = feature;
      todo.emplace_back(2 * p + 1, leaf ? node : node + 1);
      todo.emplace_back(2 * p + 2, leaf ? node : node + 1 + n.skip);
    }
  }
}

void CompactForest::value_error(Index row, std::uint32_t feature, const char* what) const {
  throw Error(ErrorCode::kValue, fmt::format("row {}, column \"{}\": {}", row, settings_.feature_names[feature], what));
}

bool CompactForest::categorical_left(const Node& n, double v, Index row) const {
  std::uint64_t set = 0;
  std::memcpy(&set, &n.threshold, sizeof set);
  const std::int64_t lo = set_offsets_[set], hi = set_offsets_[set + 1];
  // A value in [0, set size) is the category ⌊v⌋ (both trainers truncate); anything else, NaN
  // included, takes the missing direction.
  if (v >= 0.0 && v < 8.0 * static_cast<double>(hi - lo)) {
    const auto c = static_cast<std::uint64_t>(v);
    return ((bits_[static_cast<std::size_t>(lo) + c / 8] >> (c % 8)) & 1u) != 0;
  }
  if (settings_.missing_error)
    value_error(row, n.info & kFeatureMask,
                std::isnan(v) ? "a missing value (NaN) is not allowed here"
                              : "the value is outside the categories of a categorical split, which has no missing "
                                "direction");
  return (n.info & kDefaultLeft) != 0;
}

namespace {

// Whether a row goes right at a laid-out node. NaN fails both comparisons, so it goes right
// unless the node sends missing values left; a padding node's +infinity threshold and
// missing-left flag send every row left.
template <typename T, bool kLt, bool kNan>
inline std::uint32_t top_right(T threshold, T v, const std::uint8_t* nan_left) noexcept {
  bool right = kLt ? !(v < threshold) : !(v <= threshold);
  if (kNan) right &= !((v != v) & (*nan_left != 0));
  return static_cast<std::uint32_t>(right);
}

// The bottom positions (relative to the last laid-out level) that rows[0, rows) reach in one
// laid-out tree of `depth` levels. Groups of 16 rows walk together: 16 independent chains of
// loads in flight, and no branch to mispredict.
template <typename T, bool kLt, bool kNan>
void walk_top(CompleteTree<T> top, const std::uint8_t* nan_left, int depth, const T* X, Index stride,
              Index rows, std::uint32_t* pos) noexcept {
  constexpr int kChains = 16;
  const std::uint32_t last_level = (1u << depth) - 1;
  Index r = 0;
  for (; r + kChains <= rows; r += kChains) {
    const T* x = X + r * stride;
    std::uint32_t g[kChains] = {};
    for (int level = 0; level < depth; ++level) {
#pragma GCC unroll 16
      for (int j = 0; j < kChains; ++j) {
        const std::uint32_t p = g[j];
        g[j] = 2 * p + 1 + top_right<T, kLt, kNan>(top.threshold[p], x[j * stride + top.feature[p]], nan_left + p);
      }
    }
    for (int j = 0; j < kChains; ++j) pos[r + j] = g[j] - last_level;
  }
  for (; r < rows; ++r) {
    const T* x = X + r * stride;
    std::uint32_t g = 0;
    for (int level = 0; level < depth; ++level) {
      g = 2 * g + 1 + top_right<T, kLt, kNan>(top.threshold[g], x[top.feature[g]], nan_left + g);
    }
    pos[r] = g - last_level;
  }
}

}  // namespace

template <typename T, bool kLt, bool kCategories, bool kNan>
void CompactForest::predict_block(const T* X, Index rows, Index stride, Index first_row, double* out,
                                  float* acc_f) const {
  const Index k = settings_.n_scores, w = settings_.leaf_width;
  const auto n_trees = static_cast<Index>(roots_.size());
  const Node* nodes = nodes_.data();
  const bool top = !kCategories && !bottom_first_.empty();
  const T* top_threshold = nullptr;
  if constexpr (std::is_same_v<T, float>)
    top_threshold = top_threshold32_.data();
  else
    top_threshold = top_threshold64_.data();

  // Below the laid-out levels, one node at a time: the child is selected by mask, not by
  // branch (the direction is data-dependent, a branch would be mispredicted half the time).
  auto step = [&](std::uint32_t i, const T* x, Index row) -> std::uint32_t {
    const Node& n = nodes[i];
    const double v = x[n.info & kFeatureMask];  // float32 values widen exactly
    bool left;
    if (kCategories && (n.info & kCategorical) != 0) {
      left = categorical_left(n, v, row);
    } else {
      // NaN fails both comparisons; it goes left only by its default direction.
      left = kLt ? v < n.threshold : v <= n.threshold;
      if (kNan) left |= (v != v) & ((n.info & kDefaultLeft) != 0);
    }
    return i + 1 + (n.skip & (static_cast<std::uint32_t>(left) - 1u));
  };

  // Walks that have not reached a leaf yet go on one node at a time, the unfinished ones
  // compacted after every level, so that the cost follows each path's length rather than the
  // deepest one (unbalanced trees: HistGradientBoosting, deep forests). walk w reads its row at
  // row_of(w), numbered row_number(w) in messages.
  auto finish_walks = [&](std::uint32_t* idx, Index n, auto row_of, auto row_number) {
    std::uint32_t active[kBlockRows > kTreeLanes ? kBlockRows : kTreeLanes];
    Index n_active = 0;
    for (Index i = 0; i < n; ++i) {
      active[n_active] = static_cast<std::uint32_t>(i);
      n_active += (nodes[idx[i]].info & kLeaf) == 0;
    }
    while (n_active > 0) {
      Index m = 0;
      for (Index a = 0; a < n_active; ++a) {
        const std::uint32_t i = active[a];
        const std::uint32_t next = step(idx[i], row_of(i), row_number(i));
        idx[i] = next;
        active[m] = i;
        m += (nodes[next].info & kLeaf) == 0;
      }
      n_active = m;
    }
  };

  // Per-row accumulators in the `accumulate` arithmetic: `out` itself in double, acc_f in float32.
  for (Index r = 0; r < rows; ++r)
    for (Index j = 0; j < k; ++j) {
      if (settings_.float32_sum)
        acc_f[r * k + j] = static_cast<float>(base_[static_cast<std::size_t>(j)]);
      else
        out[r * k + j] = settings_.mean ? 0.0 : base_[static_cast<std::size_t>(j)];
    }
  auto add_leaf = [&](Index r, Index t, std::uint32_t leaf) {
    const Index g = group_[static_cast<std::size_t>(t)];
    if (settings_.float32_sum) {
      const float* v = values32_.data() + static_cast<std::size_t>(leaf) * static_cast<std::size_t>(w);
      for (Index j = 0; j < w; ++j) acc_f[r * k + g + j] += v[j];
    } else {
      const double* v = values_.data() + static_cast<std::size_t>(leaf) * static_cast<std::size_t>(w);
      for (Index j = 0; j < w; ++j) out[r * k + g + j] += v[j];
    }
  };

  // The leaves the block's rows reached in tree t, one row after the other: with one value per
  // leaf (regression, binary classification) a plain indexed sum.
  auto add_leaves = [&](Index t, const std::uint32_t* leaf) {
    if (w != 1) {
      for (Index r = 0; r < rows; ++r) add_leaf(r, t, leaf[r]);
      return;
    }
    const Index g = group_[static_cast<std::size_t>(t)];
    if (settings_.float32_sum) {
      const float* v = values32_.data();
      for (Index r = 0; r < rows; ++r) acc_f[r * k + g] += v[leaf[r]];
    } else {
      const double* v = values_.data();
      for (Index r = 0; r < rows; ++r) out[r * k + g] += v[leaf[r]];
    }
  };

  if (rows >= kMinRowLanes) {
    std::uint32_t idx[kBlockRows];
    for (Index t = 0; t < n_trees; ++t) {
      const int depth = depth_[static_cast<std::size_t>(t)];
      int level = 0;
      if (top) {
        const int d = top_depth_[static_cast<std::size_t>(t)];
        const std::uint32_t first = top_first_[static_cast<std::size_t>(t)];
        const CompleteTree<T> tree{top_threshold + first, top_feature_.data() + first};
        if constexpr (std::is_same_v<T, float> && !kNan) {
          if (wide_walk_ != nullptr && stride < (Index{1} << 24))
            wide_walk_(tree, d, X, stride, rows, idx, kLt);
          else
            walk_top<T, kLt, kNan>(tree, top_nan_left_.data() + first, d, X, stride, rows, idx);
        } else {
          walk_top<T, kLt, kNan>(tree, top_nan_left_.data() + first, d, X, stride, rows, idx);
        }
        const std::uint32_t* bottom = bottom_.data() + bottom_first_[static_cast<std::size_t>(t)];
        for (Index r = 0; r < rows; ++r) idx[r] = bottom[idx[r]];
        level = d;
      } else {
        for (Index r = 0; r < rows; ++r) idx[r] = roots_[static_cast<std::size_t>(t)];
      }
      if (level < depth)
        finish_walks(idx, rows, [&](Index r) { return X + r * stride; }, [&](Index r) { return first_row + r; });
      add_leaves(t, idx);
    }
  } else {
    std::uint32_t idx[kTreeLanes];
    // One score (regression, binary classification): the sum over the trees, a chain of
    // dependent additions in tree order, runs in a register rather than through memory.
    const bool one_score = k == 1 && w == 1;
    for (Index r = 0; r < rows; ++r) {
      const T* x = X + r * stride;
      double sum = settings_.float32_sum ? 0.0 : out[r * k];
      float sum32 = settings_.float32_sum ? acc_f[r * k] : 0.0f;
      for (Index t0 = 0; t0 < n_trees; t0 += kTreeLanes) {
        const Index m = std::min(kTreeLanes, n_trees - t0);
        int top_depth = 0;
        for (Index i = 0; i < m; ++i) {
          const auto t = static_cast<std::size_t>(t0 + i);
          idx[i] = top ? 0u : roots_[t];
          if (top) top_depth = std::max<int>(top_depth, top_depth_[t]);
        }
        if (top) {
          const T* threshold[kTreeLanes];
          const std::uint32_t* feature[kTreeLanes];
          const std::uint8_t* nan_left[kTreeLanes];
          bool uniform = true;
          for (Index i = 0; i < m; ++i) {
            const auto t = static_cast<std::size_t>(t0 + i);
            threshold[i] = top_threshold + top_first_[t];
            feature[i] = top_feature_.data() + top_first_[t];
            nan_left[i] = top_nan_left_.data() + top_first_[t];
            uniform &= top_depth_[t] == top_depth;
          }
          if (uniform && m == kTreeLanes) {
            // The common case (boosted trees of one depth): the lane's trees lie one after the
            // other, each at a fixed offset from the first, so positions need no table.
            const Index size = (Index{1} << top_depth) - 1;
            const T* t_at = threshold[0];
            const std::uint32_t* f_at = feature[0];
            const std::uint8_t* n_at = nan_left[0];
            for (int level = 0; level < top_depth; ++level) {
#pragma GCC unroll 16
              for (Index i = 0; i < kTreeLanes; ++i) {
                const std::uint32_t p = idx[i];
                const std::size_t g = static_cast<std::size_t>(i * size) + p;
                idx[i] = 2 * p + 1 + top_right<T, kLt, kNan>(t_at[g], x[f_at[g]], n_at + g);
              }
            }
          } else {
            for (int level = 0; level < top_depth; ++level)
              for (Index i = 0; i < m; ++i) {
                // A tree with fewer laid-out levels than the deepest of its lane stays where it ended.
                if (!uniform && level >= top_depth_[static_cast<std::size_t>(t0 + i)]) continue;
                const std::uint32_t p = idx[i];
                idx[i] = 2 * p + 1 + top_right<T, kLt, kNan>(threshold[i][p], x[feature[i][p]], nan_left[i] + p);
              }
          }
          for (Index i = 0; i < m; ++i) {
            const auto t = static_cast<std::size_t>(t0 + i);
            idx[i] = bottom_[bottom_first_[t] + idx[i] - ((1u << top_depth_[t]) - 1)];
          }
        }
        finish_walks(idx, m, [&](Index) { return x; }, [&](Index) { return first_row + r; });
        // Tree order: the sum's order.
        if (!one_score) {
          for (Index i = 0; i < m; ++i) add_leaf(r, t0 + i, idx[i]);
        } else if (settings_.float32_sum) {
          for (Index i = 0; i < m; ++i) sum32 += values32_[idx[i]];
        } else {
          for (Index i = 0; i < m; ++i) sum += values_[idx[i]];
        }
      }
      if (one_score) {
        out[r * k] = sum;
        if (settings_.float32_sum) acc_f[r * k] = sum32;
      }
    }
  }

  for (Index r = 0; r < rows; ++r)
    for (Index j = 0; j < k; ++j) {
      double& s = out[r * k + j];
      if (settings_.float32_sum)
        s = static_cast<double>(acc_f[r * k + j]);
      else if (settings_.mean)
        s = base_[static_cast<std::size_t>(j)] + s / static_cast<double>(n_trees);
    }
}

template <typename In>
bool CompactForest::check_block(const In* X, Index rows, Index stride, Index first_row) const {
  const bool float32 = settings_.compare != TreeCompare::kLeFloat64;
  bool nan = false;
  for (Index r = 0; r < rows; ++r) {
    const In* x = X + r * stride;
    for (Index j = 0; j < settings_.n_features; ++j) {
      const double v = x[j];
      if (v != v) {
        if (settings_.missing_error)
          value_error(first_row + r, static_cast<std::uint32_t>(j),
                      "a missing value (NaN) reached a tree ensemble that has no missing-value directions "
                      "(scikit-learn refuses it too)");
        nan = true;
      } else if (float32 && std::fabs(v) >= kFloat32Overflow) {
        value_error(first_row + r, static_cast<std::uint32_t>(j),
                    fmt::format("{} is too large for float32; scikit-learn refuses it (\"Input contains infinity or "
                                "a value too large for dtype('float32')\")",
                                v)
                        .c_str());
      }
    }
  }
  return nan;
}

void CompactForest::prepare_rows(const double* X, Index rows, Index stride, Index first_row, double* out) const {
  const Index nf = settings_.n_features;
  check_block(X, rows, stride, first_row);
  const bool float32 = settings_.compare != TreeCompare::kLeFloat64;
  for (Index r = 0; r < rows; ++r)
    for (Index j = 0; j < nf; ++j) {
      const double v = X[r * stride + j];
      out[r * nf + j] = float32 ? round_to_float32(v) : v;
    }
}

bool CompactForest::goes_left(std::uint32_t node, const double* x, Index row) const {
  const Node& n = nodes_[node];
  const double v = x[n.info & kFeatureMask];
  if ((n.info & kCategorical) != 0) return categorical_left(n, v, row);
  if (v != v) return (n.info & kDefaultLeft) != 0;
  return settings_.compare == TreeCompare::kLtFloat32 ? v < n.threshold : v <= n.threshold;
}

template <typename T, typename In>
void CompactForest::predict_rows(const In* X, Index rows, Index stride, double* scores, Index first_row) const {
  const Index nf = settings_.n_features, k = settings_.n_scores;
  // Rows in the comparison's arithmetic: the caller's own when they already are, else rounded
  // (or widened) once per block rather than at every node visited.
  constexpr bool kConvert = !std::is_same_v<T, In>;
  std::vector<T> converted;
  if (kConvert) converted.resize(static_cast<std::size_t>(std::min(rows, kBlockRows) * nf));
  std::vector<float> acc_f;
  if (settings_.float32_sum) acc_f.resize(static_cast<std::size_t>(std::min(rows, kBlockRows) * k));
  const bool lt = settings_.compare == TreeCompare::kLtFloat32;
  for (Index b = 0; b < rows; b += kBlockRows) {
    const Index n = std::min(kBlockRows, rows - b);
    const In* xb = X + b * stride;
    // Blocks without NaN (the usual case) skip the missing-direction test at every node.
    const bool nan = check_block(xb, n, stride, first_row + b);
    const T* rows_t = nullptr;
    Index st = stride;
    if constexpr (kConvert) {
      for (Index r = 0; r < n; ++r)
        for (Index j = 0; j < nf; ++j)
          converted[static_cast<std::size_t>(r * nf + j)] = static_cast<T>(xb[r * stride + j]);
      rows_t = converted.data();
      st = nf;
    } else {
      rows_t = xb;
    }
    double* out = scores + b * k;
    float* acc = acc_f.data();
    const Index row = first_row + b;
    if (has_categories_) {  // categorical splits handle NaN themselves
      if (lt)
        predict_block<T, true, true, true>(rows_t, n, st, row, out, acc);
      else
        predict_block<T, false, true, true>(rows_t, n, st, row, out, acc);
    } else if (lt) {
      if (nan)
        predict_block<T, true, false, true>(rows_t, n, st, row, out, acc);
      else
        predict_block<T, true, false, false>(rows_t, n, st, row, out, acc);
    } else {
      if (nan)
        predict_block<T, false, false, true>(rows_t, n, st, row, out, acc);
      else
        predict_block<T, false, false, false>(rows_t, n, st, row, out, acc);
    }
  }
}

void CompactForest::predict(const double* X, Index rows, Index stride, double* scores, Index first_row) const {
  if (settings_.compare == TreeCompare::kLeFloat64)
    predict_rows<double>(X, rows, stride, scores, first_row);
  else
    predict_rows<float>(X, rows, stride, scores, first_row);
}

void CompactForest::predict(const float* X, Index rows, Index stride, double* scores, Index first_row) const {
  if (settings_.compare == TreeCompare::kLeFloat64)
    predict_rows<double>(X, rows, stride, scores, first_row);
  else
    predict_rows<float>(X, rows, stride, scores, first_row);
}

}  // namespace detail
FERRY_END_NAMESPACE
