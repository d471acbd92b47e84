// GaussianMixture and BayesianGaussianMixture (docs/format.md §4.29): the scores are scikit-learn
// 1.2's _estimate_weighted_log_prob per component, in its order of operations; the components
// are the classes 0 .. k-1, predict_proba (the responsibilities) is the logsumexp link of the
// naive Bayes types, and score_samples is logsumexp of the scores.
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "models/registry.hpp"
#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

enum class Covariance { kFull, kDiag, kSpherical };

struct MixtureTensors {
  std::vector<double> prec_chol;  // full: k x n x n (a tied precision repeated per component)
  RowMatrixXd mean_prec;          // full: k x n, mu_k . P_k
  Eigen::VectorXd constant;       // diag, spherical: the term without x
  RowMatrixXd weights;            // diag, spherical: k x n, multiplied by -2 x
  RowMatrixXd precisions;         // diag: k x n, multiplied by x²
  Eigen::VectorXd precision;      // spherical: k, multiplied by |x|²
  Eigen::VectorXd log_det, dof_term, lambda_term, log_weights;
};

class GaussianMixture final : public Estimator {
 public:
  GaussianMixture(Covariance covariance, double n_log_2pi, MixtureTensors t)
      : Estimator(Link::kLogSumExp), covariance_(covariance), n_log_2pi_(n_log_2pi), t_(std::move(t)) {}

  // full:      lp_k = Σ_j (Σ_f x_f P_k[f, j] − mean_prec[k, j])²
  // diag:      lp_k = (const_k − 2 Σ_f x_f w_kf) + Σ_f x_f² p_kf
  // spherical: lp_k = (const_k − 2 Σ_f x_f w_kf) + (Σ_f x_f²) p_k
  // then ((((−0.5 (n_log_2pi + lp_k)) + log_det_k) − dof_term_k) + lambda_term_k) + log_weights_k.
  void decision(const RowMatrixXd& X, RowMatrixXd& scores) const override {
    const Index k = t_.log_det.size(), n = X.cols();
    scores.resize(X.rows(), k);
    for (Index i = 0; i < X.rows(); ++i) {
      const double* x = X.row(i).data();
      double xx = 0.0;
      if (covariance_ == Covariance::kSpherical)
        for (Index f = 0; f < n; ++f) xx += x[f] * x[f];
      for (Index c = 0; c < k; ++c) {
        double lp = 0.0;
        if (covariance_ == Covariance::kFull) {
          const double* P = t_.prec_chol.data() + c * n * n;
          for (Index j = 0; j < n; ++j) {
            double s = 0.0;
            for (Index f = 0; f < n; ++f) s += x[f] * P[f * n + j];
            const double y = s - t_.mean_prec(c, j);
            lp += y * y;
          }
        } else {
          double dot = 0.0;
          for (Index f = 0; f < n; ++f) dot += x[f] * t_.weights(c, f);
          double q = 0.0;
          if (covariance_ == Covariance::kDiag) {
            for (Index f = 0; f < n; ++f) q += (x[f] * x[f]) * t_.precisions(c, f);
          } else {
            q = xx * t_.precision[c];
          }
          lp = (t_.constant[c] - 2.0 * dot) + q;
        }
        double g = -0.5 * (n_log_2pi_ + lp) + t_.log_det[c];
        g = g - t_.dof_term[c];
        g = g + t_.lambda_term[c];
        scores(i, c) = g + t_.log_weights[c];
      }
    }
  }
  Index n_scores() const noexcept override { return t_.log_det.size(); }

 private:
  Covariance covariance_;
  double n_log_2pi_;
  MixtureTensors t_;
};

template <class M>
M finite(const StepInputs& in, const char* role, M m) {
  if (!m.allFinite()) in.invalid(std::string("tensor ") + role + " has a value that is not finite");
  return m;
}

}  // namespace

std::unique_ptr<Estimator> make_gaussian_mixture(const StepInputs& in) {
  const artifact::Fields& p = in.params();
  const std::int64_t k64 = p.int64("n_components");
  if (k64 < 2) in.invalid("params.n_components must be at least 2");
  if (in.n_features_out() != k64) in.invalid("n_features_out must equal params.n_components");
  const auto k = static_cast<Index>(k64);
  const Index n = in.n_features_in();
  const std::string cov = p.string("covariance");
  Covariance covariance;
  if (cov == "full")
    covariance = Covariance::kFull;
  else if (cov == "diag")
    covariance = Covariance::kDiag;
  else if (cov == "spherical")
    covariance = Covariance::kSpherical;
  else
    in.invalid("params.covariance must be full, diag or spherical");
  const double n_log_2pi = p.number("n_log_2pi");
  if (!std::isfinite(n_log_2pi)) in.invalid("params.n_log_2pi must be finite");
  const bool full = covariance == Covariance::kFull;
  const auto expect = [&](const char* role, bool present) {
    if (in.has_tensor(role) != present)
      in.invalid(std::string("tensor ") + role + (present ? " is required" : " is not allowed") +
                 " with covariance " + cov);
  };
  expect("prec_chol", full);
  expect("mean_prec", full);
  expect("const", !full);
  expect("weights", !full);
  expect("precisions", covariance == Covariance::kDiag);
  expect("precision", covariance == Covariance::kSpherical);
  MixtureTensors t;
  if (full) {
    t.prec_chol = in.float64_values("prec_chol", {k, n, n});
    for (double v : t.prec_chol)
      if (!std::isfinite(v)) in.invalid("tensor prec_chol has a value that is not finite");
    t.mean_prec = finite(in, "mean_prec", in.matrix("mean_prec", k, n));
  } else {
    t.constant = finite(in, "const", in.vector("const", k));
    t.weights = finite(in, "weights", in.matrix("weights", k, n));
    if (covariance == Covariance::kDiag)
      t.precisions = finite(in, "precisions", in.matrix("precisions", k, n));
    else
      t.precision = finite(in, "precision", in.vector("precision", k));
  }
  t.log_det = finite(in, "log_det", in.vector("log_det", k));
  t.dof_term = finite(in, "dof_term", in.vector("dof_term", k));
  t.lambda_term = finite(in, "lambda_term", in.vector("lambda_term", k));
  t.log_weights = finite(in, "log_weights", in.vector("log_weights", k));
  return std::make_unique<GaussianMixture>(covariance, n_log_2pi, std::move(t));
}

}  // namespace detail
FERRY_END_NAMESPACE
