#include "models/complete_tree.hpp"

#include <cstdlib>
#include <cstring>

FERRY_BEGIN_NAMESPACE
namespace detail {

#if FERRY_HAVE_X86_KERNELS
CompleteTreeWalk complete_tree_walk_avx2() noexcept {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") ? kCompleteTreeWalkAvx2 : nullptr;
}
CompleteTreeWalk complete_tree_walk_avx512() noexcept {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") ? kCompleteTreeWalkAvx512 : nullptr;
}
#else
// Other architectures and compilers: the portable walk only.
CompleteTreeWalk complete_tree_walk_avx2() noexcept { return nullptr; }
CompleteTreeWalk complete_tree_walk_avx512() noexcept { return nullptr; }
#endif

CompleteTreeWalk best_complete_tree_walk() noexcept {
  // FERRY_TREE_KERNEL=portable|avx2|avx512 caps the choice (docs/performance.md): for measuring
  // the kernels against each other and for testing the narrower ones on a wider CPU. Any other
  // value means the portable walk, so that a mistyped cap never tests the default instead. A
  // kernel the CPU lacks is never chosen.
  static const CompleteTreeWalk best = [] {
    const char* cap = std::getenv("FERRY_TREE_KERNEL");
    const bool avx512 = cap == nullptr || std::strcmp(cap, "avx512") == 0;
    const bool avx2 = avx512 || std::strcmp(cap, "avx2") == 0;
    const CompleteTreeWalk wide = avx512 ? complete_tree_walk_avx512() : nullptr;
    if (wide != nullptr) return wide;
    return avx2 ? complete_tree_walk_avx2() : nullptr;
  }();
  return best;
}

}  // namespace detail
FERRY_END_NAMESPACE
