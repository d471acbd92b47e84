// numpy 1.24's summation orders for float64 on a C-contiguous row, for steps that repeat
// scikit-learn's reductions operation for operation (normalizer, kernel_pca, kernel_centerer):
//   numpy_row_sum      np.sum(K, axis=1): pairwise summation (8 accumulators, blocks of 128)
//                      inside the reduction's buffers of 8192 elements, added one after another
//   einsum_row_squares np.einsum("ij,ij->i", X, X) (scikit-learn's row_norms): two interleaved
//                      accumulators (the SSE2 kernel)
// Products and sums are separate statements, so no compiler fuses them into an FMA.
#ifndef FERRY_SRC_PIPELINE_NUMPY_SUMS_HPP
#define FERRY_SRC_PIPELINE_NUMPY_SUMS_HPP

#include "ferry/matrix.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace numpy_order {

// numpy's pairwise_sum (loops_utils.h.src) of a[0..n).
inline double pairwise_sum(const double* a, Index n) {
  if (n < 8) {
    double res = 0.0;
    for (Index i = 0; i < n; ++i) res += a[i];
    return res;
  }
  if (n <= 128) {
    double r[8];
    for (int k = 0; k < 8; ++k) r[k] = a[k];
    Index i = 8;
    for (; i < n - (n % 8); i += 8)
      for (int k = 0; k < 8; ++k) r[k] += a[i + k];
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += a[i];
    return res;
  }
  Index n2 = n / 2;
  n2 -= n2 % 8;
  return pairwise_sum(a, n2) + pairwise_sum(a + n2, n - n2);
}

// np.sum of one contiguous row: the reduction starts from 0.0 and adds the pairwise sum of
// each buffer of 8192 elements (NPY_BUFSIZE) in turn.
inline double numpy_row_sum(const double* a, Index n) {
  constexpr Index kBuffer = 8192;
  double res = 0.0;
  for (Index i = 0; i < n; i += kBuffer) res += pairwise_sum(a + i, n - i < kBuffer ? n - i : kBuffer);
  return res;
}

// numpy's einsum kernel sum_of_products_contig_contig_outstride0_two for doubles with
// 2-lane SSE2 vectors: lane l accumulates the elements whose index is l modulo 2; each block
// of 8 is added to the accumulator in the order 6, 4, 2, 0 (+ l); the lanes are summed last.
inline double einsum_row_squares(const double* a, Index n) {
  double acc[2] = {0.0, 0.0};
  Index i = 0;
  for (; n - i >= 8; i += 8)
    for (int l = 0; l < 2; ++l) {
      double t = acc[l];
      for (int k = 6; k >= 0; k -= 2) {
        const double sq = a[i + k + l] * a[i + k + l];
        t = sq + t;
      }
      acc[l] = t;
    }
  for (; i < n; i += 2)
    for (int l = 0; l < 2 && i + l < n; ++l) {
      const double sq = a[i + l] * a[i + l];
      acc[l] = sq + acc[l];
    }
  return acc[0] + acc[1];
}

}  // namespace numpy_order
}  // namespace detail
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_PIPELINE_NUMPY_SUMS_HPP
