// The AVX2 walk of models/complete_tree.hpp: 8 rows per register, 32 rows in flight. Compiled
// with -mavx2 on x86-64 only (CMakeLists.txt); nothing here is inline code shared with the
// rest of the library.
#include "models/complete_tree.hpp"

#if FERRY_HAVE_X86_KERNELS
#include <immintrin.h>

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

// Levels of up to 32 nodes are held in registers (thresholds and features in up to 4 each)
// and permuted into place by the rows' positions within the level, leaving one gather per
// level, of the rows' values; deeper levels gather their nodes too. Templates on the level
// and the number of row vectors, so that the level's registers are named at compile time.
template <int kLevel, int kVectors, bool kLt>
inline void walk_level(CompleteTree<float> tree, const float* X, __m256i* q, const __m256i* row) {
  constexpr int n = 1 << kLevel;
  constexpr bool kInRegisters = kLevel <= 5;
  constexpr int regs = n < 8 ? 1 : (kInRegisters ? n / 8 : 1);
  const float* t_at = tree.threshold + (n - 1);
  const int* f_at = reinterpret_cast<const int*>(tree.feature + (n - 1));
  __m256 threshold[regs];
  __m256i feature[regs];
  if constexpr (n < 8) {
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    threshold[0] = _mm256_maskload_ps(t_at, mask);
    feature[0] = _mm256_maskload_epi32(f_at, mask);
  } else if constexpr (kInRegisters) {
    for (int i = 0; i < regs; ++i) {
      threshold[i] = _mm256_loadu_ps(t_at + 8 * i);
      feature[i] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(f_at + 8 * i));
    }
  }
  for (int j = 0; j < kVectors; ++j) {
    __m256 t;
    __m256i f;
    if constexpr (!kInRegisters) {
      t = _mm256_i32gather_ps(t_at, q[j], 4);
      f = _mm256_i32gather_epi32(f_at, q[j], 4);
    } else {
      // The permutation reads the low three bits of q; blends pick the register by the bits above.
      __m256 tp[regs];
      __m256 fp[regs];
      for (int i = 0; i < regs; ++i) {
        tp[i] = _mm256_permutevar8x32_ps(threshold[i], q[j]);
        fp[i] = _mm256_castsi256_ps(_mm256_permutevar8x32_epi32(feature[i], q[j]));
      }
      int width = regs;
      for (int bit = 8; width > 1; bit *= 2, width /= 2) {
        const __m256i b = _mm256_set1_epi32(bit);
        const __m256 upper = _mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_and_si256(q[j], b), b));
        for (int i = 0; i < width / 2; ++i) {
          tp[i] = _mm256_blendv_ps(tp[2 * i], tp[2 * i + 1], upper);
          fp[i] = _mm256_blendv_ps(fp[2 * i], fp[2 * i + 1], upper);
        }
      }
      t = tp[0];
      f = _mm256_castps_si256(fp[0]);
    }
    const __m256 v = _mm256_i32gather_ps(X, _mm256_add_epi32(row[j], f), 4);
    // All ones where the row goes right: !(v < t) or !(v <= t), true for NaN as the scalar walk.
    const __m256i right = _mm256_castps_si256(_mm256_cmp_ps(v, t, kLt ? _CMP_NLT_UQ : _CMP_NLE_UQ));
    q[j] = _mm256_sub_epi32(_mm256_add_epi32(q[j], q[j]), right);
  }
}

// Levels kLevel .. depth - 1, each with its own code; kMaxCompleteTreeDepth ends the recursion.
template <int kLevel, int kVectors, bool kLt>
void walk_levels(CompleteTree<float> tree, int depth, const float* X, __m256i* q, const __m256i* row) {
  if constexpr (kLevel < kMaxCompleteTreeDepth) {
    if (kLevel >= depth) return;
    walk_level<kLevel, kVectors, kLt>(tree, X, q, row);
    walk_levels<kLevel + 1, kVectors, kLt>(tree, depth, X, q, row);
  }
}

template <int kVectors, bool kLt>
void walk_rows(CompleteTree<float> tree, int depth, const float* X, std::ptrdiff_t stride, std::uint32_t* pos) {
  const __m256i lane =
      _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(static_cast<int>(stride)));
  __m256i q[kVectors], row[kVectors];
  for (int j = 0; j < kVectors; ++j) {
    q[j] = _mm256_setzero_si256();
    row[j] = _mm256_add_epi32(lane, _mm256_set1_epi32(static_cast<int>(8 * j * stride)));
  }
  walk_levels<0, kVectors, kLt>(tree, depth, X, q, row);
  for (int j = 0; j < kVectors; ++j) _mm256_storeu_si256(reinterpret_cast<__m256i*>(pos + 8 * j), q[j]);
}

template <bool kLt>
void walk(CompleteTree<float> tree, int depth, const float* X, std::ptrdiff_t stride, std::ptrdiff_t rows,
          std::uint32_t* pos) {
  std::ptrdiff_t r = 0;
  for (; r + 32 <= rows; r += 32) walk_rows<4, kLt>(tree, depth, X + r * stride, stride, pos + r);
  for (; r + 8 <= rows; r += 8) walk_rows<1, kLt>(tree, depth, X + r * stride, stride, pos + r);
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

void walk_avx2(CompleteTree<float> tree, int depth, const float* X, std::ptrdiff_t stride, std::ptrdiff_t rows,
               std::uint32_t* pos, bool lt) {
  if (lt)
    walk<true>(tree, depth, X, stride, rows, pos);
  else
    walk<false>(tree, depth, X, stride, rows, pos);
}

}  // namespace

const CompleteTreeWalk kCompleteTreeWalkAvx2 = &walk_avx2;

}  // namespace detail
FERRY_END_NAMESPACE
#endif
