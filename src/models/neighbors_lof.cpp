// LocalOutlierFactor(novelty=True) (docs/format.md §4.43): the k nearest stored rows
// (models/neighbor_search.hpp), their reachability distances max(d, k_distance), the row's local
// reachability density 1 / (mean + 1e-10), score_samples = -mean(lrd[neighbour] / lrd(x)) and
// decision_function = score_samples - offset, scikit-learn 1.2's arithmetic in neighbour order.
// predict is the isolation link's: 1 where decision_function >= 0, else -1.
#include <cmath>
#include <utility>

#include "models/neighbor_search.hpp"
#include "models/registry.hpp"
#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

class LocalOutlierFactor final : public Estimator {
 public:
  LocalOutlierFactor(SearchParams search, Eigen::VectorXd k_distance, Eigen::VectorXd lrd, double offset)
      : Estimator(Link::kIsolation),
        search_(search.metric, search.p, search.k, std::move(search.stored)),
        k_distance_(std::move(k_distance)),
        lrd_(std::move(lrd)),
        offset_(offset) {}

  void decision(const RowMatrixXd& X, RowMatrixXd& scores) const override {
    scores.resize(X.rows(), 1);
    run(X, 0, X.rows(), scores);
  }
  void decision_threaded(const RowMatrixXd& X, RowMatrixXd& scores, Parallel parallel) const override {
    scores.resize(X.rows(), 1);
    run_row_ranges(X.rows(), parallel, [&](Index begin, Index end) { run(X, begin, end, scores); },
                   NeighborSearch::kQueries);
  }
  Index n_scores() const noexcept override { return 1; }

 private:
  void run(const RowMatrixXd& X, Index begin, Index end, RowMatrixXd& scores) const {
    const Index k = search_.k();
    search_.search(X, begin, end, [&](Index q, const double* r, const Index* idx) {
      double reach = 0.0;
      for (Index i = 0; i < k; ++i) reach += std::max(search_.distance(r[i]), k_distance_[idx[i]]);
      const double lrd_x = 1.0 / (reach / static_cast<double>(k) + 1e-10);
      double ratios = 0.0;
      for (Index i = 0; i < k; ++i) ratios += lrd_[idx[i]] / lrd_x;
      scores(q, 0) = -(ratios / static_cast<double>(k)) - offset_;
    });
  }

  NeighborSearch search_;
  Eigen::VectorXd k_distance_;  // each stored row's distance to its k-th neighbour at fit
  Eigen::VectorXd lrd_;         // each stored row's local reachability density at fit
  double offset_;
};

}  // namespace

std::unique_ptr<Estimator> make_local_outlier_factor(const StepInputs& in) {
  if (parse_link(in.params().string("link"), in.where()) != Link::kIsolation) in.invalid("params.link must be isolation");
  if (in.n_features_out() != 1) in.invalid("n_features_out must be 1 (decision_function)");
  const double offset = in.params().number("offset");
  if (!std::isfinite(offset)) in.invalid("params.offset must be finite");
  SearchParams search = search_params(in);
  const Index N = search.stored.rows();
  Eigen::VectorXd k_distance = in.vector("k_distance", N);
  if (!k_distance.allFinite() || (k_distance.array() < 0.0).any())
    in.invalid("tensor k_distance must hold finite values >= 0");
  Eigen::VectorXd lrd = in.vector("lrd", N);
  if (!lrd.allFinite() || (lrd.array() <= 0.0).any()) in.invalid("tensor lrd must hold finite values > 0");
  return std::make_unique<LocalOutlierFactor>(std::move(search), std::move(k_distance), std::move(lrd), offset);
}

}  // namespace detail
FERRY_END_NAMESPACE
