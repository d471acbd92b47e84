// scikit-learn's RandomTreesEmbedding (docs/format.md §4.52): each tree sends the row to one
// leaf, and the output is the one-hot of those leaves, one column per leaf of every tree, as
// RandomTreesEmbedding.transform (one_hot_encoder_.transform(apply(X))) gives it densely.
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "ferry/error.hpp"
#include "pipeline/registry.hpp"
#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

// The smallest magnitude that rounds to infinity in float32 (round to nearest, ties to even).
const double kFloat32Overflow = std::ldexp(1.0, 128) - std::ldexp(1.0, 103);

struct Node {
  Index feature;     // -1 for a leaf
  double threshold;  // scikit-learn's float64 threshold
  Index left, right; // absolute node indices; -1 for a leaf
  Index column;      // the leaf's output column; -1 for a split
};

class TreeEmbedding final : public Step {
 public:
  TreeEmbedding(Index n_out, std::vector<Index> roots, std::vector<Node> nodes, std::vector<std::string> names,
                std::string where, bool sparse_output)
      : sparse_output_(sparse_output),
        n_out_(n_out),
        roots_(std::move(roots)),
        nodes_(std::move(nodes)),
        names_(std::move(names)),
        where_(std::move(where)) {}

  // scikit-learn's tree apply: X as float32 (check_array refuses a value float32 cannot hold),
  // `X[i, feature] <= threshold` with the float32 value widened to double, left when true.
  void transform(RowMatrixXd& X) const override {
    const Index k = n_out_;
    RowMatrixXd out = RowMatrixXd::Zero(X.rows(), k);
    std::vector<double> x32(static_cast<std::size_t>(X.cols()));
    for (Index i = 0; i < X.rows(); ++i) {
      for (Index j = 0; j < X.cols(); ++j) {
        const double v = X(i, j);
        if (std::fabs(v) >= kFloat32Overflow)
          throw Error(ErrorCode::kValue,
                      fmt::format("row {}, column \"{}\": {} is too large for float32; scikit-learn refuses it (\"Input "
                                  "contains infinity or a value too large for dtype('float32')\") ({})",
                                  i, names_[static_cast<std::size_t>(j)], v, where_));
        x32[static_cast<std::size_t>(j)] = static_cast<double>(static_cast<float>(v));
      }
      for (Index root : roots_) {
        const Node* n = &nodes_[static_cast<std::size_t>(root)];
        while (n->left >= 0)
          n = &nodes_[static_cast<std::size_t>(x32[static_cast<std::size_t>(n->feature)] <= n->threshold ? n->left
                                                                                                          : n->right)];
        out(i, n->column) = 1.0;
      }
    }
    X = std::move(out);
  }

  // scikit-learn's sparse output (a row's leaves in ascending columns, as its OneHotEncoder
  // gives them): what follows then sums them in that order.
  void transform_rows(StepRows& X, const TextBatch* /*text*/) const override {
    transform(X.densify());
    if (sparse_output_) X.sparsify();
  }

  // Each leaf's column mixes the features the tree splits on.
  std::vector<Index> source_columns(Index /*n_in*/) const override {
    return std::vector<Index>(static_cast<std::size_t>(n_out_), -1);
  }


 private:
  bool sparse_output_;
  Index n_out_;
  std::vector<Index> roots_;
  std::vector<Node> nodes_;
  std::vector<std::string> names_;
  std::string where_;
};

}  // namespace

std::unique_ptr<Step> make_tree_embedding(const StepInputs& in) {
  const Index n = in.n_features_in(), k = in.n_features_out();
  if (n < 1 || k < 1) in.invalid("n_features_in and n_features_out must be at least 1");
  const std::int64_t T = in.params().int64("n_trees"), N = in.params().int64("n_nodes");
  constexpr std::int64_t kMax = (std::int64_t{1} << 31) - 1;
  if (T < 1 || T > kMax) in.invalid("params.n_trees must be an integer in [1, 2^31 - 1]");
  if (N < T || N > kMax) in.invalid("params.n_nodes must be an integer in [n_trees, 2^31 - 1]");
  const auto trees = static_cast<Index>(T), nodes = static_cast<Index>(N);
  const std::vector<std::int64_t> offsets = in.int64_vector("tree_offsets", trees + 1);
  const std::vector<std::int64_t> feature = in.int64_vector("feature", nodes);
  const Eigen::VectorXd threshold = in.vector("threshold", nodes);
  const std::vector<std::int64_t> left = in.int64_vector("left", nodes), right = in.int64_vector("right", nodes);
  const std::vector<std::int64_t> column = in.int64_vector("column", nodes);
  if (offsets[0] != 0 || offsets[static_cast<std::size_t>(trees)] != N)
    in.invalid("tensor role \"tree_offsets\" must start at 0 and end at n_nodes");
  std::vector<Index> roots;
  std::vector<Node> out(static_cast<std::size_t>(nodes));
  std::vector<char> seen(static_cast<std::size_t>(k), 0);
  for (Index t = 0; t < trees; ++t) {
    const std::int64_t first = offsets[static_cast<std::size_t>(t)], end = offsets[static_cast<std::size_t>(t) + 1];
    if (end <= first) in.invalid(fmt::format("tensor role \"tree_offsets\" is not strictly increasing at [{}]", t + 1));
    roots.push_back(static_cast<Index>(first));
    for (std::int64_t g = first; g < end; ++g) {
      const auto u = static_cast<std::size_t>(g);
      const std::int64_t local = g - first, size = end - first;
      Node& node = out[u];
      node.threshold = threshold[static_cast<Index>(g)];
      if (left[u] < 0 || right[u] < 0) {
        if (left[u] != -1 || right[u] != -1)
          in.invalid(fmt::format("node {} of tree {}: a leaf has left = right = -1", local, t));
        if (column[u] < 0 || column[u] >= k)
          in.invalid(fmt::format("node {} of tree {}: leaf column {} outside [0, {})", local, t, column[u], k));
        if (seen[static_cast<std::size_t>(column[u])]++)
          in.invalid(fmt::format("tensor role \"column\": output column {} belongs to two leaves", column[u]));
        node = {-1, node.threshold, -1, -1, static_cast<Index>(column[u])};
        continue;
      }
      // scikit-learn numbers nodes depth first: a child comes after its parent, so every walk ends.
      if (left[u] <= local || left[u] >= size || right[u] <= local || right[u] >= size)
        in.invalid(fmt::format("node {} of tree {}: children must lie after it, inside the tree", local, t));
      if (feature[u] < 0 || feature[u] >= n)
        in.invalid(fmt::format("node {} of tree {}: feature {} outside [0, {})", local, t, feature[u], n));
      if (column[u] != -1) in.invalid(fmt::format("node {} of tree {}: a split has column -1", local, t));
      node = {static_cast<Index>(feature[u]), node.threshold, static_cast<Index>(first + left[u]),
              static_cast<Index>(first + right[u]), -1};
    }
  }
  for (Index c = 0; c < k; ++c)
    if (!seen[static_cast<std::size_t>(c)]) in.invalid(fmt::format("tensor role \"column\": output column {} has no leaf", c));
  return std::make_unique<TreeEmbedding>(k, std::move(roots), std::move(out), in.names_in(), in.where(),
                                         in.params().has("sparse_output") && in.params().boolean("sparse_output"));
}

}  // namespace detail
FERRY_END_NAMESPACE
