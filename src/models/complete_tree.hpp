// The complete-tree form of a tree's first levels (models/compact_forest.hpp) and the kernels
// that walk a block of rows through it: a portable one, and AVX2 and AVX-512 ones compiled
// apart (complete_tree_avx2.cpp, complete_tree_avx512.cpp) and chosen at run time by the CPU,
// so that a build for the x86-64 baseline runs everywhere and still uses the wide units where
// they exist. Deliberately free of Eigen and of any other inline code a kernel file could
// compile with wider instructions than the rest of the library.
#ifndef FERRY_SRC_MODELS_COMPLETE_TREE_HPP
#define FERRY_SRC_MODELS_COMPLETE_TREE_HPP

#include <cstddef>
#include <cstdint>

#include "ferry/detail/config.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {

// A complete binary tree as parallel arrays by position, level after level: the children of
// position p are 2p + 1 (left) and 2p + 2, so a level's nodes are contiguous and a vector walk
// can hold a whole level in registers. T is the comparison's arithmetic: float for the
// float32 comparisons, double for the float64 one.
template <typename T>
struct CompleteTree {
  const T* threshold;
  const std::uint32_t* feature;
};

// The deepest complete tree the walks take (levels 0 .. 7): their per-level code stops there.
constexpr int kMaxCompleteTreeDepth = 8;

// Walks rows [0, rows) of X (row r at X + r * stride, float32 values, none of them NaN)
// through one complete tree of `depth` <= kMaxCompleteTreeDepth levels: pos[r] receives the position reached, counted
// from the first position of the last level (0 .. 2^depth - 1). `lt` selects x < threshold
// (else x <= threshold) as the test that sends a row left. Requires stride < 2^24.
using CompleteTreeWalk = void (*)(CompleteTree<float> tree, int depth, const float* X, std::ptrdiff_t stride,
                                  std::ptrdiff_t rows, std::uint32_t* pos, bool lt);

#if FERRY_HAVE_X86_KERNELS
// The vector kernels, defined in the files compiled with the wider instruction sets. They are
// constants, not functions: nothing in those files runs before the CPU has been asked.
extern const CompleteTreeWalk kCompleteTreeWalkAvx2;
extern const CompleteTreeWalk kCompleteTreeWalkAvx512;
#endif

// The vector kernels this CPU runs, null where it (or this build) has none.
CompleteTreeWalk complete_tree_walk_avx2() noexcept;
CompleteTreeWalk complete_tree_walk_avx512() noexcept;
// The widest kernel this CPU runs, or null: the caller's portable walk then.
CompleteTreeWalk best_complete_tree_walk() noexcept;

}  // namespace detail
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_MODELS_COMPLETE_TREE_HPP
