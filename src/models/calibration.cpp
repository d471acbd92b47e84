// scikit-learn's CalibratedClassifierCV (docs/format.md §4.33): per calibrated classifier, its
// decision_function (or predict_proba) column by column through a sigmoid or isotonic map,
// normalised; the model's probabilities are the mean over the calibrated classifiers.
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "models/composition.hpp"
#include "models/registry.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

// One calibrator: sigmoid expit(-(a t + b)), or isotonic interpolation between thresholds.
struct Calibrator {
  double a = 0.0, b = 0.0;
  std::vector<double> x, y;  // isotonic thresholds, x strictly increasing

  double sigmoid(double t) const { return 1.0 / (1.0 + std::exp(-(-(a * t + b)))); }
  // IsotonicRegression.predict with out_of_bounds="clip": np.clip to [x_0, x_last], then
  // scipy's interp1d(kind="linear"): the interval from searchsorted (side left) clipped to
  // [1, n-1], slope * (t - x_lo) + y_lo.
  double isotonic(double t) const {
    const std::size_t n = x.size();
    if (n == 1) return y[0];
    t = std::min(std::max(t, x.front()), x.back());
    std::size_t hi = static_cast<std::size_t>(std::lower_bound(x.begin(), x.end(), t) - x.begin());
    hi = std::min(std::max<std::size_t>(hi, 1), n - 1);
    const std::size_t lo = hi - 1;
    const double slope = (y[hi] - y[lo]) / (x[hi] - x[lo]);
    return slope * (t - x[lo]) + y[lo];
  }
};

struct Calibrated {
  SubModel sub;
  std::vector<Calibrator> calibrators;  // one per column of its predictions
};

class Calibration final : public Estimator {
 public:
  Calibration(std::vector<Calibrated> members, bool isotonic, bool use_decision, Index c)
      : Estimator(Link::kProbability), members_(std::move(members)), isotonic_(isotonic),
        use_decision_(use_decision), c_(c) {}

  Capabilities capabilities() const noexcept override {
    Capabilities c;
    c.probabilities = true;  // CalibratedClassifierCV has no decision_function
    return c;
  }

  void decision(const RowMatrixXd& X, RowMatrixXd& scores) const override {
    scores.setZero(X.rows(), c_);
    RowMatrixXd s, pred, proba(X.rows(), c_);
    for (const Calibrated& m : members_) {
      m.sub.scores(X, s);
      if (use_decision_) {
        pred = s;
      } else {
        m.sub.probabilities(s, pred);
        if (c_ == 2) pred = pred.rightCols(1).eval();  // _compute_predictions: proba[:, 1:]
      }
      proba.setZero();
      for (std::size_t j = 0; j < m.calibrators.size(); ++j) {
        const Calibrator& cal = m.calibrators[j];
        const Index column = c_ == 2 ? 1 : static_cast<Index>(j);
        for (Index i = 0; i < X.rows(); ++i) {
          const double t = pred(i, static_cast<Index>(j));
          proba(i, column) = isotonic_ ? cal.isotonic(t) : cal.sigmoid(t);
        }
      }
      for (Index i = 0; i < X.rows(); ++i) normalise(proba.row(i).data());
      scores += proba;
    }
    scores /= static_cast<double>(members_.size());
  }
  Index n_scores() const noexcept override { return c_; }

 private:
  // _CalibratedClassifier.predict_proba: two classes give [1 - p, p]; more are divided by
  // their sum, uniform where the sum is 0; values within 1e-5 above 1 become 1.
  void normalise(double* p) const {
    if (c_ == 2) {
      p[0] = 1.0 - p[1];
    } else {
      double sum = 0.0;
      for (Index j = 0; j < c_; ++j) sum += p[j];
      for (Index j = 0; j < c_; ++j) p[j] = sum != 0.0 ? p[j] / sum : 1.0 / static_cast<double>(c_);
    }
    for (Index j = 0; j < c_; ++j)
      if (1.0 < p[j] && p[j] <= 1.0 + 1e-5) p[j] = 1.0;
  }

  std::vector<Calibrated> members_;
  bool isotonic_;
  bool use_decision_;
  Index c_;
};

}  // namespace

std::unique_ptr<Estimator> make_calibration(const StepInputs& in) {
  const artifact::Fields& p = in.params();
  const std::string method = p.string("method"), response = p.string("response");
  if (method != "sigmoid" && method != "isotonic") in.invalid(fmt::format("params.method \"{}\" is not sigmoid or isotonic", method));
  if (response != "decision_function" && response != "predict_proba")
    in.invalid(fmt::format("params.response \"{}\" is not decision_function or predict_proba", response));
  const bool isotonic = method == "isotonic", use_decision = response == "decision_function";
  const Index c = in.n_features_out();
  if (c < 2) in.invalid("n_features_out must be the number of classes, at least 2");
  std::vector<SubModel> subs = build_sub_models(in, "estimators");
  const auto m = static_cast<Index>(subs.size());
  if (p.int64("n_estimators") != m) in.invalid("params.n_estimators does not match params.estimators");
  const Index L = c == 2 ? 1 : c;
  if (p.int64("n_calibrators") != L) in.invalid("params.n_calibrators must be 1 for two classes, else n_classes");
  std::vector<Calibrated> members;
  for (SubModel& sub : subs) {
    require_sub_model(in, sub, Task::kClassification, c);
    if (use_decision) {
      require_decision_function(in, sub);
      if (sub.estimator->n_scores() != L)
        in.invalid(fmt::format("sub-model \"{}\" gives {} decision values, not one per calibrator", sub.name,
                               sub.estimator->n_scores()));
    } else {
      require_probabilities(in, sub);
    }
    members.push_back(Calibrated{std::move(sub), std::vector<Calibrator>(static_cast<std::size_t>(L))});
  }
  if (isotonic) {
    const std::vector<std::int64_t> offsets = in.int64_vector("threshold_offsets", m * L + 1);
    const std::vector<std::int64_t>& shape = in.tensor_shape("x_thresholds");
    if (shape.size() != 1) in.invalid("tensor x_thresholds must be of rank 1");
    const Index N = static_cast<Index>(shape[0]);
    const Eigen::VectorXd x = in.vector("x_thresholds", N), y = in.vector("y_thresholds", N);
    if (offsets.front() != 0 || offsets.back() != N) in.invalid("tensor threshold_offsets must run from 0 to N");
    for (Index k = 0; k < m * L; ++k) {
      const std::int64_t lo = offsets[static_cast<std::size_t>(k)], hi = offsets[static_cast<std::size_t>(k + 1)];
      if (hi <= lo) in.invalid(fmt::format("tensor threshold_offsets: calibrator {} has no threshold", k));
      Calibrator& cal = members[static_cast<std::size_t>(k / L)].calibrators[static_cast<std::size_t>(k % L)];
      for (std::int64_t t = lo; t < hi; ++t) {
        if (t > lo && !(x[t] > x[t - 1]))
          in.invalid(fmt::format("tensor x_thresholds: calibrator {} is not strictly increasing", k));
        cal.x.push_back(x[t]);
        cal.y.push_back(y[t]);
      }
    }
  } else {
    const RowMatrixXd a = in.matrix("a", m, L), b = in.matrix("b", m, L);
    for (Index e = 0; e < m; ++e)
      for (Index j = 0; j < L; ++j) {
        Calibrator& cal = members[static_cast<std::size_t>(e)].calibrators[static_cast<std::size_t>(j)];
        cal.a = a(e, j);
        cal.b = b(e, j);
      }
  }
  return std::make_unique<Calibration>(std::move(members), isotonic, use_decision, c);
}

}  // namespace detail
FERRY_END_NAMESPACE
