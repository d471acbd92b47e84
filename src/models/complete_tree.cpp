#include <cstdlib>
#include "models/complete_tree.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {

#if !FERRY_HAVE_X86_KERNELS
// Other architectures and compilers: the portable walk only.
CompleteTreeWalk complete_tree_walk_avx2() noexcept { return nullptr; }
CompleteTreeWalk complete_tree_walk_avx512() noexcept { return nullptr; }
#endif

CompleteTreeWalk best_complete_tree_walk() noexcept {
  static const CompleteTreeWalk best = [] {
    if (const char* k = std::getenv("FERRY_TREE_KERNEL")) {
      if (k[0] == 's') return CompleteTreeWalk{nullptr};
      if (k[0] == '2') return complete_tree_walk_avx2();
    }
    const CompleteTreeWalk wide = complete_tree_walk_avx512();
    return wide != nullptr ? wide : complete_tree_walk_avx2();
  }();
  return best;
}

}  // namespace detail
FERRY_END_NAMESPACE
