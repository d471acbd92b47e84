// The AVX-512 walk of models/complete_tree.hpp: 16 rows per register, 64 rows in flight.
// Compiled with -mavx512f on x86-64 only (CMakeLists.txt); nothing here is inline code shared
// with the rest of the library.
#include "models/complete_tree.hpp"

#if FERRY_HAVE_X86_KERNELS
#include <immintrin.h>

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

// The upper levels (at most 16 nodes each) are read from registers: a level's nodes, two
// registers of (threshold, feature) pairs, are permuted into place by the rows' positions,
// so that the only gather per level is the rows' values. Deeper levels gather the nodes.
constexpr int kRegisterLevels = 5;

template <bool kLt>
void walk(const CompleteTreeNode<float>* tree, int depth, const float* X, std::ptrdiff_t stride, std::ptrdiff_t rows,
          std::uint32_t* pos) {
  constexpr int kVectors = 4;
  const auto* threshold = reinterpret_cast<const float*>(tree);
  const auto* feature = reinterpret_cast<const int*>(tree) + 1;
  const __m512i one = _mm512_set1_epi32(1);
  const __m512i lane = _mm512_mullo_epi32(
      _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), _mm512_set1_epi32(static_cast<int>(stride)));
  // q: the position within the current level; the node is at 2^level - 1 + q.
  auto step = [&](__m512i q, __m512i row, __m512 t, __m512i f) {
    const __m512 v = _mm512_i32gather_ps(_mm512_add_epi32(row, f), X, 4);
    // Set where the row goes right: !(v < t) or !(v <= t), true for NaN as the scalar walk.
    const __mmask16 right = _mm512_cmp_ps_mask(v, t, kLt ? _CMP_NLT_UQ : _CMP_NLE_UQ);
    const __m512i left = _mm512_add_epi32(q, q);
    return _mm512_mask_add_epi32(left, right, left, one);
  };
  auto walk_vectors = [&](int n, __m512i* q, const __m512i* row) {
    for (int level = 0; level < depth; ++level) {
      const int first = (1 << level) - 1;
      if (level < kRegisterLevels) {
        // 2^level nodes as 2^(level+1) 32-bit words (threshold, feature, ...), in two registers.
        const int words = 2 << level;
        const auto* base = reinterpret_cast<const float*>(tree + first);
        const __m512 lo = _mm512_maskz_loadu_ps(static_cast<__mmask16>(words >= 16 ? 0xffff : (1u << words) - 1), base);
        const __m512 hi =
            _mm512_maskz_loadu_ps(static_cast<__mmask16>(words > 16 ? (1u << (words - 16)) - 1 : 0), base + 16);
        for (int j = 0; j < n; ++j) {
          const __m512i at = _mm512_add_epi32(q[j], q[j]);
          const __m512 t = _mm512_permutex2var_ps(lo, at, hi);
          const __m512i f = _mm512_castps_si512(_mm512_permutex2var_ps(lo, _mm512_add_epi32(at, one), hi));
          q[j] = step(q[j], row[j], t, f);
        }
      } else {
        const __m512i offset = _mm512_set1_epi32(first);
        for (int j = 0; j < n; ++j) {
          const __m512i p = _mm512_add_epi32(q[j], offset);
          q[j] = step(q[j], row[j], _mm512_i32gather_ps(p, threshold, 8), _mm512_i32gather_epi32(p, feature, 8));
        }
      }
    }
  };
  std::ptrdiff_t r = 0;
  for (; r + 16 <= rows;) {
    const int n = rows - r >= 16 * kVectors ? kVectors : 1;
    __m512i q[kVectors], row[kVectors];
    for (int j = 0; j < n; ++j) {
      q[j] = _mm512_setzero_si512();
      row[j] = _mm512_add_epi32(lane, _mm512_set1_epi32(static_cast<int>((r + 16 * j) * stride)));
    }
    walk_vectors(n, q, row);
    for (int j = 0; j < n; ++j) _mm512_storeu_si512(pos + r + 16 * j, q[j]);
    r += 16 * n;
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

void walk_avx512(const CompleteTreeNode<float>* tree, int depth, const float* X, std::ptrdiff_t stride,
                 std::ptrdiff_t rows, std::uint32_t* pos, bool lt) {
  if (lt)
    walk<true>(tree, depth, X, stride, rows, pos);
  else
    walk<false>(tree, depth, X, stride, rows, pos);
}

}  // namespace

CompleteTreeWalk complete_tree_walk_avx512() noexcept {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") ? &walk_avx512 : nullptr;
}

}  // namespace detail
FERRY_END_NAMESPACE
#endif
