// The brute-force search of the neighbour estimators (docs/format.md §4.42 - §4.44): the k stored
// rows nearest to each query by a metric, a tie at the k-th place to the lowest stored index, or
// every stored row within a radius (within(), row by row, in stored order). Queries go in blocks of kQueries rows against blocks of kStored stored rows, so a block of
// stored rows is read from cache by every query of the block. Memory: the stored rows (N x n
// doubles); per call, one kQueries x kStored block of reduced distances and k candidates per
// query.
#ifndef FERRY_SRC_MODELS_NEIGHBOR_SEARCH_HPP
#define FERRY_SRC_MODELS_NEIGHBOR_SEARCH_HPP

#include <algorithm>
#include <string>
#include <vector>

#include "ferry/matrix.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {

class StepInputs;

enum class Metric { kEuclidean, kManhattan, kChebyshev, kMinkowski, kCosine };

class NeighborSearch {
 public:
  static constexpr Index kQueries = 32;
  static constexpr Index kStored = 256;

  // stored: N x n rows (cosine: divided by their norms here, as scikit-learn normalises them).
  NeighborSearch(Metric metric, double p, Index k, RowMatrixXd stored);

  // For each query row q in [begin, end): found(q, r, idx) with its k neighbours in increasing
  // reduced distance r (ties in stored-index order) and their stored indices idx.
  template <typename Found>
  void search(const RowMatrixXd& X, Index begin, Index end, Found&& found) const;

  // For each query row q in [begin, end): found(q, count, r, idx) with every stored row whose
  // reduced distance is at most reduced_radius, in stored-index order.
  template <typename Found>
  void within(const RowMatrixXd& X, Index begin, Index end, double reduced_radius, Found&& found) const;

  // The distance from a reduced distance (sqrt for euclidean, r^(1/p) for minkowski), and back.
  double distance(double r) const noexcept;
  double reduce(double d) const noexcept;
  Index k() const noexcept { return k_; }
  Index stored_rows() const noexcept { return stored_.rows(); }

 private:
  double reduced(const double* x, const double* y, Index n) const noexcept;
  // Adds the stored rows [s0, s0 + ns) of the block D (kQueries x kStored) to the candidates.
  void keep(const double* D, Index nq, Index s0, Index ns, double* best_r, Index* best_i, Index* count) const;

  Metric metric_;
  double p_;
  Index k_;
  RowMatrixXd stored_;
};

// scikit-learn 1.2's vote of `count` neighbours (reduced distances r, stored indices idx), shared
// by the k- and radius-neighbour estimators: _get_weights (1 / distance with distance weights,
// only the exact matches when one lies at distance 0), then a classifier's class shares (labels:
// the class of each stored row) or a regressor's (weighted) target means (values: N x outputs).
// Writes n_scores values to out.
void vote(const NeighborSearch& search, bool distance_weights, const std::vector<Index>& labels,
          const RowMatrixXd& values, Index n_scores, Index count, const double* r, const Index* idx, double* out);

// The metric, p and n_neighbors of a neighbour estimator's params, checked against its stored
// rows (the tensor "train"): format errors naming the estimator.
struct SearchParams {
  Metric metric;
  double p;
  Index k;
  RowMatrixXd stored;
};
SearchParams search_params(const StepInputs& in);

// |x| as sklearn.preprocessing.normalize divides by it (a zero row stays zero).
void to_unit(const double* x, Index n, double* out) noexcept;

template <typename Found>
void NeighborSearch::search(const RowMatrixXd& X, Index begin, Index end, Found&& found) const {
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
        for (Index s = 0; s < ns; ++s)
          D[static_cast<std::size_t>(q * kStored + s)] = reduced(x, stored_.row(s0 + s).data(), n);
      }
      keep(D.data(), nq, s0, ns, best_r.data(), best_i.data(), count.data());
    }
    for (Index q = 0; q < nq; ++q) found(q0 + q, best_r.data() + q * k_, best_i.data() + q * k_);
  }
}

template <typename Found>
void NeighborSearch::within(const RowMatrixXd& X, Index begin, Index end, double reduced_radius, Found&& found) const {
  const Index n = stored_.cols(), N = stored_.rows();
  std::vector<double> r;
  std::vector<Index> idx;
  std::vector<double> unit(metric_ == Metric::kCosine ? static_cast<std::size_t>(n) : 0);
  for (Index q = begin; q < end; ++q) {
    const double* x = X.row(q).data();
    if (metric_ == Metric::kCosine) {
      to_unit(x, n, unit.data());
      x = unit.data();
    }
    r.clear();
    idx.clear();
    for (Index s = 0; s < N; ++s) {
      const double d = reduced(x, stored_.row(s).data(), n);
      if (d <= reduced_radius) {
        r.push_back(d);
        idx.push_back(s);
      }
    }
    found(q, static_cast<Index>(idx.size()), r.data(), idx.data());
  }
}

}  // namespace detail
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_MODELS_NEIGHBOR_SEARCH_HPP
