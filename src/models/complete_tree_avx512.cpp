// The AVX-512 walk of models/complete_tree.hpp: 16 rows per register, 64 rows in flight.
// Compiled with -mavx512f on x86-64 only (CMakeLists.txt); nothing here is inline code shared
// with the rest of the library.
#include "models/complete_tree.hpp"

#if FERRY_HAVE_X86_KERNELS
#include <immintrin.h>

// GCC 12's _mm512_undefined_* (inside the permutations and gathers) is a self-initialised
// variable, which its own -Wuninitialized then reports wherever they are inlined.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

// Every laid-out level (at most 128 nodes) is held in registers, thresholds and features in
// up to 8 registers each, and permuted into place by the rows' positions within the level:
// the only gather left is of the rows' values. Templates on the level and the number of
// row vectors, so that the level's registers are named at compile time and stay registers.
template <int kLevel, int kVectors, bool kLt>
inline void walk_level(CompleteTree<float> tree, const float* X, __m512i* q, const __m512i* row) {
  constexpr int n = 1 << kLevel;
  constexpr int regs = n < 16 ? 1 : n / 16;
  const float* t_at = tree.threshold + (n - 1);
  const std::uint32_t* f_at = tree.feature + (n - 1);
  __m512 threshold[regs];
  __m512i feature[regs];
  if constexpr (n < 16) {
    constexpr auto mask = static_cast<__mmask16>((1u << n) - 1);
    threshold[0] = _mm512_maskz_loadu_ps(mask, t_at);
    feature[0] = _mm512_maskz_loadu_epi32(mask, f_at);
  } else {
    for (int i = 0; i < regs; ++i) {
      threshold[i] = _mm512_loadu_ps(t_at + 16 * i);
      feature[i] = _mm512_loadu_si512(f_at + 16 * i);
    }
  }
  const __m512i one = _mm512_set1_epi32(1);
  for (int j = 0; j < kVectors; ++j) {
    __m512 t;
    __m512i f;
    if constexpr (kLevel <= 4) {
      t = _mm512_permutexvar_ps(q[j], threshold[0]);
      f = _mm512_permutexvar_epi32(q[j], feature[0]);
    } else {
      // Two-register permutations read the low five bits of q; blends pick the pair by the
      // bits above.
      constexpr int pairs = regs / 2;
      __m512 tp[pairs];
      __m512i fp[pairs];
      for (int i = 0; i < pairs; ++i) {
        tp[i] = _mm512_permutex2var_ps(threshold[2 * i], q[j], threshold[2 * i + 1]);
        fp[i] = _mm512_permutex2var_epi32(feature[2 * i], q[j], feature[2 * i + 1]);
      }
      int width = pairs;
      for (int bit = 32; width > 1; bit *= 2, width /= 2) {
        const __mmask16 upper = _mm512_test_epi32_mask(q[j], _mm512_set1_epi32(bit));
        for (int i = 0; i < width / 2; ++i) {
          tp[i] = _mm512_mask_blend_ps(upper, tp[2 * i], tp[2 * i + 1]);
          fp[i] = _mm512_mask_blend_epi32(upper, fp[2 * i], fp[2 * i + 1]);
        }
      }
      t = tp[0];
      f = fp[0];
    }
    const __m512 v = _mm512_i32gather_ps(_mm512_add_epi32(row[j], f), X, 4);
    // Set where the row goes right: !(v < t) or !(v <= t), true for NaN as the scalar walk.
    const __mmask16 right = _mm512_cmp_ps_mask(v, t, kLt ? _CMP_NLT_UQ : _CMP_NLE_UQ);
    const __m512i left = _mm512_add_epi32(q[j], q[j]);
    q[j] = _mm512_mask_add_epi32(left, right, left, one);
  }
}

// Levels kLevel .. depth - 1, each with its own code; kMaxCompleteTreeDepth ends the recursion.
template <int kLevel, int kVectors, bool kLt>
void walk_levels(CompleteTree<float> tree, int depth, const float* X, __m512i* q, const __m512i* row) {
  if constexpr (kLevel < kMaxCompleteTreeDepth) {
    if (kLevel >= depth) return;
    walk_level<kLevel, kVectors, kLt>(tree, X, q, row);
    walk_levels<kLevel + 1, kVectors, kLt>(tree, depth, X, q, row);
  }
}

template <int kVectors, bool kLt>
void walk_rows(CompleteTree<float> tree, int depth, const float* X, std::ptrdiff_t stride, std::uint32_t* pos) {
  const __m512i lane = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                          _mm512_set1_epi32(static_cast<int>(stride)));
  __m512i q[kVectors], row[kVectors];
  for (int j = 0; j < kVectors; ++j) {
    q[j] = _mm512_setzero_si512();
    row[j] = _mm512_add_epi32(lane, _mm512_set1_epi32(static_cast<int>(16 * j * stride)));
  }
  walk_levels<0, kVectors, kLt>(tree, depth, X, q, row);
  for (int j = 0; j < kVectors; ++j) _mm512_storeu_si512(pos + 16 * j, q[j]);
}

template <bool kLt>
void walk(CompleteTree<float> tree, int depth, const float* X, std::ptrdiff_t stride, std::ptrdiff_t rows,
          std::uint32_t* pos) {
  std::ptrdiff_t r = 0;
  for (; r + 64 <= rows; r += 64) walk_rows<4, kLt>(tree, depth, X + r * stride, stride, pos + r);
  for (; r + 16 <= rows; r += 16) walk_rows<1, kLt>(tree, depth, X + r * stride, stride, pos + r);
  for (; r < rows; ++r) {
    const float* x = X + r * stride;
    std::uint32_t p = 0;
    for (int d = 0; d < depth; ++d) {
      const float v = x[tree.feature[p]], t = tree.threshold[p];
      p = 2 * p + 1 + static_cast<std::uint32_t>(kLt ? !(v < t) : !(v <= t));
    }
    pos[r] = p - ((1u << depth) - 1);
  }
}

void walk_avx512(CompleteTree<float> tree, int depth, const float* X, std::ptrdiff_t stride, std::ptrdiff_t rows,
                 std::uint32_t* pos, bool lt) {
  if (lt)
    walk<true>(tree, depth, X, stride, rows, pos);
  else
    walk<false>(tree, depth, X, stride, rows, pos);
}

}  // namespace

const CompleteTreeWalk kCompleteTreeWalkAvx512 = &walk_avx512;

}  // namespace detail
FERRY_END_NAMESPACE
#endif
