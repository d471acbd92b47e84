// One fully connected layer over a block of rows, the matrix product of the mlp estimator.
#ifndef FERRY_SRC_MODELS_DENSE_LAYER_HPP
#define FERRY_SRC_MODELS_DENSE_LAYER_HPP

#include "ferry/matrix.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {

// out[r * ld_out + j] = (Σ_k x[r * ld_x + k] · W[k * n_out + j]) + b[j] for r < rows, j < n_out,
// W row-major (n_in x n_out); with relu, each output z becomes z < 0 ? 0 : z (np.maximum(z, 0),
// NaN kept), fused here to save a pass over the block. Every output is summed over k = 0 .. n_in - 1 in that order, one
// accumulator, one multiplication and one addition per term (never fused): a row gets the same
// bits alone as in any block, and on every machine. The sums are vectorised across outputs and
// rows (never across k) with the widest instructions the processor has (AVX-512, AVX2, else
// the baseline), chosen once.
void dense_layer(const double* x, Index ld_x, Index rows, const double* W, Index n_in, Index n_out, const double* b,
                 bool relu, double* out, Index ld_out) noexcept;

// The instruction set dense_layer uses on this machine: "avx512", "avx2" or "baseline".
const char* dense_layer_isa() noexcept;

}  // namespace detail
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_MODELS_DENSE_LAYER_HPP
