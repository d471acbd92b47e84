#include "models/neighbor_search.hpp"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {

void to_unit(const double* x, Index n, double* out) noexcept {
  double s = 0.0;
  for (Index f = 0; f < n; ++f) s += x[f] * x[f];
  double norm = std::sqrt(s);
  if (norm == 0.0) norm = 1.0;
  for (Index f = 0; f < n; ++f) out[f] = x[f] / norm;
}

NeighborSearch::NeighborSearch(Metric metric, double p, Index k, RowMatrixXd stored)
    : metric_(metric), p_(p), k_(k), stored_(std::move(stored)) {
  if (metric_ == Metric::kCosine)
    for (Index j = 0; j < stored_.rows(); ++j) to_unit(stored_.row(j).data(), stored_.cols(), stored_.row(j).data());
}

double NeighborSearch::reduced(const double* x, const double* y, Index n) const noexcept {
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

double NeighborSearch::distance(double r) const noexcept {
  if (metric_ == Metric::kEuclidean) return std::sqrt(r);
  if (metric_ == Metric::kMinkowski) return std::pow(r, 1.0 / p_);
  return r;
}

double NeighborSearch::reduce(double d) const noexcept {
  if (metric_ == Metric::kEuclidean) return d * d;
  if (metric_ == Metric::kMinkowski) return std::pow(d, p_);
  return d;
}

// Stored rows come in index order: a candidate enters only when strictly nearer than the k-th
// so far, and goes after those at its own distance, so ties keep the lowest index.
void NeighborSearch::keep(const double* D, Index nq, Index s0, Index ns, double* best_r, Index* best_i,
                          Index* count) const {
  for (Index q = 0; q < nq; ++q) {
    double* r = best_r + q * k_;
    Index* idx = best_i + q * k_;
    Index& c = count[q];
    for (Index s = 0; s < ns; ++s) {
      const double d = D[q * kStored + s];
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

SearchParams search_params(const StepInputs& in) {
  const artifact::Fields& p = in.params();
  const std::string m = p.string("metric");
  Metric metric;
  if (m == "euclidean")
    metric = Metric::kEuclidean;
  else if (m == "manhattan")
    metric = Metric::kManhattan;
  else if (m == "chebyshev")
    metric = Metric::kChebyshev;
  else if (m == "minkowski")
    metric = Metric::kMinkowski;
  else if (m == "cosine")
    metric = Metric::kCosine;
  else
    in.invalid(fmt::format("params.metric \"{}\" is not euclidean, manhattan, chebyshev, minkowski or cosine", m));
  const double power = p.number("p");
  if (!std::isfinite(power) || power < 1.0) in.invalid("params.p must be a finite number >= 1");
  const auto& shape = in.tensor_shape("train");
  if (shape.size() != 2 || shape[0] < 1) in.invalid("tensor train must be a matrix of at least one stored row");
  const auto N = static_cast<Index>(shape[0]);
  const std::int64_t k = p.has("n_neighbors") ? p.int64("n_neighbors") : 1;  // radius_neighbors has none
  if (k < 1 || k > N) in.invalid(fmt::format("params.n_neighbors must be between 1 and the {} stored rows", N));
  RowMatrixXd stored = in.matrix("train", N, in.n_features_in());
  if (!stored.allFinite()) in.invalid("tensor train has a value that is not finite");
  return {metric, power, static_cast<Index>(k), std::move(stored)};
}

void vote(const NeighborSearch& search, bool distance_weights, const std::vector<Index>& labels,
          const RowMatrixXd& values, Index n_scores, Index count, const double* r, const Index* idx, double* out) {
  thread_local std::vector<double> w;
  w.assign(static_cast<std::size_t>(count), 1.0);
  if (distance_weights) {
    bool zero = false;
    for (Index i = 0; i < count; ++i) zero = zero || search.distance(r[i]) == 0.0;
    for (Index i = 0; i < count; ++i) {
      const double d = search.distance(r[i]);
      w[static_cast<std::size_t>(i)] = zero ? (d == 0.0 ? 1.0 : 0.0) : 1.0 / d;
    }
  }
  if (!labels.empty()) {
    std::fill(out, out + n_scores, 0.0);
    for (Index i = 0; i < count; ++i) out[labels[static_cast<std::size_t>(idx[i])]] += w[static_cast<std::size_t>(i)];
    double total = 0.0;
    for (Index c = 0; c < n_scores; ++c) total += out[c];
    if (total == 0.0) total = 1.0;
    for (Index c = 0; c < n_scores; ++c) out[c] /= total;
    return;
  }
  for (Index j = 0; j < n_scores; ++j) {
    double num = 0.0, den = 0.0;
    for (Index i = 0; i < count; ++i) {
      const double y = values(idx[i], j);
      num += distance_weights ? y * w[static_cast<std::size_t>(i)] : y;
      den += w[static_cast<std::size_t>(i)];
    }
    out[j] = distance_weights ? num / den : num / static_cast<double>(count);
  }
}

}  // namespace detail
FERRY_END_NAMESPACE
