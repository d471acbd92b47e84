// KMeans / MiniBatchKMeans as the final estimator (docs/format.md §4.28): the cluster label, a
// classification over the classes 0 .. k-1 with link none (no predict_proba) and no
// decision_function. The scores are -(|c|² - 2 x . c), the negated quantity scikit-learn 1.2's
// _labels_inertia compares, so the first maximum (predict) is its strict first minimum.
#include <utility>

#include "models/registry.hpp"
#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

class NearestCenter final : public Estimator {
 public:
  NearestCenter(RowMatrixXd centers, Eigen::VectorXd norms)
      : Estimator(Link::kNone), centers_(std::move(centers)), norms_(std::move(norms)) {}

  Capabilities capabilities() const noexcept override {
    Capabilities c;  // scikit-learn's KMeans has neither predict_proba nor decision_function
    return c;
  }

  void decision(const RowMatrixXd& X, RowMatrixXd& scores) const override {
    const Index n = centers_.cols(), k = centers_.rows();
    scores.resize(X.rows(), k);
    for (Index i = 0; i < X.rows(); ++i) {
      const double* x = X.row(i).data();
      for (Index j = 0; j < k; ++j) {
        const double* c = centers_.row(j).data();
        double s = 0.0;
        for (Index f = 0; f < n; ++f) s += x[f] * c[f];
        scores(i, j) = -(norms_[j] + -2.0 * s);
      }
    }
  }
  Index n_scores() const noexcept override { return centers_.rows(); }

 private:
  RowMatrixXd centers_;   // k x n
  Eigen::VectorXd norms_;  // |c_j|²
};

}  // namespace

std::unique_ptr<Estimator> make_nearest_center(const StepInputs& in) {
  const artifact::Fields& p = in.params();
  const std::int64_t k = p.int64("n_clusters");
  if (k < 2) in.invalid("params.n_clusters must be at least 2");
  if (in.n_features_out() != k) in.invalid("n_features_out must equal params.n_clusters");
  if (parse_link(p.string("link"), in.where()) != Link::kNone) in.invalid("the link must be none");
  const auto K = static_cast<Index>(k);
  RowMatrixXd centers = in.matrix("centers", K, in.n_features_in());
  Eigen::VectorXd norms = in.vector("center_norms", K);
  if (!centers.allFinite()) in.invalid("tensor centers has a value that is not finite");
  if (!norms.allFinite() || (norms.array() < 0.0).any())
    in.invalid("tensor center_norms must hold finite values >= 0");
  return std::make_unique<NearestCenter>(std::move(centers), std::move(norms));
}

}  // namespace detail
FERRY_END_NAMESPACE
