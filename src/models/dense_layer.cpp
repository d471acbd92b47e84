// Why not Eigen's matrix product here: Eigen's GEMM (and GEMV for one row) sums each output in
// an order that depends on how many rows the product has (its remainder kernels vectorise
// along k), so a row alone would not give its bits in a batch, which every estimator of ferry
// guarantees. The loops below keep one accumulator per output, summed in k order, and leave the
// vectorisation across outputs and rows to the compiler, once per instruction set.
#include "models/dense_layer.hpp"

#include <algorithm>

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

// Eight doubles: one AVX-512 register, two AVX2 ones, four SSE2 ones, as the target decides.
typedef double V8 __attribute__((vector_size(64)));

// (By reference: a V8 passed by value would have an ABI that depends on the instruction set.)
__attribute__((always_inline)) inline void load(V8& v, const double* p) { __builtin_memcpy(&v, p, sizeof v); }
__attribute__((always_inline)) inline void store(double* p, const V8& v) { __builtin_memcpy(p, &v, sizeof v); }

// R rows x 8 JV outputs, R * JV independent vector accumulators: acc += x[r][k] * W[k][j] in k
// order, then + b, then relu when asked (v < 0 ? 0 : v, so NaN stays NaN as in np.maximum). Each lane is its own output; the lanes never mix, so the arithmetic of an
// output is the same scalar sequence whatever R, JV and the instruction set.
template <Index R, Index JV>
__attribute__((always_inline)) inline void vector_tile(const double* x, Index ld_x, const double* W, Index n_in,
                                                       Index n_out, const double* b, bool relu, double* out,
                                                       Index ld_out) {
  V8 acc[R][JV] = {};
  for (Index k = 0; k < n_in; ++k) {
    V8 w[JV];
    for (Index v = 0; v < JV; ++v) load(w[v], W + k * n_out + 8 * v);
    for (Index r = 0; r < R; ++r) {
      const double a = x[r * ld_x + k];
      for (Index v = 0; v < JV; ++v) acc[r][v] += a * w[v];
    }
  }
  V8 bias[JV];
  for (Index v = 0; v < JV; ++v) load(bias[v], b + 8 * v);
  const V8 zero = {};
  for (Index r = 0; r < R; ++r)
    for (Index v = 0; v < JV; ++v) {
      V8 z = acc[r][v] + bias[v];
      if (relu) z = z < zero ? zero : z;
      store(out + r * ld_out + 8 * v, z);
    }
}

// Fewer than 8 outputs left (the output layer of a regressor or binary classifier): up to 8
// rows at once, one scalar accumulator each, so the rows' sums run side by side.
__attribute__((always_inline)) inline void narrow_tile(const double* x, Index ld_x, Index nr, const double* W,
                                                       Index n_in, Index n_out, Index nj, const double* b, bool relu,
                                                       double* out, Index ld_out) {
  for (Index j = 0; j < nj; ++j) {
    double acc[8] = {};
    for (Index k = 0; k < n_in; ++k) {
      const double w = W[k * n_out + j];
      for (Index r = 0; r < nr; ++r) acc[r] += x[r * ld_x + k] * w;
    }
    for (Index r = 0; r < nr; ++r) {
      const double z = acc[r] + b[j];
      out[r * ld_out + j] = relu && z < 0.0 ? 0.0 : z;
    }
  }
}

// Rows in groups of R, outputs in groups of 8 JV, then of 8, then what is left.
template <Index R, Index JV>
__attribute__((always_inline)) inline void layer(const double* x, Index ld_x, Index rows, const double* W, Index n_in,
                                                 Index n_out, const double* b, bool relu, double* out,
                                                 Index ld_out) {
  Index j0 = 0;
  for (; j0 + 8 * JV <= n_out; j0 += 8 * JV) {
    Index r0 = 0;
    for (; r0 + R <= rows; r0 += R)
      vector_tile<R, JV>(x + r0 * ld_x, ld_x, W + j0, n_in, n_out, b + j0, relu, out + r0 * ld_out + j0, ld_out);
    for (; r0 < rows; ++r0)
      vector_tile<1, JV>(x + r0 * ld_x, ld_x, W + j0, n_in, n_out, b + j0, relu, out + r0 * ld_out + j0, ld_out);
  }
  for (; j0 + 8 <= n_out; j0 += 8) {
    Index r0 = 0;
    for (; r0 + R <= rows; r0 += R)
      vector_tile<R, 1>(x + r0 * ld_x, ld_x, W + j0, n_in, n_out, b + j0, relu, out + r0 * ld_out + j0, ld_out);
    for (; r0 < rows; ++r0)
      vector_tile<1, 1>(x + r0 * ld_x, ld_x, W + j0, n_in, n_out, b + j0, relu, out + r0 * ld_out + j0, ld_out);
  }
  if (j0 < n_out)
    for (Index r0 = 0; r0 < rows; r0 += 8)
      narrow_tile(x + r0 * ld_x, ld_x, std::min<Index>(8, rows - r0), W + j0, n_in, n_out, n_out - j0, b + j0,
                  relu, out + r0 * ld_out + j0, ld_out);
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx512f,avx512dq,avx512vl,avx2"))) void layer_avx512(
    const double* x, Index ld_x, Index rows, const double* W, Index n_in, Index n_out, const double* b, bool relu,
    double* out, Index ld_out) {
  layer<4, 4>(x, ld_x, rows, W, n_in, n_out, b, relu, out, ld_out);  // 16 of the 32 zmm registers
}
__attribute__((target("avx2"))) void layer_avx2(const double* x, Index ld_x, Index rows, const double* W,
                                                    Index n_in, Index n_out, const double* b, bool relu,
                                                    double* out, Index ld_out) {
  layer<2, 2>(x, ld_x, rows, W, n_in, n_out, b, relu, out, ld_out);  // 8 of the 16 ymm registers
}
#endif
void layer_baseline(const double* x, Index ld_x, Index rows, const double* W, Index n_in, Index n_out,
                    const double* b, bool relu, double* out, Index ld_out) {
  layer<1, 2>(x, ld_x, rows, W, n_in, n_out, b, relu, out, ld_out);  // 8 of the 16 xmm registers
}

using LayerFn = void (*)(const double*, Index, Index, const double*, Index, Index, const double*, bool, double*, Index);

struct Choice {
  LayerFn fn;
  const char* isa;
};

Choice choose() noexcept {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx2"))
    return {layer_avx512, "avx512"};
  if (__builtin_cpu_supports("avx2")) return {layer_avx2, "avx2"};
#endif
  return {layer_baseline, "baseline"};
}

const Choice& chosen() noexcept {
  static const Choice choice = choose();
  return choice;
}

}  // namespace

void dense_layer(const double* x, Index ld_x, Index rows, const double* W, Index n_in, Index n_out, const double* b,
                 bool relu, double* out, Index ld_out) noexcept {
  chosen().fn(x, ld_x, rows, W, n_in, n_out, b, relu, out, ld_out);
}

const char* dense_layer_isa() noexcept { return chosen().isa; }

}  // namespace detail
FERRY_END_NAMESPACE
