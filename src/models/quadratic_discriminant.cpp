// QuadraticDiscriminantAnalysis (docs/format.md §4.22): one quadratic form per class, in
// scikit-learn 1.2's own order of operations (QuadraticDiscriminantAnalysis._decision_function).
#include <cmath>
#include <vector>

#include "models/registry.hpp"
#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

class QuadraticDiscriminant final : public Estimator {
 public:
  QuadraticDiscriminant(Link link, RowMatrixXd means, std::vector<double> weights, Index rank, Eigen::VectorXd log_det,
                        Eigen::VectorXd log_prior)
      : Estimator(link),
        means_(std::move(means)),
        weights_(std::move(weights)),
        rank_(rank),
        log_det_(std::move(log_det)),
        log_prior_(std::move(log_prior)) {}

  // d_c = -0.5 * (|(x - means_c) · weights_c|² + log_det_c) + log_prior_c for each class c;
  // with two classes the one score d_1 - d_0 (scikit-learn's decision_function), else d.
  void decision(const RowMatrixXd& X, RowMatrixXd& scores) const override {
    const Index n = means_.cols(), c = means_.rows();
    scores.resize(X.rows(), n_scores());
    Eigen::RowVectorXd xm(n), t(rank_), d(c);
    for (Index i = 0; i < X.rows(); ++i) {
      for (Index k = 0; k < c; ++k) {
        for (Index f = 0; f < n; ++f) xm[f] = X(i, f) - means_(k, f);
        const double* w = weights_.data() + k * n * rank_;  // [n, rank] of class k
        t.setZero();
        for (Index f = 0; f < n; ++f)
          for (Index j = 0; j < rank_; ++j) t[j] += xm[f] * w[f * rank_ + j];
        double norm2 = 0.0;
        for (Index j = 0; j < rank_; ++j) norm2 += t[j] * t[j];
        d[k] = -0.5 * (norm2 + log_det_[k]) + log_prior_[k];
      }
      if (c == 2)
        scores(i, 0) = d[1] - d[0];
      else
        scores.row(i) = d;
    }
  }
  Index n_scores() const noexcept override { return means_.rows() == 2 ? 1 : means_.rows(); }

 private:
  RowMatrixXd means_;            // n_classes x n_features
  std::vector<double> weights_;  // n_classes x n_features x rank: rotations_ * scalings_ ** -0.5
  Index rank_;
  Eigen::VectorXd log_det_;    // sum(log(scalings_)) per class
  Eigen::VectorXd log_prior_;  // log(priors_)
};

}  // namespace

std::unique_ptr<Estimator> make_quadratic_discriminant(const StepInputs& in) {
  const artifact::Fields& p = in.params();
  const std::int64_t c = p.int64("n_classes");
  const std::int64_t r = p.int64("rank");
  const Index n = in.n_features_in();
  if (c < 2) in.invalid("params.n_classes must be at least 2");
  if (!(c == 2 ? in.n_features_out() == 1 : in.n_features_out() == c))
    in.invalid("n_features_out must be 1 for two classes, else n_classes");
  if (r < 1 || r > n) in.invalid("params.rank must be between 1 and n_features_in");
  const Link link = parse_link(p.string("link"), in.where());
  if (link != (c == 2 ? Link::kSoftmaxPair : Link::kSoftmax))
    in.invalid("the link must be softmax_pair for two classes, softmax for more");
  const auto C = static_cast<Index>(c), R = static_cast<Index>(r);
  RowMatrixXd means = in.matrix("means", C, n);
  std::vector<double> weights = in.float64_values("weights", {C, n, R});
  for (double w : weights)
    if (!std::isfinite(w)) in.invalid("tensor weights has a value that is not finite");
  Eigen::VectorXd log_det = in.vector("log_det", C);
  Eigen::VectorXd log_prior = in.vector("log_prior", C);
  return std::make_unique<QuadraticDiscriminant>(link, std::move(means), std::move(weights), R, std::move(log_det),
                                                 std::move(log_prior));
}

}  // namespace detail
FERRY_END_NAMESPACE
