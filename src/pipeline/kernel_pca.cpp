// scikit-learn's KernelPCA as a transform (docs/format.md §4.48): the kernel of a row against
// the stored fit rows X_fit_ (sklearn.metrics.pairwise's kernels, not libsvm's: the SVM
// kernels of src/models/support_vector.cpp compute rbf from the differences and poly by
// repeated squaring, so they are not shared), centred as KernelCenterer does, projected on
// eigenvectors_ / sqrt(eigenvalues_).
#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "pipeline/kernel_centering.hpp"
#include "pipeline/numpy_sums.hpp"
#include "pipeline/registry.hpp"
#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

enum class Kernel { kLinear, kPoly, kRbf, kSigmoid, kCosine };

struct KernelParams {
  Kernel kernel = Kernel::kLinear;
  double gamma = 0.0;
  double coef0 = 0.0;
  std::int64_t degree = 3;
};

class KernelPca final : public Step {
 public:
  KernelPca(KernelParams p, RowMatrixXd fit, Eigen::VectorXd fit_norms, Eigen::VectorXd fit_rows, double fit_all,
            RowMatrixXd alphas)
      : p_(p),
        fit_(std::move(fit)),
        fit_norms_(std::move(fit_norms)),
        fit_rows_(std::move(fit_rows)),
        fit_all_(fit_all),
        alphas_(std::move(alphas)) {}

  // Row by row, in scikit-learn 1.2.1's order (pairwise_kernels, KernelCenterer.transform,
  // np.dot(K, scaled_alphas)); every dot product summed left to right from 0.0 as the
  // reference BLAS does, with separate multiplications and additions.
  void transform(RowMatrixXd& X) const override {
    const Index n = fit_.cols(), m = fit_.rows(), k = alphas_.rows();
    RowMatrixXd out(X.rows(), k);
    std::vector<double> K(static_cast<std::size_t>(m));
    std::vector<double> unit(static_cast<std::size_t>(n));
    for (Index i = 0; i < X.rows(); ++i) {
      const double* x = X.row(i).data();
      if (p_.kernel == Kernel::kCosine) {
        // normalize(X): X / sqrt(row_norms), a norm below 10 eps replaced by 1
        double norm = std::sqrt(numpy_order::einsum_row_squares(x, n));
        if (norm < 10.0 * std::numeric_limits<double>::epsilon()) norm = 1.0;
        for (Index j = 0; j < n; ++j) unit[static_cast<std::size_t>(j)] = x[j] / norm;
        x = unit.data();
      }
      const double xx = p_.kernel == Kernel::kRbf ? numpy_order::einsum_row_squares(x, n) : 0.0;
      for (Index t = 0; t < m; ++t) {
        const double* f = fit_.row(t).data();
        double s = 0.0;
        for (Index j = 0; j < n; ++j) s += x[j] * f[j];
        K[static_cast<std::size_t>(t)] = kernel_value(s, xx, t);
      }
      center_kernel_row(K.data(), m, fit_rows_.data(), fit_all_);
      for (Index r = 0; r < k; ++r) {
        const double* a = alphas_.row(r).data();
        double s = 0.0;
        for (Index t = 0; t < m; ++t) s += K[static_cast<std::size_t>(t)] * a[t];
        out(i, r) = s;
      }
    }
    X = std::move(out);
  }

  // Every component mixes every input column (through the kernel).
  std::vector<Index> source_columns(Index /*n_in*/) const override {
    return std::vector<Index>(static_cast<std::size_t>(alphas_.rows()), -1);
  }

 private:
  // The kernel from the dot product s = x . fit_t (x normalised for cosine), as
  // sklearn.metrics.pairwise computes it on the dot product matrix.
  double kernel_value(double s, double xx, Index t) const {
    switch (p_.kernel) {
      case Kernel::kLinear:
      case Kernel::kCosine:
        return s;
      case Kernel::kPoly: {  // K *= gamma; K += coef0; K **= degree
        double v = s * p_.gamma;
        v = v + p_.coef0;
        if (p_.degree == 2) return v * v;  // numpy's ** 2 is np.square
        if (p_.degree == 1) return v;
        if (p_.degree == 0) return 1.0;
        return std::pow(v, static_cast<double>(p_.degree));
      }
      case Kernel::kRbf: {  // euclidean_distances(squared=True); K *= -gamma; np.exp
        double d = -2.0 * s;
        d = d + xx;
        d = d + fit_norms_[t];
        d = std::max(d, 0.0);
        return std::exp(d * -p_.gamma);
      }
      case Kernel::kSigmoid: {  // K *= gamma; K += coef0; np.tanh
        double v = s * p_.gamma;
        v = v + p_.coef0;
        return std::tanh(v);
      }
    }
    return s;
  }

  KernelParams p_;
  RowMatrixXd fit_;            // m x n: X_fit_ (cosine: normalised as scikit-learn normalises it)
  Eigen::VectorXd fit_norms_;  // row_norms(fit_rows, squared=True), which only rbf reads
  Eigen::VectorXd fit_rows_;   // the centerer's K_fit_rows_
  double fit_all_;             // the centerer's K_fit_all_
  RowMatrixXd alphas_;         // k x m: scaled_alphas transposed
};

}  // namespace

std::unique_ptr<Step> make_kernel_pca(const StepInputs& in) {
  const Index n = in.n_features_in(), k = in.n_features_out();
  if (k < 1) in.invalid("n_features_out must be at least 1");
  const artifact::Fields& params = in.params();
  KernelParams p;
  const std::string kernel = params.string("kernel");
  if (kernel == "linear")
    p.kernel = Kernel::kLinear;
  else if (kernel == "poly")
    p.kernel = Kernel::kPoly;
  else if (kernel == "rbf")
    p.kernel = Kernel::kRbf;
  else if (kernel == "sigmoid")
    p.kernel = Kernel::kSigmoid;
  else if (kernel == "cosine")
    p.kernel = Kernel::kCosine;
  else
    in.invalid("params.kernel must be linear, poly, rbf, sigmoid or cosine");
  p.gamma = params.number("gamma");
  p.coef0 = params.number("coef0");
  if (!std::isfinite(p.gamma) || !std::isfinite(p.coef0)) in.invalid("params.gamma and params.coef0 must be finite");
  p.degree = params.int64("degree");
  if (p.degree < 0 || p.degree > 64) in.invalid("params.degree must be an integer in [0, 64]");
  const std::int64_t n_train = params.int64("n_train");
  if (n_train < 1 || n_train > (std::int64_t{1} << 24)) in.invalid("params.n_train must be an integer in [1, 2^24]");
  const double fit_all = params.number("k_fit_all");
  if (!std::isfinite(fit_all)) in.invalid(fmt::format("params.k_fit_all is {}; it must be finite", fit_all));
  const auto m = static_cast<Index>(n_train);
  RowMatrixXd fit = in.matrix("fit_rows", m, n);
  Eigen::VectorXd fit_norms = in.vector("fit_norms", m);
  if ((fit_norms.array() < 0.0).any()) in.invalid("tensor role \"fit_norms\" must hold values >= 0");
  Eigen::VectorXd fit_rows = in.vector("k_fit_rows", m);
  RowMatrixXd alphas = in.matrix("alphas", k, m);
  return std::make_unique<KernelPca>(p, std::move(fit), std::move(fit_norms), std::move(fit_rows), fit_all,
                                     std::move(alphas));
}

}  // namespace detail
FERRY_END_NAMESPACE
