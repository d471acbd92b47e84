// The prediction-time form of a tree ensemble: every tree re-laid out at load into one array
// of 16-byte nodes (the form explanations walk), and its first levels once more as a complete
// binary tree of 8-byte nodes (the form prediction walks). Both are walked for blocks of rows
// (or, for a single row, blocks of trees) in lockstep so that many independent node loads are
// in flight at once.
#ifndef FERRY_SRC_MODELS_COMPACT_FOREST_HPP
#define FERRY_SRC_MODELS_COMPACT_FOREST_HPP

#include <cstdint>
#include <string>
#include <vector>

#include "ferry/matrix.hpp"
#include "models/complete_tree.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {

// How a row's value is compared with a node's threshold (docs/format.md §4.17 `comparison`).
enum class TreeCompare {
  kLeFloat32,  // float32(x) <= threshold, exactly (scikit-learn trees)
  kLeFloat64,  // x <= threshold (HistGradientBoosting)
  kLtFloat32,  // float32(x) < float32(threshold) (XGBoost)
};

// One tree as the file stores it (already validated: children after parents, one parent each,
// depth bounded, features in range). Indices are local to the tree.
struct TreeArrays {
  const std::int64_t* feature;
  const double* threshold;
  const std::int64_t* left;
  const std::int64_t* right;
  const std::uint8_t* default_left;  // null: missing values are refused before traversal
  const std::int64_t* category_set;  // null: no categorical splits
  const double* value;               // n_nodes x leaf_width
  const double* cover;               // n_nodes, finite and >= 0: the training weight of each node
  std::int64_t n_nodes;
  int depth;
  int group;
};

class CompactForest {
 public:
  struct Settings {
    TreeCompare compare = TreeCompare::kLeFloat64;
    bool missing_error = true;  // NaN is a value error instead of following default_left
    bool mean = false;          // aggregation mean instead of sum
    bool float32_sum = false;   // XGBoost's float32 accumulation
    Index leaf_width = 1;
    Index n_scores = 1;
    Index n_features = 1;
    std::vector<std::string> feature_names;  // for value errors
  };

  // `n_nodes` is the total over all trees, so the node array is allocated once.
  CompactForest(Settings settings, std::vector<double> base_score, std::vector<std::uint8_t> category_bits,
                std::vector<std::int64_t> category_offsets, std::int64_t n_trees, std::int64_t n_nodes);
  // Appends a tree, in tree order.
  void add_tree(const TreeArrays& tree);

  // scores[rows x n_scores] (row-major) for rows of X[rows x n_features] (row-major, `stride`
  // doubles apart). Error(kValue) naming row and column for a value the trainer refuses.
  // Allocates only per call, never per row.
  // `first_row` numbers the rows in error messages.
  void predict(const double* X, Index rows, Index stride, double* scores, Index first_row = 0) const;
  // The same for float32 rows: compared as they are where the comparison is float32's, with
  // no widened copy.
  void predict(const float* X, Index rows, Index stride, double* scores, Index first_row = 0) const;

  Index n_scores() const noexcept { return settings_.n_scores; }
  const Settings& settings() const noexcept { return settings_; }

  // The comparison thresholds as stored: for kLeFloat32 the largest float32 not above t (so that
  // float32(x) <= result exactly when float32(x) <= t), for kLtFloat32 float32(t) rounded to
  // nearest, unchanged for kLeFloat64. Exposed for the unit test of that equivalence.
  static double compare_threshold(TreeCompare compare, double t) noexcept;

  // For explanations (models/tree_shap.hpp): the laid-out trees and the routing predict() uses.
  // Rows rounded and validated exactly as predict() does: `out` is rows x n_features.
  void prepare_rows(const double* X, Index rows, Index stride, Index first_row, double* out) const;
  // Whether a prepared row x goes to the left child (node + 1) of internal node `node`.
  bool goes_left(std::uint32_t node, const double* x, Index row) const;
  Index n_trees() const noexcept { return static_cast<Index>(roots_.size()); }
  Index n_nodes() const noexcept { return static_cast<Index>(nodes_.size()); }
  std::uint32_t root(Index tree) const noexcept { return roots_[static_cast<std::size_t>(tree)]; }
  int depth(Index tree) const noexcept { return depth_[static_cast<std::size_t>(tree)]; }
  Index first_score(Index tree) const noexcept { return group_[static_cast<std::size_t>(tree)]; }
  const double* base_score() const noexcept { return base_.data(); }

  struct Node {
    double threshold;    // NaN at a leaf, so that every row goes "right", to the leaf itself
    std::uint32_t info;  // feature | flag bits below
    std::uint32_t skip;  // the right child is node i + 1 + skip, the left one i + 1; at a leaf, i itself
  };
  static_assert(sizeof(Node) == 16, "four nodes per cache line");
  static constexpr std::uint32_t kFeatureMask = (1u << 24) - 1;
  static constexpr std::uint32_t kLeaf = 1u << 29;
  static constexpr std::uint32_t kCategorical = 1u << 30;
  static constexpr std::uint32_t kDefaultLeft = 1u << 31;
  const Node* nodes() const noexcept { return nodes_.data(); }
  const double* values() const noexcept { return values_.data(); }  // leaf_width per node
  const double* cover() const noexcept { return cover_.data(); }

  // The first levels of a tree (at most kTopLevels, fewer where the training weights say most
  // rows stop early) as a complete binary tree in breadth-first order (models/complete_tree.hpp),
  // so that a walk computes where it goes next instead of loading it. A leaf above the last
  // level is padded with nodes that send every row left (threshold +infinity, missing values
  // left: the flags are in a separate array, read only for blocks that hold a missing value);
  // bottom_ maps each position of the last level to the node of nodes() it stands for: a leaf,
  // or in a deeper tree the node where the walk goes on.
  static constexpr int kTopLevels = kMaxCompleteTreeDepth;

 private:
  template <typename T, typename In>
  void predict_rows(const In* X, Index rows, Index stride, double* scores, Index first_row) const;
  template <typename T, bool kLt, bool kCategories, bool kNan>
  void predict_block(const T* X, Index rows, Index stride, Index first_row, double* scores, float* acc_f) const;
  void build_top();
  int top_levels(std::uint32_t root, int depth) const;
  bool categorical_left(const Node& n, double v, Index row) const;
  // Refuses, in a block of rows, NaN with missing_error and, for the float32 comparisons,
  // values that overflow float32; returns whether the block holds a NaN.
  template <typename In>
  bool check_block(const In* X, Index rows, Index stride, Index first_row) const;
  [[noreturn]] void value_error(Index row, std::uint32_t feature, const char* what) const;

  Settings settings_;
  std::vector<Node> nodes_;
  std::vector<std::uint32_t> roots_;  // global index of each tree's root
  std::vector<std::uint16_t> depth_;  // levels below the root (0 for a lone leaf)
  std::vector<std::uint32_t> group_;  // first score each tree adds to: group * leaf_width
  std::vector<double> values_;        // node-indexed (global), leaf_width per node
  std::vector<float> values32_;       // the same as float32, for float32_sum
  std::vector<double> cover_;         // node-indexed (global)
  std::vector<double> base_;
  std::vector<std::uint8_t> bits_;
  std::vector<std::int64_t> set_offsets_;
  bool has_categories_ = false;
  std::int64_t expected_trees_ = 0;
  // The complete top of every tree (see CompleteTree), built once the last tree is added; empty
  // when a categorical split makes the forest walk nodes_ only, or when the padding would cost
  // far more memory than the trees themselves (a hostile file's chains of single splits).
  std::vector<float> top_threshold32_;       // per laid-out node, for the float32 comparisons
  std::vector<double> top_threshold64_;      // per laid-out node, for kLeFloat64
  std::vector<std::uint32_t> top_feature_;   // per laid-out node
  std::vector<std::uint8_t> top_nan_left_;   // per laid-out node: missing values go left
  std::vector<std::uint32_t> top_first_;     // per tree: its root's position in the arrays above
  std::vector<std::uint8_t> top_depth_;      // per tree: levels laid out (top_levels)
  std::vector<std::uint32_t> bottom_;        // per tree, 2^top_depth entries: node indices
  std::vector<std::uint32_t> bottom_first_;  // per tree: its first entry in bottom_
  CompleteTreeWalk wide_walk_ = best_complete_tree_walk();  // null: the portable walk
};

}  // namespace detail
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_MODELS_COMPACT_FOREST_HPP
