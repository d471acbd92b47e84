// KNeighborsClassifier, KNeighborsRegressor and NearestCentroid (docs/format.md §4.42): brute
// force over the stored rows, the k nearest by the metric, a tie at the k-th place to the lowest
// stored index (models/neighbor_search.hpp); then scikit-learn 1.2's weights, class shares or
// target means. Memory: the stored rows and their labels or targets.
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "models/neighbor_search.hpp"
#include "models/registry.hpp"
#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

class NearestNeighbors final : public Estimator {
 public:
  NearestNeighbors(Link link, SearchParams search, bool distance_weights, std::vector<Index> labels,
                   RowMatrixXd values, Index n_scores)
      : Estimator(link),
        search_(search.metric, search.p, search.k, std::move(search.stored)),
        k_(search.k),
        distance_weights_(distance_weights),
        labels_(std::move(labels)),
        values_(std::move(values)),
        n_scores_(n_scores) {}

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
    run_row_ranges(X.rows(), parallel, [&](Index begin, Index end) { run(X, begin, end, scores); },
                   NeighborSearch::kQueries);
  }
  Index n_scores() const noexcept override { return n_scores_; }

 private:
  void run(const RowMatrixXd& X, Index begin, Index end, RowMatrixXd& scores) const {
    search_.search(X, begin, end, [&](Index q, const double* r, const Index* idx) {
      vote(search_, distance_weights_, labels_, values_, n_scores_, k_, r, idx, scores.row(q).data());
    });
  }

  NeighborSearch search_;
  Index k_;
  bool distance_weights_;
  std::vector<Index> labels_;  // classifiers: the class index of each stored row
  RowMatrixXd values_;         // regressors: N x outputs
  Index n_scores_;
};

}  // namespace

std::unique_ptr<Estimator> make_nearest_neighbors(const StepInputs& in) {
  const artifact::Fields& p = in.params();
  const std::string weights = p.string("weights");
  if (weights != "uniform" && weights != "distance") in.invalid("params.weights must be uniform or distance");
  const Link link = parse_link(p.string("link"), in.where());
  if (link != Link::kProbability && link != Link::kNone && link != Link::kIdentity)
    in.invalid("params.link must be probability, none or identity");
  SearchParams search = search_params(in);
  const Index N = search.stored.rows();
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
  return std::make_unique<NearestNeighbors>(link, std::move(search), weights == "distance", std::move(labels),
                                            std::move(values), c);
}

}  // namespace detail
FERRY_END_NAMESPACE
