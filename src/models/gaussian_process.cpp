// scikit-learn's GaussianProcessRegressor (the posterior mean) and the binary
// GaussianProcessClassifier (the Laplace approximation's predictive probability), docs/format.md
// §4.40. The kernel is an expression tree read from params.kernel, depth-bounded; each leaf
// computes k(x, y) as scikit-learn's kernel of that name does (scipy's cdist distances).
#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "artifact/json_fields.hpp"
#include "models/registry.hpp"
#include "pipeline/step_inputs.hpp"
#include "spec_limits.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

constexpr double kPi = 3.141592653589793;

enum class Op { kSum, kProduct, kPower, kConstant, kWhite, kRbf, kMatern, kRationalQuadratic, kExpSineSquared, kDotProduct };

struct Kernel {
  Op op = Op::kConstant;
  std::vector<Kernel> terms;
  std::vector<double> length_scale;  // rbf, matern: one value, or one per feature
  double a = 0.0;                    // constant value, noise level, exponent, alpha, periodicity, sigma_0
  double b = 0.0;                    // rational_quadratic, exp_sine_squared: the length scale
  double nu = 0.0;                   // matern: 0.5, 1.5, 2.5, or infinity

  // k(x, y) for one pair of rows of n features.
  double operator()(const double* x, const double* y, Index n) const {
    switch (op) {
      case Op::kSum: return terms[0](x, y, n) + terms[1](x, y, n);
      case Op::kProduct: return terms[0](x, y, n) * terms[1](x, y, n);
      case Op::kPower: return std::pow(terms[0](x, y, n), a);
      case Op::kConstant: return a;
      case Op::kWhite: return 0.0;  // scikit-learn's WhiteKernel between two different sets
      case Op::kRbf: return std::exp(-0.5 * scaled_squared_distance(x, y, n));
      case Op::kMatern: {
        const double d = std::sqrt(scaled_squared_distance(x, y, n));
        if (nu == 0.5) return std::exp(-d);
        if (nu == 1.5) {
          const double k = d * std::sqrt(3.0);
          return (1.0 + k) * std::exp(-k);
        }
        if (nu == 2.5) {
          const double k = d * std::sqrt(5.0);
          return (1.0 + k + k * k / 3.0) * std::exp(-k);
        }
        return std::exp(-(d * d) / 2.0);
      }
      case Op::kRationalQuadratic:
        return std::pow(1.0 + squared_distance(x, y, n) / (2.0 * a * (b * b)), -a);
      case Op::kExpSineSquared: {
        const double s = std::sin(kPi / a * std::sqrt(squared_distance(x, y, n))) / b;
        return std::exp(-2.0 * (s * s));
      }
      case Op::kDotProduct: {
        double s = 0.0;
        for (Index f = 0; f < n; ++f) s += x[f] * y[f];
        return s + a * a;
      }
    }
    return 0.0;
  }

  // k(x, x), as scikit-learn's Kernel.diag.
  double diagonal(const double* x, Index n) const {
    switch (op) {
      case Op::kSum: return terms[0].diagonal(x, n) + terms[1].diagonal(x, n);
      case Op::kProduct: return terms[0].diagonal(x, n) * terms[1].diagonal(x, n);
      case Op::kPower: return std::pow(terms[0].diagonal(x, n), a);
      case Op::kConstant:
      case Op::kWhite: return a;
      case Op::kDotProduct: {
        double s = 0.0;
        for (Index f = 0; f < n; ++f) s += x[f] * x[f];
        return s + a * a;
      }
      default: return 1.0;  // the stationary kernels are 1 at distance 0
    }
  }

 private:
  // cdist(x / l, y / l, "sqeuclidean"): each feature divided first, squares summed in order.
  double scaled_squared_distance(const double* x, const double* y, Index n) const {
    double s = 0.0;
    for (Index f = 0; f < n; ++f) {
      const double l = length_scale.size() == 1 ? length_scale[0] : length_scale[static_cast<std::size_t>(f)];
      const double d = x[f] / l - y[f] / l;
      s += d * d;
    }
    return s;
  }
  static double squared_distance(const double* x, const double* y, Index n) {
    double s = 0.0;
    for (Index f = 0; f < n; ++f) s += (x[f] - y[f]) * (x[f] - y[f]);
    return s;
  }
};

Kernel parse_kernel(const nlohmann::json& j, const std::string& path, Index n_in, int depth, const StepInputs& in) {
  if (depth > spec::kMaxKernelDepth)
    in.invalid(fmt::format("{}: the kernel expression is nested deeper than {}", path, spec::kMaxKernelDepth));
  const artifact::Fields f(j, path);
  const std::string op = f.string("op");
  Kernel k;
  auto number = [&](const char* key, bool positive) {
    const double v = f.number(key);
    if (!std::isfinite(v) || (positive && !(v > 0.0)))
      in.invalid(fmt::format("{}.{} must be finite{}", path, key, positive ? " and > 0" : ""));
    return v;
  };
  auto terms = [&](std::size_t count) {
    const nlohmann::json& t = f.array("terms");
    if (t.size() != count) in.invalid(fmt::format("{}.terms must hold {} kernel(s)", path, count));
    for (std::size_t i = 0; i < count; ++i)
      k.terms.push_back(parse_kernel(t[i], fmt::format("{}.terms[{}]", path, i), n_in, depth + 1, in));
  };
  if (op == "sum" || op == "product") {
    k.op = op == "sum" ? Op::kSum : Op::kProduct;
    terms(2);
  } else if (op == "power") {
    k.op = Op::kPower;
    k.a = number("exponent", false);
    terms(1);
  } else if (op == "constant") {
    k.op = Op::kConstant;
    k.a = number("value", false);
  } else if (op == "white") {
    k.op = Op::kWhite;
    k.a = number("noise_level", false);
  } else if (op == "rbf" || op == "matern") {
    k.op = op == "rbf" ? Op::kRbf : Op::kMatern;
    const nlohmann::json& ls = f.array("length_scale");
    if (ls.size() != 1 && ls.size() != static_cast<std::size_t>(n_in))
      in.invalid(fmt::format("{}.length_scale must hold 1 or n_features_in values", path));
    for (const nlohmann::json& v : ls) {
      if (!v.is_number() || !(v.get<double>() > 0.0) || !std::isfinite(v.get<double>()))
        in.invalid(fmt::format("{}.length_scale holds a value that is not finite and > 0", path));
      k.length_scale.push_back(v.get<double>());
    }
    if (k.op == Op::kMatern) {
      const nlohmann::json& nu = f.any("nu");
      if (nu.is_string() && nu.get<std::string>() == "inf")
        k.nu = HUGE_VAL;
      else if (nu.is_number() && (nu.get<double>() == 0.5 || nu.get<double>() == 1.5 || nu.get<double>() == 2.5))
        k.nu = nu.get<double>();
      else
        in.invalid(fmt::format("{}.nu must be 0.5, 1.5, 2.5 or \"inf\"", path));
    }
  } else if (op == "rational_quadratic") {
    k.op = Op::kRationalQuadratic;
    k.a = number("alpha", true);
    k.b = number("length_scale", true);
  } else if (op == "exp_sine_squared") {
    k.op = Op::kExpSineSquared;
    k.a = number("periodicity", true);
    k.b = number("length_scale", true);
  } else if (op == "dot_product") {
    k.op = Op::kDotProduct;
    k.a = number("sigma_0", false);
  } else {
    in.invalid(fmt::format("{}.op \"{}\" is not a known kernel", path, op));
  }
  return k;
}

class GaussianProcess final : public Estimator {
 public:
  GaussianProcess(Link link, Kernel kernel, RowMatrixXd x_train, RowMatrixXd alpha, Eigen::RowVectorXd y_mean,
                  Eigen::RowVectorXd y_std, RowMatrixXd l_factor, Eigen::VectorXd w_sqrt)
      : Estimator(link), kernel_(std::move(kernel)), x_train_(std::move(x_train)), alpha_(std::move(alpha)),
        y_mean_(std::move(y_mean)), y_std_(std::move(y_std)), l_factor_(std::move(l_factor)),
        w_sqrt_(std::move(w_sqrt)) {}

  void decision(const RowMatrixXd& X, RowMatrixXd& scores) const override {
    const Index m = x_train_.rows(), n = x_train_.cols();
    RowMatrixXd K(X.rows(), m);  // k(X, X_train)
    for (Index i = 0; i < X.rows(); ++i)
      for (Index t = 0; t < m; ++t) K(i, t) = kernel_(X.row(i).data(), x_train_.row(t).data(), n);
    if (link() == Link::kIdentity) {
      // y = y_std * (K @ alpha) + y_mean, each entry's products summed in training-row order
      scores.resize(X.rows(), alpha_.cols());
      for (Index i = 0; i < X.rows(); ++i)
        for (Index c = 0; c < alpha_.cols(); ++c) {
          double s = 0.0;
          for (Index t = 0; t < m; ++t) s += K(i, t) * alpha_(t, c);
          scores(i, c) = y_std_[c] * s + y_mean_[c];
        }
      return;
    }
    // The Laplace approximation (scikit-learn's _BinaryGaussianProcessClassifierLaplace): the
    // latent mean f = K (y - pi) and variance k(x, x) - |v|², v = L⁻¹ (W^½ ∘ Kᵀ), are the scores.
    // Each row's v is its own forward substitution, sums in training-row order: a blocked
    // triangular solve of the whole batch (Eigen's) orders its sums by the batch's width, and a
    // row alone would then differ from the same row in a batch in the last bits.
    scores.resize(X.rows(), 2);
    Eigen::VectorXd v(m);
    for (Index i = 0; i < X.rows(); ++i) {
      for (Index t = 0; t < m; ++t) {
        double s = w_sqrt_[t] * K(i, t);
        const double* l_row = l_factor_.row(t).data();
        for (Index u = 0; u < t; ++u) s -= l_row[u] * v[u];
        v[t] = s / l_row[t];
      }
      double f = 0.0, vv = 0.0;
      for (Index t = 0; t < m; ++t) f += K(i, t) * alpha_(t, 0);
      for (Index t = 0; t < m; ++t) vv += v[t] * v[t];
      scores(i, 0) = f;
      scores(i, 1) = kernel_.diagonal(X.row(i).data(), n) - vv;
    }
  }

  // The classifier's predict_proba: the erf expansion of the logistic-Gaussian integral with
  // scikit-learn's LAMBDAS and COEFS, from the latent mean and variance.
  void probabilities(const RowMatrixXd& scores, RowMatrixXd& proba) const override {
    if (link() == Link::kIdentity) return Estimator::probabilities(scores, proba);
    static const double lambdas[5] = {0.41, 0.4, 0.37, 0.44, 0.39};
    static const double coefs[5] = {-1854.8214151, 3516.89893646, 221.29346712, 128.12323805, -2010.49422654};
    double coef_sum = 0.0;
    for (double c : coefs) coef_sum += c;
    proba.resize(scores.rows(), 2);
    for (Index i = 0; i < scores.rows(); ++i) {
      const double f = scores(i, 0), var = scores(i, 1);
      const double a = 1.0 / (2.0 * var);
      double p = 0.0;
      for (int j = 0; j < 5; ++j) {
        const double gamma = lambdas[j] * f;
        const double integral = std::sqrt(kPi / a) * std::erf(gamma * std::sqrt(a / (a + lambdas[j] * lambdas[j]))) /
                                (2.0 * std::sqrt(var * 2.0 * kPi));
        p += coefs[j] * integral;
      }
      p += 0.5 * coef_sum;
      proba(i, 0) = 1.0 - p;
      proba(i, 1) = p;
    }
  }
  // scikit-learn predicts class 1 iff f > 0 (the probability can round to exactly 0.5 far from
  // the data while f does not vanish).
  void classes(const RowMatrixXd& scores, std::vector<Index>& out) const override {
    if (link() == Link::kIdentity) return Estimator::classes(scores, out);
    out.resize(static_cast<std::size_t>(scores.rows()));
    for (Index i = 0; i < scores.rows(); ++i) out[static_cast<std::size_t>(i)] = scores(i, 0) > 0.0 ? 1 : 0;
  }
  Capabilities capabilities() const noexcept override {
    Capabilities c;
    c.probabilities = link() == Link::kProbability;  // no decision_function, as scikit-learn's
    return c;
  }

  Index n_scores() const noexcept override { return link() == Link::kIdentity ? alpha_.cols() : 2; }

 private:
  Kernel kernel_;
  RowMatrixXd x_train_, alpha_;
  Eigen::RowVectorXd y_mean_, y_std_;
  RowMatrixXd l_factor_;
  Eigen::VectorXd w_sqrt_;
};

}  // namespace

std::unique_ptr<Estimator> make_gaussian_process(const StepInputs& in) {
  const artifact::Fields& p = in.params();
  const Link link = parse_link(p.string("link"), in.where());
  if (link != Link::kIdentity && link != Link::kProbability) in.invalid("the link must be identity or probability");
  const std::int64_t m = p.int64("n_train");
  if (m < 1 || m > spec::kMaxWidth) in.invalid("params.n_train is out of range");
  const auto M = static_cast<Index>(m);
  Kernel kernel = parse_kernel(p.any("kernel"), in.path() + ".params.kernel", in.n_features_in(), 0, in);
  RowMatrixXd x_train = in.matrix("x_train", M, in.n_features_in());
  const Index k = link == Link::kIdentity ? in.n_features_out() : 1;
  if (link == Link::kProbability && in.n_features_out() != 2) in.invalid("a classifier has n_features_out 2");
  RowMatrixXd alpha = in.matrix("alpha", M, k);
  Eigen::RowVectorXd y_mean, y_std;
  RowMatrixXd l_factor;
  Eigen::VectorXd w_sqrt;
  if (link == Link::kIdentity) {
    if (in.has_tensor("l_factor") || in.has_tensor("w_sqrt")) in.invalid("a regressor has no l_factor or w_sqrt");
    y_mean = in.vector("y_mean", k).transpose();
    y_std = in.vector("y_std", k).transpose();
  } else {
    if (in.has_tensor("y_mean") || in.has_tensor("y_std")) in.invalid("a classifier has no y_mean or y_std");
    l_factor = in.matrix("l_factor", M, M);
    w_sqrt = in.vector("w_sqrt", M);
    for (Index t = 0; t < M; ++t)
      if (!(l_factor(t, t) != 0.0)) in.invalid(fmt::format("tensor l_factor has a zero on its diagonal at {}", t));
  }
  return std::make_unique<GaussianProcess>(link, std::move(kernel), std::move(x_train), std::move(alpha),
                                           std::move(y_mean), std::move(y_std), std::move(l_factor), std::move(w_sqrt));
}

}  // namespace detail
FERRY_END_NAMESPACE
