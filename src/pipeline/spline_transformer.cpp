// scikit-learn's SplineTransformer: each input column becomes its n_splines B-spline basis
// values, evaluated as scikit-learn 1.2.1's transform calls SciPy's BSpline (with the identity
// as coefficients), with its extrapolation modes:
//
//   error     values outside [t[k], t[n]] are refused (Error kValue naming row and column)
//   continue  the first / last polynomial pieces continue outside
//   periodic  x is first mapped to t[k] + (x - t[k]) mod (t[n] - t[k])  (numpy's mod)
//   constant  outside, the first / last `degree` columns keep their boundary values
//   linear    outside, they continue along their boundary tangents
//
// Interval search, de Boor recursion (scipy/interpolate/src/__fitpack.h _deBoor_D) and the
// coefficient sums are repeated operation for operation.
#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "ferry/error.hpp"
#include "pipeline/registry.hpp"
#include "pipeline/step_inputs.hpp"
#include "spec_limits.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

enum class Extrapolation { kError, kConstant, kLinear, kContinue, kPeriodic };

constexpr std::pair<std::string_view, Extrapolation> kModes[] = {
    {"error", Extrapolation::kError},       {"constant", Extrapolation::kConstant}, {"linear", Extrapolation::kLinear},
    {"continue", Extrapolation::kContinue}, {"periodic", Extrapolation::kPeriodic},
};

constexpr std::int64_t kMaxDegree = spec::kMaxSplineDegree;

// _deBoor_D: the k + 1 B-splines (nu-th derivative) non-zero on [t[ell], t[ell + 1]) at x, in
// result[0..k]; result has 2k + 2 slots. The recursion is SciPy's, quirks included.
void de_boor(const double* t, double x, int k, Index ell, int m, double* result) {
  double* hh = result + k + 1;
  double* h = result;
  result[0] = 1.0;
  for (int j = 1; j <= k - m; ++j) {
    std::copy(h, h + j, hh);
    h[0] = 0.0;
    for (int n = 1; n <= j; ++n) {
      const double xb = t[ell + n];
      const double xa = t[ell + n - j];
      if (xb == xa) {
        h[n] = 0.0;
        continue;
      }
      const double w = hh[n - 1] / (xb - xa);
      h[n - 1] += w * (xb - x);
      h[n] = w * (x - xa);
    }
  }
  for (int j = k - m + 1; j <= k; ++j) {
    std::copy(h, h + j, hh);
    h[0] = 0.0;
    for (int n = 1; n <= j; ++n) {
      const double xb = t[ell + n];
      const double xa = t[ell + n - j];
      if (xb == xa) {
        h[m] = 0.0;  // as SciPy; knots that reach here are refused at load
        continue;
      }
      const double w = j * hh[n - 1] / (xb - xa);
      h[n - 1] -= w;
      h[n] = w;
    }
  }
}

// numpy's float remainder (npy_divmod): fmod, moved to the sign of the divisor.
double py_mod(double a, double b) {
  double mod = std::fmod(a, b);
  if (mod != 0) {
    if ((b < 0) != (mod < 0)) mod += b;
  } else {
    mod = std::copysign(0.0, b);
  }
  return mod;
}

class Spline {
 public:
  Spline(std::vector<double> t, int k, Index n_splines, bool periodic)
      : t_(std::move(t)),
        k_(k),
        n_coef_(static_cast<Index>(t_.size()) - k - 1),
        n_splines_(n_splines),
        periodic_(periodic) {}

  double lo() const { return t_[static_cast<std::size_t>(k_)]; }       // t[k]
  double hi() const { return t_[static_cast<std::size_t>(n_coef_)]; }  // t[n]

  // BSpline(t, c, k)(x, nu) with c the identity (periodic: its first k rows repeated below):
  // out[0..n_splines) = sum over a of c[ell + a - k, col] * work[a], as SciPy sums.
  void evaluate(double x, int nu, bool extrapolate, double* work, double* out) const {
    const Index ell = find_interval(x, extrapolate);
    if (ell < 0) {
      std::fill(out, out + n_splines_, std::numeric_limits<double>::quiet_NaN());
      return;
    }
    de_boor(t_.data(), x, k_, ell, nu, work);
    for (Index col = 0; col < n_splines_; ++col) {
      double sum = 0.0;
      for (int a = 0; a <= k_; ++a) {
        const Index b = ell + a - k_;  // coefficient row
        const double c = (b == col || (periodic_ && b == col + n_splines_)) ? 1.0 : 0.0;
        sum += c * work[a];
      }
      out[col] = sum;
    }
  }

 private:
  // _bspl.find_interval: t[ell] <= x < t[ell + 1] within [k, n - 1], -1 for NaN or (without
  // extrapolation) outside [t[k], t[n]]. Unique for sorted knots, so a binary search.
  Index find_interval(double x, bool extrapolate) const {
    if (std::isnan(x)) return -1;
    if (!extrapolate && (x < lo() || x > hi())) return -1;
    const auto ub = std::upper_bound(t_.begin(), t_.end(), x) - t_.begin();
    return std::clamp<Index>(static_cast<Index>(ub) - 1, k_, n_coef_ - 1);
  }

  std::vector<double> t_;
  int k_;
  Index n_coef_;     // n = len(t) - k - 1 B-splines
  Index n_splines_;  // output columns before include_bias
  bool periodic_;
};

class SplineTransformer final : public Step {
 public:
  SplineTransformer(std::vector<Spline> splines, int degree, Index n_splines, Extrapolation mode, bool include_bias,
                    Index n_out, std::vector<std::string> names, std::string where)
      : splines_(std::move(splines)),
        degree_(degree),
        n_splines_(n_splines),
        mode_(mode),
        include_bias_(include_bias),
        n_out_(n_out),
        names_(std::move(names)),
        where_(std::move(where)) {
    if (mode_ != Extrapolation::kConstant && mode_ != Extrapolation::kLinear) return;
    // The boundary values (and slopes) of every basis function, as scikit-learn computes them
    // with spl(xmin), spl(xmax), spl(xmin, nu=1), spl(xmax, nu=1).
    std::vector<double> work(static_cast<std::size_t>(2 * degree_ + 2));
    const auto size = static_cast<std::size_t>(n_splines_) * splines_.size();
    for (auto* v : {&f_min_, &f_max_, &fp_min_, &fp_max_}) v->resize(size);
    for (std::size_t i = 0; i < splines_.size(); ++i) {
      const Spline& s = splines_[i];
      const std::size_t at = i * static_cast<std::size_t>(n_splines_);
      s.evaluate(s.lo(), 0, false, work.data(), &f_min_[at]);
      s.evaluate(s.hi(), 0, false, work.data(), &f_max_[at]);
      s.evaluate(s.lo(), 1, false, work.data(), &fp_min_[at]);
      s.evaluate(s.hi(), 1, false, work.data(), &fp_max_[at]);
    }
  }

  void transform(RowMatrixXd& X) const override {
    RowMatrixXd out(X.rows(), n_out_);
    std::vector<double> work(static_cast<std::size_t>(2 * degree_ + 2));
    std::vector<double> basis(static_cast<std::size_t>(n_splines_));
    const Index kept = include_bias_ ? n_splines_ : n_splines_ - 1;
    for (Index r = 0; r < X.rows(); ++r) {
      const double* row = X.row(r).data();
      double* o = out.row(r).data();
      for (std::size_t i = 0; i < splines_.size(); ++i) {
        features(r, i, row[i], work.data(), basis.data());
        std::copy(basis.begin(), basis.begin() + kept, o);
        o += kept;
      }
    }
    X.swap(out);
  }

  // Each input column's basis functions come from that column alone.
  std::vector<Index> source_columns(Index /*n_in*/) const override {
    const Index per_column = n_out_ / static_cast<Index>(splines_.size());
    std::vector<Index> s;
    for (std::size_t j = 0; j < splines_.size(); ++j)
      s.insert(s.end(), static_cast<std::size_t>(per_column), static_cast<Index>(j));
    return s;
  }

 private:
  // The n_splines columns of input column i for value x.
  void features(Index r, std::size_t i, double x, double* work, double* basis) const {
    const Spline& s = splines_[i];
    switch (mode_) {
      case Extrapolation::kContinue:
        s.evaluate(x, 0, true, work, basis);
        return;
      case Extrapolation::kPeriodic:
        s.evaluate(s.lo() + py_mod(x - s.lo(), s.hi() - s.lo()), 0, true, work, basis);
        return;
      case Extrapolation::kError:
        if (!(x >= s.lo() && x <= s.hi()))
          throw Error(ErrorCode::kValue,
                      fmt::format("row {}, column \"{}\": {} is outside the spline knots [{}, {}] of {}, which was "
                                  "fitted with extrapolation='error' (scikit-learn refuses it too)",
                                  r, names_[i], x, s.lo(), s.hi(), where_));
        s.evaluate(x, 0, false, work, basis);
        return;
      case Extrapolation::kConstant:
      case Extrapolation::kLinear:
        break;
    }
    const double lo = s.lo();
    const double hi = s.hi();
    if (lo <= x && x <= hi)
      s.evaluate(x, 0, false, work, basis);
    else
      std::fill(basis, basis + n_splines_, 0.0);
    const std::size_t at = i * static_cast<std::size_t>(n_splines_);
    const double* f_min = &f_min_[at];
    const double* f_max = &f_max_[at];
    if (mode_ == Extrapolation::kConstant) {
      if (x < lo) std::copy(f_min, f_min + degree_, basis);
      if (x > hi) std::copy(f_max + n_splines_ - degree_, f_max + n_splines_, basis + n_splines_ - degree_);
      return;
    }
    const double* fp_min = &fp_min_[at];
    const double* fp_max = &fp_max_[at];
    const int n_linear = degree_ <= 1 ? degree_ + 1 : degree_;
    for (int j = 0; j < n_linear; ++j) {
      if (x < lo) basis[j] = f_min[j] + (x - lo) * fp_min[j];
      if (x > hi) {
        const Index k = n_splines_ - 1 - j;
        basis[k] = f_max[k] + (x - hi) * fp_max[k];
      }
    }
  }

  std::vector<Spline> splines_;
  int degree_;
  Index n_splines_;
  Extrapolation mode_;
  bool include_bias_;
  Index n_out_;
  std::vector<double> f_min_, f_max_, fp_min_, fp_max_;  // [column][spline], constant/linear only
  std::vector<std::string> names_;
  std::string where_;
};

}  // namespace

std::unique_ptr<Step> make_spline_transformer(const StepInputs& in) {
  const Index n = in.n_features_in();
  const std::int64_t degree = in.params().int64("degree");
  if (degree < 0 || degree > kMaxDegree) in.invalid(fmt::format("params.degree must be in [0, {}]", kMaxDegree));
  const int k = static_cast<int>(degree);
  const std::string name = in.params().string("extrapolation");
  const auto known = std::find_if(std::begin(kModes), std::end(kModes), [&](const auto& m) { return m.first == name; });
  if (known == std::end(kModes))
    in.invalid(fmt::format("params.extrapolation \"{}\" is not error, constant, linear, continue or periodic", name));
  const Extrapolation mode = known->second;
  if (mode == Extrapolation::kConstant && k == 0)
    in.invalid("extrapolation \"constant\" needs degree >= 1 (scikit-learn fails on degree 0 above the knots)");
  const bool include_bias = in.params().boolean("include_bias");
  const std::int64_t n_knots = in.params().int64("n_knots");  // base knots, before the 2 * degree added
  const bool periodic = mode == Extrapolation::kPeriodic;
  if (n_knots < 2 || n_knots > spec::kMaxKnots || (periodic && n_knots <= degree))
    in.invalid(fmt::format("params.n_knots must be at least 2{}", periodic ? " and greater than degree" : ""));
  const Index n_t = n_knots + 2 * k;
  const Index n_splines = periodic ? n_knots - 1 : n_knots + k - 1;
  const Index n_out = n * (include_bias ? n_splines : n_splines - 1);
  if (in.n_features_out() != n_out)
    in.invalid(fmt::format("n_features_out is {} but {} columns of {} splines{} give {}", in.n_features_out(), n,
                           n_splines, include_bias ? "" : " minus the last", n_out));
  const RowMatrixXd knots = in.matrix("knots", n_t, n);
  std::vector<Spline> splines;
  splines.reserve(static_cast<std::size_t>(n));
  for (Index j = 0; j < n; ++j) {
    std::vector<double> t(static_cast<std::size_t>(n_t));
    for (Index i = 0; i < n_t; ++i) {
      t[static_cast<std::size_t>(i)] = knots(i, j);
      if (i > 0 && knots(i, j) < knots(i - 1, j))
        in.invalid(fmt::format("tensor role \"knots\" decreases at [{}, {}]", i, j));
      // SciPy's derivative recursion reads stale memory across k + 1 equal knots.
      if (mode == Extrapolation::kLinear && k > 0 && i >= k && !(knots(i, j) > knots(i - k, j)))
        in.invalid(
            fmt::format("tensor role \"knots\" repeats a knot more than degree times at [{}, {}], which "
                        "extrapolation \"linear\" cannot take",
                        i, j));
    }
    if (periodic && !(knots(n_t - k - 1, j) > knots(k, j)))
      in.invalid(fmt::format("tensor role \"knots\" gives column {} a period of zero", j));
    splines.emplace_back(std::move(t), k, n_splines, periodic);
  }
  return std::make_unique<SplineTransformer>(std::move(splines), k, n_splines, mode, include_bias, n_out, in.names_in(),
                                             in.where());
}

}  // namespace detail
FERRY_END_NAMESPACE
