// Every linear model: scikit-learn's linear regressors and classifiers, the generalised linear
// models and LinearDiscriminantAnalysis (docs/format.md §4.2).
#include <optional>

#include "models/interventional.hpp"
#include "models/registry.hpp"
#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

class Linear final : public Estimator {
 public:
  Linear(Link link, RowMatrixXd coef, Eigen::RowVectorXd intercept)
      : Estimator(link), coef_(std::move(coef)), coef_by_feature_(coef_.transpose()), intercept_(std::move(intercept)) {}

  // One dot product per row and score, so a row's scores never depend on the batch it came in
  // (a matrix product would pick different kernels, and summation orders, by batch size).
  void decision(const RowMatrixXd& X, RowMatrixXd& scores) const override {
    scores.resize(X.rows(), coef_.rows());
    for (Index i = 0; i < X.rows(); ++i)
      for (Index j = 0; j < coef_.rows(); ++j) scores(i, j) = X.row(i).dot(coef_.row(j)) + intercept_[j];
  }
  // scipy's csr_matvecs: each score starts at 0 and adds value x weight over the row's entries
  // in their order, then the intercept is added: scikit-learn's sums, to the bit.
  void decision_sparse(const SparseRows& X, RowMatrixXd& scores) const override {
    const Index k = coef_.rows();
    scores.setZero(X.rows(), k);
    for (Index i = 0; i < X.rows(); ++i) {
      double* out = scores.row(i).data();
      for (Index e = X.begin(i); e < X.end(i); ++e) {
        const double v = X.values[static_cast<std::size_t>(e)];
        const double* w = coef_by_feature_.row(X.indices[static_cast<std::size_t>(e)]).data();
        for (Index c = 0; c < k; ++c) {
          const double term = v * w[c];
          out[c] += term;
        }
      }
      for (Index c = 0; c < k; ++c) out[c] += intercept_[c];
    }
  }
  Index n_scores() const noexcept override { return coef_.rows(); }
  const RowMatrixXd* input_weights() const noexcept override { return &coef_; }
  Capabilities capabilities() const noexcept override {
    Capabilities c = Estimator::capabilities();
    c.sparse_rows = true;
    if (background_mean_) c.exact_shap = Explanation::Method::kLinearExact;  // it needs the mean (format.md §3.5)
    c.interventional_shap = Explanation::Method::kLinearInterventional;
    return c;
  }

  // Interventional SHAP over the background mean m: the value of a coalition S is
  // w·(x_S, m_rest) + b, linear in each feature, so phi_f = w_f (x_f - m_f) exactly and the
  // base is w·m + b.
  void shap(const RowMatrixXd& X, RowMatrixXd& phi) const override {
    const Index n = coef_.cols();
    const Index k = coef_.rows();
    phi.resize(X.rows(), (n + 1) * k);
    Eigen::RowVectorXd base(k);
    for (Index c = 0; c < k; ++c) base[c] = background_mean_->dot(coef_.row(c)) + intercept_[c];
    for (Index i = 0; i < X.rows(); ++i) {
      double* out = phi.row(i).data();
      for (Index f = 0; f < n; ++f)
        for (Index c = 0; c < k; ++c) out[f * k + c] = coef_(c, f) * (X(i, f) - (*background_mean_)[f]);
      for (Index c = 0; c < k; ++c) out[n * k + c] = base[c];
    }
  }
  // The same closed form against a weighted background: the game is linear in the background
  // rows, so it is the game against their weighted mean m, and a group's value is the sum of
  // its columns' w_f (x_f - m_f) (each score is a sum of per-column terms).
  void shap_interventional(const RowMatrixXd& X, const RowMatrixXd& background, const Eigen::VectorXd& weights,
                           const std::vector<Index>& group, Index n_groups, RowMatrixXd& phi) const override {
    const Index n = coef_.cols(), k = coef_.rows();
    explain::check_interventional_arguments(n, X, background, weights, group, n_groups);
    const Eigen::RowVectorXd mean = weights.transpose() * background;
    phi.setZero(X.rows(), (n_groups + 1) * k);
    for (Index i = 0; i < X.rows(); ++i) {
      double* out = phi.row(i).data();
      for (Index f = 0; f < n; ++f) {
        double* g = out + group[static_cast<std::size_t>(f)] * k;
        for (Index c = 0; c < k; ++c) g[c] += coef_(c, f) * (X(i, f) - mean[f]);
      }
      for (Index c = 0; c < k; ++c) out[n_groups * k + c] = mean.dot(coef_.row(c)) + intercept_[c];
    }
  }
  void set_background_mean(const Eigen::RowVectorXd& mean) override { background_mean_ = mean; }

 private:
  std::optional<Eigen::RowVectorXd> background_mean_;
  RowMatrixXd coef_;  // k x n_features: each score's weights are contiguous, as each row of X
  RowMatrixXd coef_by_feature_;  // its transpose: a sparse row's entry reads its k weights at once
  Eigen::RowVectorXd intercept_;
};

}  // namespace

std::unique_ptr<Estimator> make_linear(const StepInputs& in) {
  const Link link = parse_link(in.params().string("link"), in.where());
  if (link != Link::kIdentity && link != Link::kExp && link != Link::kLogistic && link != Link::kSoftmax &&
      link != Link::kOvr && link != Link::kModifiedHuber && link != Link::kNone)
    in.invalid("a linear model's link must be identity, exp, logistic, softmax, ovr, modified_huber or none");
  const Index k = in.n_features_out();
  if (k < 1) in.invalid("n_features_out must be at least 1");
  if ((link == Link::kOvr && k < 3) || ((link == Link::kLogistic || link == Link::kExp) && k != 1) ||
      ((link == Link::kSoftmax || link == Link::kModifiedHuber || link == Link::kNone) && k == 2))
    in.invalid("link does not match the number of scores n_features_out");
  RowMatrixXd coef = in.matrix("coef", k, in.n_features_in());
  Eigen::RowVectorXd intercept = in.vector("intercept", k).transpose();
  return std::make_unique<Linear>(link, std::move(coef), std::move(intercept));
}

}  // namespace detail
FERRY_END_NAMESPACE
