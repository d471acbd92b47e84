// scikit-learn's naive Bayes classifiers (docs/format.md §4.24 - §4.26). The scores are
// _joint_log_likelihood, in scikit-learn 1.2's own order of operations; the logsumexp link turns
// them into predict_proba as _BaseNB.predict_log_proba does (models/link.cpp), and predict is
// the first maximum of the scores (np.argmax).
//
//   discrete_naive_bayes     MultinomialNB, ComplementNB, BernoulliNB: x . weights^T + bias,
//                            after binarize (x > threshold) for BernoulliNB
//   gaussian_naive_bayes     GaussianNB: log_prior + (log_norm - 0.5 Σ (x - theta)² / var)
//   categorical_naive_bayes  CategoricalNB: Σ_f log_prob_f[class, x_f] + log_prior
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ferry/error.hpp"
#include "models/registry.hpp"
#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

class DiscreteNaiveBayes final : public Estimator {
 public:
  DiscreteNaiveBayes(RowMatrixXd weights, Eigen::VectorXd bias, bool binarize, double threshold)
      : Estimator(Link::kLogSumExp),
        weights_(std::move(weights)),
        weights_by_feature_(weights_.transpose()),
        bias_(std::move(bias)),
        binarize_(binarize),
        threshold_(threshold) {}

  // jll_c = Σ_f x_f · weights[c, f] + bias[c]; with binarize, x_f is 1 where x_f > threshold, else 0.
  void decision(const RowMatrixXd& X, RowMatrixXd& scores) const override {
    const Index n = weights_.cols(), c = weights_.rows();
    scores.resize(X.rows(), c);
    Eigen::RowVectorXd x(n);
    for (Index i = 0; i < X.rows(); ++i) {
      for (Index f = 0; f < n; ++f) x[f] = binarize_ ? (X(i, f) > threshold_ ? 1.0 : 0.0) : X(i, f);
      for (Index k = 0; k < c; ++k) {
        double s = 0.0;
        for (Index f = 0; f < n; ++f) s += x[f] * weights_(k, f);
        scores(i, k) = s + bias_[k];
      }
    }
  }
  // The same over each row's entries in their order (safe_sparse_dot, after scikit-learn's
  // sparse binarize, which keeps the entries above the threshold as ones). A negative threshold
  // would turn the implicit zeros into ones: scikit-learn refuses it on sparse rows, and here
  // those rows are made dense.
  void decision_sparse(const SparseRows& X, RowMatrixXd& scores) const override {
    const Index c = weights_.rows();
    if (binarize_ && threshold_ < 0) {
      RowMatrixXd dense;
      X.to_dense(0, X.rows(), dense);
      return decision(dense, scores);
    }
    scores.setZero(X.rows(), c);
    for (Index i = 0; i < X.rows(); ++i) {
      double* out = scores.row(i).data();
      for (Index e = X.begin(i); e < X.end(i); ++e) {
        double v = X.values[static_cast<std::size_t>(e)];
        if (binarize_) {
          if (!(v > threshold_)) continue;
          v = 1.0;
        }
        const double* w = weights_by_feature_.row(X.indices[static_cast<std::size_t>(e)]).data();
        for (Index k = 0; k < c; ++k) {
          const double term = v * w[k];
          out[k] += term;
        }
      }
      for (Index k = 0; k < c; ++k) out[k] += bias_[k];
    }
  }
  Capabilities capabilities() const noexcept override {
    Capabilities c = Estimator::capabilities();
    c.sparse_rows = true;
    return c;
  }
  Index n_scores() const noexcept override { return weights_.rows(); }
  // Binarized inputs are not the scores' linear inputs.
  const RowMatrixXd* input_weights() const noexcept override { return binarize_ ? nullptr : &weights_; }

 private:
  RowMatrixXd weights_;  // n_classes x n_features
  RowMatrixXd weights_by_feature_;  // its transpose: a sparse row's entry reads its weights at once
  Eigen::VectorXd bias_;
  bool binarize_;
  double threshold_;
};

class GaussianNaiveBayes final : public Estimator {
 public:
  GaussianNaiveBayes(RowMatrixXd theta, RowMatrixXd var, Eigen::VectorXd log_norm, Eigen::VectorXd log_prior)
      : Estimator(Link::kLogSumExp),
        theta_(std::move(theta)),
        var_(std::move(var)),
        log_norm_(std::move(log_norm)),
        log_prior_(std::move(log_prior)) {}

  // GaussianNB._joint_log_likelihood: n_ij = log_norm[c] - 0.5 * Σ_f (x_f - theta[c, f])² / var[c, f],
  // then log_prior[c] + n_ij.
  void decision(const RowMatrixXd& X, RowMatrixXd& scores) const override {
    const Index n = theta_.cols(), c = theta_.rows();
    scores.resize(X.rows(), c);
    for (Index i = 0; i < X.rows(); ++i)
      for (Index k = 0; k < c; ++k) {
        double s = 0.0;
        for (Index f = 0; f < n; ++f) {
          const double d = X(i, f) - theta_(k, f);
          s += (d * d) / var_(k, f);
        }
        scores(i, k) = log_prior_[k] + (log_norm_[k] - 0.5 * s);
      }
  }
  Index n_scores() const noexcept override { return theta_.rows(); }

 private:
  RowMatrixXd theta_, var_;  // n_classes x n_features
  Eigen::VectorXd log_norm_;  // -0.5 * sum(log(2 pi var_[c]))
  Eigen::VectorXd log_prior_;
};

class CategoricalNaiveBayes final : public Estimator {
 public:
  CategoricalNaiveBayes(RowMatrixXd log_prob, std::vector<Index> offsets, Eigen::VectorXd log_prior,
                        std::vector<std::string> names, std::string where)
      : Estimator(Link::kLogSumExp),
        log_prob_(std::move(log_prob)),
        offsets_(std::move(offsets)),
        log_prior_(std::move(log_prior)),
        names_(std::move(names)),
        where_(std::move(where)) {}

  // CategoricalNB: x_f is read as scikit-learn's check_array(dtype="int") reads it (truncated
  // toward zero); a negative index or one beyond the fitted categories is a value error, where
  // scikit-learn raises ValueError or IndexError.
  void decision(const RowMatrixXd& X, RowMatrixXd& scores) const override {
    const Index n = static_cast<Index>(offsets_.size()) - 1, c = log_prob_.rows();
    scores.resize(X.rows(), c);
    std::vector<Index> col(static_cast<std::size_t>(n));
    for (Index i = 0; i < X.rows(); ++i) {
      for (Index f = 0; f < n; ++f) {
        const double v = std::trunc(X(i, f));
        const auto fs = static_cast<std::size_t>(f);
        const Index count = offsets_[fs + 1] - offsets_[fs];
        if (!(v >= 0.0 && v < static_cast<double>(count)))
          throw Error(ErrorCode::kValue,
                      fmt::format("row {}, column \"{}\": category index {} is not one of the {} categories 0..{} "
                                  "seen at fit ({}; scikit-learn refuses it too)",
                                  i, names_[fs], X(i, f), count, count - 1, where_));
        col[fs] = offsets_[fs] + static_cast<Index>(v);
      }
      for (Index k = 0; k < c; ++k) {
        double s = 0.0;
        for (Index f = 0; f < n; ++f) s += log_prob_(k, col[static_cast<std::size_t>(f)]);
        scores(i, k) = s + log_prior_[k];
      }
    }
  }
  Index n_scores() const noexcept override { return log_prob_.rows(); }

 private:
  RowMatrixXd log_prob_;        // n_classes x Σ n_categories: feature_log_prob_ side by side
  std::vector<Index> offsets_;  // first column of each feature's block, then the total
  Eigen::VectorXd log_prior_;
  std::vector<std::string> names_;
  std::string where_;
};

Index classes_of(const StepInputs& in) {
  const std::int64_t c = in.params().int64("n_classes");
  if (c < 2) in.invalid("params.n_classes must be at least 2");
  if (in.n_features_out() != c) in.invalid("n_features_out must equal params.n_classes");
  return static_cast<Index>(c);
}

void require_finite(const StepInputs& in, const char* role, const RowMatrixXd& m) {
  if (!m.allFinite()) in.invalid(std::string("tensor ") + role + " has a value that is not finite");
}
void require_finite(const StepInputs& in, const char* role, const Eigen::VectorXd& v) {
  if (!v.allFinite()) in.invalid(std::string("tensor ") + role + " has a value that is not finite");
}

}  // namespace

std::unique_ptr<Estimator> make_discrete_naive_bayes(const StepInputs& in) {
  const Index c = classes_of(in), n = in.n_features_in();
  const artifact::Fields& p = in.params();
  const bool binarize = p.boolean("binarize");
  const double threshold = p.number("threshold");
  if (!std::isfinite(threshold)) in.invalid("params.threshold must be finite");
  RowMatrixXd weights = in.matrix("weights", c, n);
  Eigen::VectorXd bias = in.vector("bias", c);
  require_finite(in, "weights", weights);
  require_finite(in, "bias", bias);
  return std::make_unique<DiscreteNaiveBayes>(std::move(weights), std::move(bias), binarize, threshold);
}

std::unique_ptr<Estimator> make_gaussian_naive_bayes(const StepInputs& in) {
  const Index c = classes_of(in), n = in.n_features_in();
  RowMatrixXd theta = in.matrix("theta", c, n);
  RowMatrixXd var = in.matrix("var", c, n);
  Eigen::VectorXd log_norm = in.vector("log_norm", c);
  Eigen::VectorXd log_prior = in.vector("log_prior", c);
  require_finite(in, "theta", theta);
  require_finite(in, "log_norm", log_norm);
  require_finite(in, "log_prior", log_prior);
  if (!var.allFinite() || !(var.array() > 0.0).all()) in.invalid("tensor var must hold finite values > 0");
  return std::make_unique<GaussianNaiveBayes>(std::move(theta), std::move(var), std::move(log_norm),
                                              std::move(log_prior));
}

std::unique_ptr<Estimator> make_categorical_naive_bayes(const StepInputs& in) {
  const Index c = classes_of(in), n = in.n_features_in();
  const std::vector<std::int64_t> counts = in.int64_vector("n_categories", n);
  std::vector<Index> offsets(static_cast<std::size_t>(n) + 1, 0);
  for (Index f = 0; f < n; ++f) {
    const std::int64_t k = counts[static_cast<std::size_t>(f)];
    if (k < 1 || k > (std::int64_t{1} << 24))
      in.invalid(fmt::format("tensor n_categories[{}] must be between 1 and 2^24", f));
    offsets[static_cast<std::size_t>(f) + 1] = offsets[static_cast<std::size_t>(f)] + static_cast<Index>(k);
  }
  const Index total = offsets.back();
  RowMatrixXd log_prob = in.matrix("log_prob", c, total);
  Eigen::VectorXd log_prior = in.vector("log_prior", c);
  require_finite(in, "log_prob", log_prob);
  require_finite(in, "log_prior", log_prior);
  return std::make_unique<CategoricalNaiveBayes>(std::move(log_prob), std::move(offsets), std::move(log_prior),
                                                 in.names_in(), in.where());
}

}  // namespace detail
FERRY_END_NAMESPACE
