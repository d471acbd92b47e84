// KMeans / MiniBatchKMeans as a transform (docs/format.md §4.27): the euclidean distance to
// each centre, as scikit-learn 1.2's euclidean_distances computes it for float64 input:
// sqrt(max(-2 x . c + |x|² + |c|², 0)), |c|² stored by the exporter (row_norms of the centres).
#include <algorithm>
#include <cmath>
#include <utility>

#include "pipeline/registry.hpp"
#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

class CenterDistances final : public Step {
 public:
  CenterDistances(RowMatrixXd centers, Eigen::VectorXd norms) : centers_(std::move(centers)), norms_(std::move(norms)) {}

  // distances = -2 * X @ C.T; distances += XX; distances += YY; max(., 0); sqrt, in this order.
  void transform(RowMatrixXd& X) const override {
    const Index n = centers_.cols(), k = centers_.rows();
    RowMatrixXd out(X.rows(), k);
    for (Index i = 0; i < X.rows(); ++i) {
      const double* x = X.row(i).data();
      double xx = 0.0;
      for (Index f = 0; f < n; ++f) xx += x[f] * x[f];
      for (Index j = 0; j < k; ++j) {
        const double* c = centers_.row(j).data();
        double s = 0.0;
        for (Index f = 0; f < n; ++f) s += x[f] * c[f];
        const double d = (-2.0 * s + xx) + norms_[j];
        out(i, j) = std::sqrt(std::max(d, 0.0));
      }
    }
    X = std::move(out);
  }

 private:
  RowMatrixXd centers_;   // k x n
  Eigen::VectorXd norms_;  // |c_j|²
};

}  // namespace

std::unique_ptr<Step> make_center_distances(const StepInputs& in) {
  const Index n = in.n_features_in(), k = in.n_features_out();
  if (k < 1) in.invalid("n_features_out must be at least 1");
  RowMatrixXd centers = in.matrix("centers", k, n);
  Eigen::VectorXd norms = in.vector("center_norms", k);
  if (!centers.allFinite()) in.invalid("tensor centers has a value that is not finite");
  if (!norms.allFinite() || (norms.array() < 0.0).any())
    in.invalid("tensor center_norms must hold finite values >= 0");
  return std::make_unique<CenterDistances>(std::move(centers), std::move(norms));
}

}  // namespace detail
FERRY_END_NAMESPACE
