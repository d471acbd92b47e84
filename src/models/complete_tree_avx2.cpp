// The AVX2 walk of models/complete_tree.hpp: 8 rows per register, 32 rows in flight. Compiled
// with -mavx2 on x86-64 only (CMakeLists.txt); nothing here is inline code shared with the
// rest of the library.
#include "models/complete_tree.hpp"

#if FERRY_HAVE_X86_KERNELS
#include <immintrin.h>

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

template <bool kLt>
void walk(const CompleteTreeNode<float>* tree, int depth, const float* X, std::ptrdiff_t stride, std::ptrdiff_t rows,
          std::uint32_t* pos) {
  constexpr int kVectors = 4;
  // Node fields by position: threshold at byte 8p, feature at byte 8p + 4.
  const auto* threshold = reinterpret_cast<const float*>(tree);
  const auto* feature = reinterpret_cast<const int*>(tree) + 1;
  const __m256i one = _mm256_set1_epi32(1);
  const __m256i lane = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                                          _mm256_set1_epi32(static_cast<int>(stride)));
  const __m256i last_level = _mm256_set1_epi32((1 << depth) - 1);
  std::ptrdiff_t r = 0;
  auto level = [&](__m256i p, __m256i row) {
    const __m256i f = _mm256_i32gather_epi32(feature, p, 8);
    const __m256 t = _mm256_i32gather_ps(threshold, p, 8);
    const __m256 v = _mm256_i32gather_ps(X, _mm256_add_epi32(row, f), 4);
    // All ones where the row goes right: !(v < t) or !(v <= t), true for NaN as the scalar walk.
    const __m256i right = _mm256_castps_si256(_mm256_cmp_ps(v, t, kLt ? _CMP_NLT_UQ : _CMP_NLE_UQ));
    return _mm256_sub_epi32(_mm256_add_epi32(_mm256_add_epi32(p, p), one), right);
  };
  for (; r + 8 * kVectors <= rows; r += 8 * kVectors) {
    __m256i p[kVectors], row[kVectors];
    for (int j = 0; j < kVectors; ++j) {
      p[j] = _mm256_setzero_si256();
      row[j] = _mm256_add_epi32(lane, _mm256_set1_epi32(static_cast<int>((r + 8 * j) * stride)));
    }
    for (int d = 0; d < depth; ++d)
      for (int j = 0; j < kVectors; ++j) p[j] = level(p[j], row[j]);
    for (int j = 0; j < kVectors; ++j)
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(pos + r + 8 * j), _mm256_sub_epi32(p[j], last_level));
  }
  for (; r + 8 <= rows; r += 8) {
    __m256i p = _mm256_setzero_si256();
    const __m256i row = _mm256_add_epi32(lane, _mm256_set1_epi32(static_cast<int>(r * stride)));
    for (int d = 0; d < depth; ++d) p = level(p, row);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(pos + r), _mm256_sub_epi32(p, last_level));
  }
  for (; r < rows; ++r) {
    const float* x = X + r * stride;
    std::uint32_t p = 0;
    for (int d = 0; d < depth; ++d) {
      const float v = x[tree[p].feature], t = tree[p].threshold;
      p = 2 * p + 1 + static_cast<std::uint32_t>(kLt ? !(v < t) : !(v <= t));
    }
    pos[r] = p - ((1u << depth) - 1);
  }
}

void walk_avx2(const CompleteTreeNode<float>* tree, int depth, const float* X, std::ptrdiff_t stride,
               std::ptrdiff_t rows, std::uint32_t* pos, bool lt) {
  if (lt)
    walk<true>(tree, depth, X, stride, rows, pos);
  else
    walk<false>(tree, depth, X, stride, rows, pos);
}

}  // namespace

CompleteTreeWalk complete_tree_walk_avx2() noexcept {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") ? &walk_avx2 : nullptr;
}

}  // namespace detail
FERRY_END_NAMESPACE
#endif
