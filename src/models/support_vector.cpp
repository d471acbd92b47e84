// Kernel support vector machines (docs/format.md §4.23): scikit-learn 1.2's SVC, NuSVC, SVR,
// NuSVR, OneClassSVM (libsvm's svm_predict_values) and SGDOneClassSVM (one linear "support
// vector").
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "models/registry.hpp"
#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

enum class Kernel { kLinear, kPoly, kRbf, kSigmoid };

// libsvm's powi: repeated squaring, in its order of multiplications.
double powi(double base, std::int64_t times) {
  double tmp = base, ret = 1.0;
  for (std::int64_t t = times; t > 0; t /= 2) {
    if (t % 2 == 1) ret *= tmp;
    tmp = tmp * tmp;
  }
  return ret;
}

class SupportVector final : public Estimator {
 public:
  SupportVector(Link link, Kernel kernel, double gamma, double coef0, std::int64_t degree, RowMatrixXd sv,
                RowMatrixXd dual_coef, Eigen::VectorXd intercept, std::vector<Index> n_support)
      : Estimator(link),
        kernel_(kernel),
        gamma_(gamma),
        coef0_(coef0),
        degree_(degree),
        sv_t_(sv.transpose()),
        dual_coef_(std::move(dual_coef)),
        intercept_(std::move(intercept)),
        n_support_(std::move(n_support)) {
    start_.assign(n_support_.size(), 0);
    for (std::size_t i = 1; i < n_support_.size(); ++i) start_[i] = start_[i - 1] + n_support_[i - 1];
  }

  // Kernel rows in blocks of kBlock rows against every support vector: each entry accumulates
  // over the features in their order, so a row's values never depend on the batch it came in;
  // then libsvm's sums per class pair (or over all vectors), each in libsvm's order.
  void decision(const RowMatrixXd& X, RowMatrixXd& scores) const override {
    const Index rows = X.rows(), m = sv_t_.cols();
    const Index c = static_cast<Index>(n_support_.size());
    scores.resize(rows, n_scores());
    constexpr Index kBlock = 64;
    RowMatrixXd K(kBlock, m);
    Eigen::VectorXd pair(c > 2 ? c * (c - 1) / 2 : 1);
    for (Index r0 = 0; r0 < rows; r0 += kBlock) {
      const Index b = std::min(kBlock, rows - r0);
      kernel_block(X, r0, b, K);
      for (Index r = 0; r < b; ++r) {
        const double* k = K.row(r).data();
        if (c == 1) {
          scores(r0 + r, 0) = sum(0, k, 0, m) + intercept_[0];  // libsvm: sum - rho
          continue;
        }
        Index p = 0;
        for (Index i = 0; i < c; ++i)
          for (Index j = i + 1; j < c; ++j, ++p) {
            const auto si = start_[static_cast<std::size_t>(i)], sj = start_[static_cast<std::size_t>(j)];
            double s = sum(j - 1, k, si, n_support_[static_cast<std::size_t>(i)]);
            s += sum(i, k, sj, n_support_[static_cast<std::size_t>(j)]);
            pair[p] = s + intercept_[p];
          }
        if (c == 2)
          scores(r0 + r, 0) = -pair[0];  // scikit-learn's binary decision_function flips libsvm's sign
        else if (link() == Link::kOvoVotes)
          scores.row(r0 + r) = pair.transpose();
        else
          ovr(pair, c, scores.row(r0 + r).data());
      }
    }
  }
  Index n_scores() const noexcept override {
    const Index c = static_cast<Index>(n_support_.size());
    if (c <= 2) return 1;
    return link() == Link::kOvoVotes ? c * (c - 1) / 2 : c;
  }

 private:
  // Σ dual_coef(row, from + t) · k[from + t] for t < count, in that order (libsvm's loops).
  double sum(Index row, const double* k, Index from, Index count) const {
    const double* a = dual_coef_.row(row).data();
    double s = 0.0;
    for (Index t = from; t < from + count; ++t) s += a[t] * k[t];
    return s;
  }

  // K(r, j) = kernel(X(r0 + r), sv_j) for r < b.
  void kernel_block(const RowMatrixXd& X, Index r0, Index b, RowMatrixXd& K) const {
    const Index n = sv_t_.rows(), m = sv_t_.cols();
    for (Index r = 0; r < b; ++r) {
      double* out = K.row(r).data();
      std::fill(out, out + m, 0.0);
      const double* x = X.row(r0 + r).data();
      if (kernel_ == Kernel::kRbf) {
        // libsvm (scikit-learn's dense build): exp(-gamma |x - sv|²), the difference first
        for (Index f = 0; f < n; ++f) {
          const double* v = sv_t_.row(f).data();
          const double xf = x[f];
          for (Index j = 0; j < m; ++j) {
            const double d = xf - v[j];
            out[j] += d * d;
          }
        }
        for (Index j = 0; j < m; ++j) out[j] = std::exp(-gamma_ * out[j]);
        continue;
      }
      for (Index f = 0; f < n; ++f) {
        const double* v = sv_t_.row(f).data();
        const double xf = x[f];
        for (Index j = 0; j < m; ++j) out[j] += xf * v[j];
      }
      if (kernel_ == Kernel::kPoly)
        for (Index j = 0; j < m; ++j) out[j] = powi(gamma_ * out[j] + coef0_, degree_);
      else if (kernel_ == Kernel::kSigmoid)
        for (Index j = 0; j < m; ++j) out[j] = std::tanh(gamma_ * out[j] + coef0_);
    }
  }

  // scikit-learn's _ovr_decision_function(dec < 0, -dec, c): votes plus the summed
  // confidences squeezed into (-1/3, 1/3).
  static void ovr(const Eigen::VectorXd& dec, Index c, double* out) {
    std::vector<double> votes(static_cast<std::size_t>(c), 0.0), conf(static_cast<std::size_t>(c), 0.0);
    Index p = 0;
    for (Index i = 0; i < c; ++i)
      for (Index j = i + 1; j < c; ++j, ++p) {
        const double confidence = -dec[p];
        conf[static_cast<std::size_t>(i)] -= confidence;
        conf[static_cast<std::size_t>(j)] += confidence;
        votes[static_cast<std::size_t>(dec[p] < 0.0 ? j : i)] += 1.0;
      }
    for (Index i = 0; i < c; ++i) {
      const double s = conf[static_cast<std::size_t>(i)];
      out[i] = votes[static_cast<std::size_t>(i)] + s / (3.0 * (std::abs(s) + 1.0));
    }
  }

  Kernel kernel_;
  double gamma_, coef0_;
  std::int64_t degree_;
  RowMatrixXd sv_t_;       // n_features x n_sv: the support vectors as columns
  RowMatrixXd dual_coef_;  // max(c - 1, 1) x n_sv: libsvm's sv_coef (scikit-learn's _dual_coef_)
  Eigen::VectorXd intercept_;       // -rho per class pair (scikit-learn's _intercept_)
  std::vector<Index> n_support_;    // support vectors per class, in order; one group if c == 1
  std::vector<Index> start_;        // first support vector of each class
};

}  // namespace

std::unique_ptr<Estimator> make_support_vector(const StepInputs& in) {
  const artifact::Fields& p = in.params();
  const std::string kernel_name = p.string("kernel");
  Kernel kernel = Kernel::kLinear;
  if (kernel_name == "linear")
    kernel = Kernel::kLinear;
  else if (kernel_name == "poly")
    kernel = Kernel::kPoly;
  else if (kernel_name == "rbf")
    kernel = Kernel::kRbf;
  else if (kernel_name == "sigmoid")
    kernel = Kernel::kSigmoid;
  else
    in.invalid("params.kernel must be linear, poly, rbf or sigmoid");
  const double gamma = p.number("gamma"), coef0 = p.number("coef0");
  if (!std::isfinite(gamma) || !std::isfinite(coef0)) in.invalid("params.gamma and params.coef0 must be finite");
  const std::int64_t degree = p.int64("degree");
  if (degree < 0 || degree > 64) in.invalid("params.degree must be an integer in [0, 64]");
  const std::int64_t c = p.int64("n_classes");
  const std::int64_t n_sv = p.int64("n_sv");
  if (c < 1 || c > 4096) in.invalid("params.n_classes must be an integer in [1, 4096]");
  if (n_sv < 1) in.invalid("params.n_sv must be at least 1");
  const Link link = parse_link(p.string("link"), in.where());
  const Index k = in.n_features_out();
  const bool ok = c == 1   ? (link == Link::kIdentity || link == Link::kIsolation) && k == 1
                  : c == 2 ? link == Link::kOvoVotes && k == 1
                           : (link == Link::kOvoVotes && k == c * (c - 1) / 2) ||
                                 ((link == Link::kOvrVotes || link == Link::kNone) && k == c);
  if (!ok)
    in.invalid(
        "link and n_features_out do not match n_classes (one class: identity or isolation, one score; two: "
        "ovo_votes, one score; more: ovo_votes with one score per pair, ovr_votes or none with one per class)");
  const auto C = static_cast<Index>(c), M = static_cast<Index>(n_sv);
  const Index pairs = C == 1 ? 1 : C * (C - 1) / 2;
  RowMatrixXd sv = in.matrix("support_vectors", M, in.n_features_in());
  RowMatrixXd dual_coef = in.matrix("dual_coef", std::max<Index>(C - 1, 1), M);
  Eigen::VectorXd intercept = in.vector("intercept", pairs);
  const std::vector<std::int64_t> counts = in.int64_vector("n_support", C);
  std::vector<Index> n_support;
  std::int64_t total = 0;
  for (std::int64_t v : counts) {
    if (v < 0 || v > n_sv) in.invalid("tensor n_support has a count outside [0, n_sv]");
    total += v;
    n_support.push_back(static_cast<Index>(v));
  }
  if (total != n_sv) in.invalid("tensor n_support does not add up to params.n_sv");
  return std::make_unique<SupportVector>(link, kernel, gamma, coef0, degree, std::move(sv), std::move(dual_coef),
                                         std::move(intercept), std::move(n_support));
}

}  // namespace detail
FERRY_END_NAMESPACE
