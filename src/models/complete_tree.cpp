#include "models/complete_tree.hpp"

#include <cstdlib>
#include <cstring>

FERRY_BEGIN_NAMESPACE
namespace detail {

#if !FERRY_HAVE_X86_KERNELS
// Other architectures and compilers: the portable walk only.
CompleteTreeWalk complete_tree_walk_avx2() noexcept { return nullptr; }
CompleteTreeWalk complete_tree_walk_avx512() noexcept { return nullptr; }
#endif

CompleteTreeWalk best_complete_tree_walk() noexcept {
  // FERRY_TREE_KERNEL=portable|avx2 caps the choice (docs/performance.md): for measuring the
  // kernels against each other and for testing the narrower ones on a wider CPU. A kernel
  // the CPU lacks is never chosen.
  static const CompleteTreeWalk best = [] {
    const char* cap = std::getenv("FERRY_TREE_KERNEL");
    if (cap != nullptr && std::strcmp(cap, "portable") == 0) return CompleteTreeWalk{nullptr};
    const CompleteTreeWalk wide = cap != nullptr && std::strcmp(cap, "avx2") == 0 ? nullptr : complete_tree_walk_avx512();
    return wide != nullptr ? wide : complete_tree_walk_avx2();
  }();
  return best;
}

}  // namespace detail
FERRY_END_NAMESPACE
