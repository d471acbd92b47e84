// An affine projection y = ((x - mean) . components^T) / scale, mean and scale optional
// (docs/format.md §4, `linear_projection`): scikit-learn's PCA (whiten or not) and TruncatedSVD.
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "pipeline/registry.hpp"
#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

class LinearProjection final : public Step {
 public:
  LinearProjection(const RowMatrixXd& components, std::optional<Eigen::RowVectorXd> mean,
                   std::optional<Eigen::RowVectorXd> scale)
      : by_feature_(components.transpose()), mean_(std::move(mean)), scale_(std::move(scale)) {}

  // scikit-learn 1.2.1 (_BasePCA.transform, TruncatedSVD.transform): X - mean_, then
  // np.dot(X, components_.T), then /= sqrt(explained_variance_) when whitening. Each dot
  // product is summed left to right from 0.0 with separate multiply and add, as the
  // reference BLAS's dgemm/dgemv do; then a division, never a multiplication by a reciprocal.
  void transform(RowMatrixXd& X) const override {
    if (mean_) X.rowwise() -= *mean_;  // exactly X - mean_, element by element
    RowMatrixXd out = RowMatrixXd::Zero(X.rows(), by_feature_.cols());
    for (Index i = 0; i < X.rows(); ++i) {
      const double* x = X.row(i).data();
      for (Index j = 0; j < X.cols(); ++j) add_row(x[j], j, out.row(i).data());
      finish(out.row(i).data());
    }
    X = std::move(out);
  }

  // TruncatedSVD on a sparse matrix (safe_sparse_dot: scipy's csr_matvecs), the row's entries
  // in their order; the output is dense, as scikit-learn's. PCA refuses sparse input there.
  void transform_rows(StepRows& X, const TextBatch* /*text*/) const override {
    if (!X.sparse || mean_) return transform(X.densify());
    const SparseRows& S = *X.sparse;
    RowMatrixXd out = RowMatrixXd::Zero(S.rows(), by_feature_.cols());
    for (Index i = 0; i < S.rows(); ++i) {
      for (Index e = S.begin(i); e < S.end(i); ++e)
        add_row(S.values[static_cast<std::size_t>(e)], S.indices[static_cast<std::size_t>(e)], out.row(i).data());
      finish(out.row(i).data());
    }
    X.sparse.reset();
    X.dense = std::move(out);
  }

 private:
  // y += v * components[:, j]: every output's sum advances by one term, in column order.
  void add_row(double v, Index j, double* y) const {
    const double* c = by_feature_.row(j).data();
    for (Index r = 0; r < by_feature_.cols(); ++r) {
      const double term = v * c[r];
      y[r] += term;
    }
  }
  void finish(double* y) const {
    if (scale_)
      for (Index r = 0; r < by_feature_.cols(); ++r) y[r] /= (*scale_)[r];
  }

  RowMatrixXd by_feature_;  // components_ transposed, n x k: an input column's weights are contiguous
  std::optional<Eigen::RowVectorXd> mean_;
  std::optional<Eigen::RowVectorXd> scale_;
};

}  // namespace

std::unique_ptr<Step> make_linear_projection(const StepInputs& in) {
  const Index n = in.n_features_in();
  const Index k = in.n_features_out();
  if (k < 1) in.invalid("n_features_out must be at least 1");
  const bool with_mean = in.params().boolean("with_mean");
  const bool with_scale = in.params().boolean("with_scale");
  if (in.has_tensor("mean") != with_mean) in.invalid("tensor \"mean\" must be present exactly when with_mean");
  if (in.has_tensor("scale") != with_scale) in.invalid("tensor \"scale\" must be present exactly when with_scale");
  RowMatrixXd components = in.matrix("components", k, n);
  std::optional<Eigen::RowVectorXd> mean, scale;
  if (with_mean) mean = in.vector("mean", n).transpose();
  if (with_scale) {
    scale = in.vector("scale", k).transpose();
    for (Index j = 0; j < k; ++j)
      if (!((*scale)[j] > 0.0))
        in.invalid(fmt::format("tensor role \"scale\" has {} at [{}]; it must be positive", (*scale)[j], j));
  }
  return std::make_unique<LinearProjection>(components, std::move(mean), std::move(scale));
}

}  // namespace detail
FERRY_END_NAMESPACE
