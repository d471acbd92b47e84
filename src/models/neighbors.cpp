// KNeighborsClassifier, KNeighborsRegressor and NearestCentroid (docs/format.md §4.31): brute
// force over the stored rows, the k nearest by the metric, a tie at the k-th place to the lowest
// stored index; then scikit-learn 1.2's weights, class shares or target means. Queries go in
// blocks of kQueries rows against blocks of kStored stored rows, so a block of stored rows is
// read from cache by every query of the block. Memory: the stored rows (N x n doubles) and their
// labels or targets; per call, one kQueries x kStored block of distances and k candidates per
// query.
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "models/registry.hpp"
#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

enum class Metric { kEuclidean, kManhattan, kChebyshev, kMinkowski, kCosine };

// |x|, as sklearn.preprocessing.normalize divides by it (a zero row stays zero).
void to_unit(const double* x, Index n, double* out) {
  double s = 0.0;
  for (Index f = 0; f < n; ++f) s += x[f] * x[f];
  double norm = std::sqrt(s);
  if (norm == 0.0) norm = 1.0;
  for (Index f = 0; f < n; ++f) out[f] = x[f] / norm;
}

class NearestNeighbors final : public Estimator {
 public:
  NearestNeighbors(Link link, Metric metric, double p, Index k, bool distance_weights, RowMatrixXd stored,
                   std::vector<Index> labels, RowMatrixXd values, Index n_scores)
      : Estimator(link),
        metric_(metric),
        p_(p),
        k_(k),
        distance_weights_(distance_weights),
        stored_(std::move(stored)),
        labels_(std::move(labels)),
        values_(std::move(values)),
        n_scores_(n_scores) {
    if (metric_ == Metric::kCosine)
      for (Index j = 0; j < stored_.rows(); ++j) to_unit(stored_.row(j).data(), stored_.cols(), stored_.row(j).data());
  }

  Capabilities capabilities() const noexcept override {
    Capabilities c = Estimator::capabilities();
    c.decision_function = false;  // scikit-learn's neighbour models have none
    return c;
  }

  void decision(const RowMatrixXd& X, RowMatrixXd& scores) const override {
    scores.resize(X.rows(), n_scores_);
    run(X, 0, X.rows(), scores);
  }
  void decision_threaded(const RowMatrixXd& X, RowMatrixXd& scores, Parallel parallel) const override {
    scores.resize(X.rows(), n_scores_);
    run_row_ranges(X.rows(), parallel, [&](Index begin, Index end) { run(X, begin, end, scores); }, kQueries);
  }
  Index n_scores() const noexcept override { return n_scores_; }

 private:
  static constexpr Index kQueries = 32;
  static constexpr Index kStored = 256;

  // The reduced distance the search compares (squared for euclidean, Σ|d|^p for minkowski).
  double reduced(const double* x, const double* y, Index n) const {
    double s = 0.0;
    switch (metric_) {
      case Metric::kEuclidean:
        for (Index f = 0; f < n; ++f) {
          const double d = x[f] - y[f];
          s += d * d;
        }
        return s;
      case Metric::kManhattan:
        for (Index f = 0; f < n; ++f) s += std::abs(x[f] - y[f]);
        return s;
      case Metric::kChebyshev:
        for (Index f = 0; f < n; ++f) s = std::max(s, std::abs(x[f] - y[f]));
        return s;
      case Metric::kMinkowski:
        for (Index f = 0; f < n; ++f) s += std::pow(std::abs(x[f] - y[f]), p_);
        return s;
      case Metric::kCosine:
        for (Index f = 0; f < n; ++f) s += x[f] * y[f];
        return std::min(std::max(1.0 - s, 0.0), 2.0);
    }
    return s;
  }
  double distance(double r) const {
    if (metric_ == Metric::kEuclidean) return std::sqrt(r);
    if (metric_ == Metric::kMinkowski) return std::pow(r, 1.0 / p_);
    return r;
  }

  void run(const RowMatrixXd& X, Index begin, Index end, RowMatrixXd& scores) const {
    const Index n = stored_.cols(), N = stored_.rows();
    std::vector<double> D(static_cast<std::size_t>(kQueries * kStored));
    std::vector<double> best_r(static_cast<std::size_t>(kQueries * k_));
    std::vector<Index> best_i(static_cast<std::size_t>(kQueries * k_));
    std::vector<Index> count(kQueries);
    RowMatrixXd unit(metric_ == Metric::kCosine ? kQueries : 0, n);
    for (Index q0 = begin; q0 < end; q0 += kQueries) {
      const Index nq = std::min(kQueries, end - q0);
      std::fill(count.begin(), count.end(), 0);
      for (Index q = 0; q < nq && metric_ == Metric::kCosine; ++q) to_unit(X.row(q0 + q).data(), n, unit.row(q).data());
      for (Index s0 = 0; s0 < N; s0 += kStored) {
        const Index ns = std::min(kStored, N - s0);
        for (Index q = 0; q < nq; ++q) {
          const double* x = metric_ == Metric::kCosine ? unit.row(q).data() : X.row(q0 + q).data();
          for (Index s = 0; s < ns; ++s) D[static_cast<std::size_t>(q * kStored + s)] = reduced(x, stored_.row(s0 + s).data(), n);
        }
        // Stored rows come in index order: a candidate enters only when strictly nearer than
        // the k-th so far, and goes after those at its own distance, so ties keep the lowest index.
        for (Index q = 0; q < nq; ++q) {
          double* r = best_r.data() + q * k_;
          Index* idx = best_i.data() + q * k_;
          Index& c = count[static_cast<std::size_t>(q)];
          for (Index s = 0; s < ns; ++s) {
            const double d = D[static_cast<std::size_t>(q * kStored + s)];
            if (c == k_ && !(d < r[k_ - 1])) continue;
            Index at = c < k_ ? c++ : k_ - 1;
            while (at > 0 && d < r[at - 1]) {
              r[at] = r[at - 1];
              idx[at] = idx[at - 1];
              --at;
            }
            r[at] = d;
            idx[at] = s0 + s;
          }
        }
      }
      for (Index q = 0; q < nq; ++q) combine(best_r.data() + q * k_, best_i.data() + q * k_, scores.row(q0 + q).data());
    }
  }

  // scikit-learn's _get_weights, then the class shares (predict_proba) or the targets' mean.
  void combine(const double* r, const Index* idx, double* out) const {
    thread_local std::vector<double> w;
    w.assign(static_cast<std::size_t>(k_), 1.0);
    if (distance_weights_) {
      bool zero = false;
      for (Index i = 0; i < k_; ++i) zero = zero || distance(r[i]) == 0.0;
      for (Index i = 0; i < k_; ++i) {
        const double d = distance(r[i]);
        w[static_cast<std::size_t>(i)] = zero ? (d == 0.0 ? 1.0 : 0.0) : 1.0 / d;
      }
    }
    if (!labels_.empty()) {
      std::fill(out, out + n_scores_, 0.0);
      for (Index i = 0; i < k_; ++i) out[labels_[static_cast<std::size_t>(idx[i])]] += w[static_cast<std::size_t>(i)];
      double total = 0.0;
      for (Index c = 0; c < n_scores_; ++c) total += out[c];
      if (total == 0.0) total = 1.0;
      for (Index c = 0; c < n_scores_; ++c) out[c] /= total;
      return;
    }
    for (Index j = 0; j < n_scores_; ++j) {
      double num = 0.0, den = 0.0;
      for (Index i = 0; i < k_; ++i) {
        const double y = values_(idx[i], j);
        num += distance_weights_ ? y * w[static_cast<std::size_t>(i)] : y;
        den += w[static_cast<std::size_t>(i)];
      }
      out[j] = distance_weights_ ? num / den : num / static_cast<double>(k_);
    }
  }

  Metric metric_;
  double p_;
  Index k_;
  bool distance_weights_;
  RowMatrixXd stored_;         // N x n (cosine: each row divided by its norm)
  std::vector<Index> labels_;  // classifiers: the class index of each stored row
  RowMatrixXd values_;         // regressors: N x outputs
  Index n_scores_;
};

Metric parse_metric(const StepInputs& in) {
  const std::string m = in.params().string("metric");
  if (m == "euclidean") return Metric::kEuclidean;
  if (m == "manhattan") return Metric::kManhattan;
  if (m == "chebyshev") return Metric::kChebyshev;
  if (m == "minkowski") return Metric::kMinkowski;
  if (m == "cosine") return Metric::kCosine;
  in.invalid(fmt::format("params.metric \"{}\" is not euclidean, manhattan, chebyshev, minkowski or cosine", m));
}

}  // namespace

std::unique_ptr<Estimator> make_nearest_neighbors(const StepInputs& in) {
  const artifact::Fields& p = in.params();
  const Metric metric = parse_metric(in);
  const double power = p.number("p");
  if (!std::isfinite(power) || power < 1.0) in.invalid("params.p must be a finite number >= 1");
  const std::string weights = p.string("weights");
  if (weights != "uniform" && weights != "distance") in.invalid("params.weights must be uniform or distance");
  const Link link = parse_link(p.string("link"), in.where());
  if (link != Link::kProbability && link != Link::kNone && link != Link::kIdentity)
    in.invalid("params.link must be probability, none or identity");
  const auto& shape = in.tensor_shape("train");
  if (shape.size() != 2 || shape[0] < 1) in.invalid("tensor train must be a matrix of at least one stored row");
  const auto N = static_cast<Index>(shape[0]);
  const std::int64_t k = p.int64("n_neighbors");
  if (k < 1 || k > N) in.invalid(fmt::format("params.n_neighbors must be between 1 and the {} stored rows", N));
  RowMatrixXd stored = in.matrix("train", N, in.n_features_in());
  if (!stored.allFinite()) in.invalid("tensor train has a value that is not finite");
  const Index c = in.n_features_out();
  std::vector<Index> labels;
  RowMatrixXd values;
  const bool classifier = link != Link::kIdentity;
  if (in.has_tensor("labels") != classifier || in.has_tensor("values") == classifier)
    in.invalid(classifier ? "a classifier (link probability or none) has tensor labels and no tensor values"
                          : "a regressor (link identity) has tensor values and no tensor labels");
  if (classifier) {
    if (c < 2) in.invalid("a classifier needs n_features_out >= 2, one score per class");
    for (std::int64_t v : in.int64_vector("labels", N)) {
      if (v < 0 || v >= c) in.invalid(fmt::format("tensor labels holds {}, not a class index in [0, {})", v, c));
      labels.push_back(static_cast<Index>(v));
    }
  } else {
    values = in.matrix("values", N, c);
    if (!values.allFinite()) in.invalid("tensor values has a value that is not finite");
  }
  return std::make_unique<NearestNeighbors>(link, metric, power, static_cast<Index>(k), weights == "distance",
                                            std::move(stored), std::move(labels), std::move(values), c);
}

}  // namespace detail
FERRY_END_NAMESPACE
