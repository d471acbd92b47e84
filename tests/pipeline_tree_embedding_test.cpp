// The tree_embedding step (RandomTreesEmbedding; docs/format.md §4.52): load-time refusals naming
// the step, the walk on float32 values, the value error for what float32 cannot hold, rows
// against the batch. Parity with scikit-learn over whole files is tests/golden_test.cpp's job
// (tests/data/tree_embedding_*).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "ferry/model.hpp"
#include "support/test_support.hpp"

namespace ferry::detail {
namespace {

using Parsed = test::EditableArtifact;

Parsed parsed(const std::string& name) { return Parsed::from_case("tests/data/" + name); }
RowMatrixXd input_of(const std::string& name, const Model& model) { return test::case_input("tests/data/" + name, model); }

TEST(TreeEmbeddingStep, OneLeafPerTreeAndRowsAgainstTheBatch) {
  for (const char* name : {"embedding_trees_logistic", "embedding_trees_dense_ridge"}) {
    SCOPED_TRACE(name);
    const Parsed p = parsed(name);
    const Model model = p.load();
    const RowMatrixXd X = input_of(name, model);
    const RowMatrixXd Z = model.transform(X);
    const auto trees = p.header["pipeline"][0]["params"]["n_trees"].get<double>();
    for (Index i = 0; i < Z.rows(); ++i) {
      EXPECT_EQ(Z.row(i).sum(), trees) << i;
      EXPECT_EQ(model.transform(RowMatrixXd(X.row(i))).row(0), Z.row(i)) << i;
    }
    const RowMatrixXf Xf = X.cast<float>();
    EXPECT_EQ(model.transform(Xf), model.transform(RowMatrixXd(Xf.cast<double>())));
  }
}

// The walk written out with the shipped tensors: float32 values, <= to the left.
TEST(TreeEmbeddingStep, ComputesTheSpecFormula) {
  const Parsed p = parsed("embedding_trees_logistic");
  const Model model = p.load();
  const RowMatrixXd X = input_of("embedding_trees_logistic", model);
  const std::vector<std::int64_t> off = p.int64_of("steps.0.tree_offsets"), feature = p.int64_of("steps.0.feature"),
                                  left = p.int64_of("steps.0.left"), right = p.int64_of("steps.0.right"),
                                  column = p.int64_of("steps.0.column");
  const std::vector<double> threshold = p.float64_of("steps.0.threshold");
  const RowMatrixXd got = model.transform(X);
  for (Index i = 0; i < X.rows(); ++i) {
    RowMatrixXd want = RowMatrixXd::Zero(1, got.cols());
    for (std::size_t t = 0; t + 1 < off.size(); ++t) {
      std::int64_t node = 0;
      while (left[static_cast<std::size_t>(off[t] + node)] != -1) {
        const auto g = static_cast<std::size_t>(off[t] + node);
        const double x = static_cast<float>(X(i, static_cast<Index>(feature[g])));
        node = x <= threshold[g] ? left[g] : right[g];
      }
      want(0, static_cast<Index>(column[static_cast<std::size_t>(off[t] + node)])) = 1.0;
    }
    EXPECT_EQ(got.row(i), want.row(0)) << i;
  }
}

TEST(TreeEmbeddingStep, AValueFloat32CannotHoldIsAValueError) {
  const Model model = parsed("embedding_trees_dense_ridge").load();
  RowMatrixXd X = input_of("embedding_trees_dense_ridge", model).topRows(3);
  X(2, 4) = 1e39;
  EXPECT_FERRY_ERROR(model.predict(X), ErrorCode::kValue, "row 2, column \"x4\": 1e+39 is too large for float32");
  X(2, 4) = 3.4028235e38;  // FLT_MAX itself is fine
  EXPECT_NO_THROW(model.predict(X));
}

TEST(TreeEmbeddingStep, LoadTimeRefusals) {
  Parsed p = parsed("embedding_trees_logistic");
  std::vector<std::int64_t> left = p.int64_of("steps.0.left");
  left[0] = 0;  // a cycle
  p.set_int64("steps.0.left", left);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "node 0 of tree 0: children must lie after it, inside the tree");
  p = parsed("embedding_trees_logistic");
  std::vector<std::int64_t> feature = p.int64_of("steps.0.feature");
  feature[0] = 13;
  p.set_int64("steps.0.feature", feature);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "node 0 of tree 0: feature 13 outside [0, 13)");
  p = parsed("embedding_trees_logistic");
  std::vector<std::int64_t> column = p.int64_of("steps.0.column");
  std::size_t last_leaf = 0;
  for (std::size_t g = 0; g < column.size(); ++g)
    if (column[g] > 0) last_leaf = g;
  column[last_leaf] = 0;  // column 0 given to two leaves
  p.set_int64("steps.0.column", column);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "output column 0 belongs to two leaves");
  p = parsed("embedding_trees_logistic");
  std::vector<std::int64_t> off = p.int64_of("steps.0.tree_offsets");
  off.back() -= 1;
  p.set_int64("steps.0.tree_offsets", off);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor role \"tree_offsets\" must start at 0 and end at n_nodes");
}

}  // namespace
}  // namespace ferry::detail
