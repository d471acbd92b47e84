// RadiusNeighborsClassifier and RadiusNeighborsRegressor (docs/format.md §4.44): every stored
// row whose distance is at most the radius (models/neighbor_search.hpp), in stored order, then
// scikit-learn 1.2's weights and class shares or target means. A row with no stored row within
// the radius gets the outlier class when the classifier has one; otherwise it is a value error
// naming the row: the classifier without outlier_label, where scikit-learn raises ValueError,
// and the regressor, where scikit-learn predicts NaN with a warning (ferry gives no NaN as an
// answer). Memory: the stored rows and their labels or targets; per query, the indices and
// distances of the rows within the radius.
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "ferry/error.hpp"
#include "models/neighbor_search.hpp"
#include "models/registry.hpp"
#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

class RadiusNeighbors final : public Estimator {
 public:
  RadiusNeighbors(Link link, SearchParams search, double radius, bool distance_weights, std::vector<Index> labels,
                  Index outlier_class, RowMatrixXd values, Index n_scores, std::string where)
      : Estimator(link),
        search_(search.metric, search.p, search.k, std::move(search.stored)),
        reduced_radius_(search_.reduce(radius)),
        distance_weights_(distance_weights),
        labels_(std::move(labels)),
        outlier_class_(outlier_class),
        values_(std::move(values)),
        n_scores_(n_scores),
        where_(std::move(where)) {}

  Capabilities capabilities() const noexcept override {
    Capabilities c = Estimator::capabilities();
    c.decision_function = false;
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
    search_.within(X, begin, end, reduced_radius_, [&](Index q, Index count, const double* r, const Index* idx) {
      combine(q, count, r, idx, scores.row(q).data());
    });
  }

  void combine(Index q, Index count, const double* r, const Index* idx, double* out) const {
    if (count == 0) {
      if (labels_.empty())
        throw Error(ErrorCode::kValue, fmt::format("row {}: no stored row within the radius of {} (scikit-learn "
                                                   "predicts NaN for it with a warning; ferry refuses the row)",
                                                   q, where_));
      if (outlier_class_ < 0)
        throw Error(ErrorCode::kValue, fmt::format("row {}: no stored row within the radius of {} (scikit-learn "
                                                   "raises ValueError; fit with outlier_label to classify such rows)",
                                                   q, where_));
      std::fill(out, out + n_scores_, 0.0);
      out[outlier_class_] = 1.0;
      return;
    }
    vote(search_, distance_weights_, labels_, values_, n_scores_, count, r, idx, out);
  }

  NeighborSearch search_;
  double reduced_radius_;
  bool distance_weights_;
  std::vector<Index> labels_;
  Index outlier_class_;  // -1: none
  RowMatrixXd values_;
  Index n_scores_;
  std::string where_;
};

}  // namespace

std::unique_ptr<Estimator> make_radius_neighbors(const StepInputs& in) {
  const artifact::Fields& p = in.params();
  const double radius = p.number("radius");
  if (!std::isfinite(radius) || radius < 0.0) in.invalid("params.radius must be a finite number >= 0");
  const std::string weights = p.string("weights");
  if (weights != "uniform" && weights != "distance") in.invalid("params.weights must be uniform or distance");
  const Link link = parse_link(p.string("link"), in.where());
  if (link != Link::kProbability && link != Link::kIdentity) in.invalid("params.link must be probability or identity");
  SearchParams search = search_params(in);
  const Index N = search.stored.rows(), c = in.n_features_out();
  const bool classifier = link == Link::kProbability;
  if (in.has_tensor("labels") != classifier || in.has_tensor("values") == classifier)
    in.invalid(classifier ? "a classifier (link probability) has tensor labels and no tensor values"
                          : "a regressor (link identity) has tensor values and no tensor labels");
  const std::int64_t outlier = p.int64("outlier_class");
  if (outlier < -1 || outlier >= c || (!classifier && outlier != -1))
    in.invalid("params.outlier_class must be -1 or, for a classifier, a class index");
  std::vector<Index> labels;
  RowMatrixXd values;
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
  return std::make_unique<RadiusNeighbors>(link, std::move(search), radius, weights == "distance", std::move(labels),
                                           static_cast<Index>(outlier), std::move(values), c, in.where());
}

}  // namespace detail
FERRY_END_NAMESPACE
