// The vector walks of the complete tree levels (models/complete_tree.hpp) against the walk
// the format defines, on every kernel this CPU runs: random trees of every laid-out depth,
// rows on and beside the thresholds, odd strides and row counts that leave every remainder.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "models/complete_tree.hpp"

namespace ferry::detail {
namespace {

struct Tree {
  std::vector<float> threshold;
  std::vector<std::uint32_t> feature;
};

std::vector<std::uint32_t> reference_walk(const Tree& tree, int depth, const std::vector<float>& X,
                                          std::ptrdiff_t stride, std::ptrdiff_t rows, bool lt) {
  std::vector<std::uint32_t> pos;
  for (std::ptrdiff_t r = 0; r < rows; ++r) {
    std::uint32_t p = 0;
    for (int level = 0; level < depth; ++level) {
      const float v = X[static_cast<std::size_t>(r * stride + tree.feature[p])];
      const bool left = lt ? v < tree.threshold[p] : v <= tree.threshold[p];
      p = 2 * p + (left ? 1 : 2);
    }
    pos.push_back(p - ((1u << depth) - 1));
  }
  return pos;
}

TEST(CompleteTree, VectorWalksMatchTheDefinition) {
  std::vector<std::pair<std::string, CompleteTreeWalk>> kernels;
  if (CompleteTreeWalk k = complete_tree_walk_avx2()) kernels.emplace_back("avx2", k);
  if (CompleteTreeWalk k = complete_tree_walk_avx512()) kernels.emplace_back("avx512", k);
  if (kernels.empty()) GTEST_SKIP() << "no vector kernel on this CPU or build";
  std::mt19937_64 rng(3);
  const std::vector<float> cuts{0.0f,
                                -0.0f,
                                0.1f,
                                -1.5f,
                                3.0f,
                                1e-40f,
                                std::numeric_limits<float>::max(),
                                std::numeric_limits<float>::infinity()};
  for (int depth = 0; depth <= 8; ++depth)
    for (const std::ptrdiff_t n_features : {1, 7, 32, 40})
      for (const std::ptrdiff_t extra_stride : {0, 3}) {
        const std::ptrdiff_t stride = n_features + extra_stride;
        // Exactly the tree's nodes: the kernels' masked loads must stop at them.
        const std::size_t n_nodes = (std::size_t{1} << depth) - 1;
        Tree tree;
        for (std::size_t i = 0; i < n_nodes; ++i) {
          tree.feature.push_back(static_cast<std::uint32_t>(rng() % static_cast<std::uint64_t>(n_features)));
          tree.threshold.push_back(rng() % 4 == 0 ? cuts[rng() % cuts.size()]
                                                  : std::uniform_real_distribution<float>(-2, 2)(rng));
        }
        for (const std::ptrdiff_t rows : {0, 1, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 128, 131}) {
          std::vector<float> X(static_cast<std::size_t>(rows * stride));
          for (float& v : X) {
            switch (rng() % 4) {
              case 0:
                v = n_nodes == 0 ? 0.0f : tree.threshold[rng() % n_nodes];
                break;  // on a threshold
              case 1:
                v = std::nextafter(cuts[rng() % cuts.size()], 0.0f);
                break;
              case 2:
                v = -std::numeric_limits<float>::infinity();
                break;
              default:
                v = std::uniform_real_distribution<float>(-3, 3)(rng);
            }
          }
          for (const bool lt : {true, false}) {
            const std::vector<std::uint32_t> want = reference_walk(tree, depth, X, stride, rows, lt);
            for (const auto& [name, walk] : kernels) {
              std::vector<std::uint32_t> got(static_cast<std::size_t>(rows) + 1, 0xdeadbeef);
              walk(CompleteTree<float>{tree.threshold.data(), tree.feature.data()}, depth, X.data(), stride, rows,
                   got.data(), lt);
              ASSERT_EQ(got.back(), 0xdeadbeefu) << name << ": wrote past the rows";
              got.pop_back();
              ASSERT_EQ(got, want) << name << " depth " << depth << " features " << n_features << " stride " << stride
                                   << " rows " << rows << (lt ? " lt" : " le");
            }
          }
        }
      }
}

}  // namespace
}  // namespace ferry::detail
