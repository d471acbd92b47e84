// scikit-learn's MultiOutputRegressor and RegressorChain (docs/format.md §4.38): one regressor
// sub-model per output; in a chain each also takes the predictions of those before it, and the
// outputs are put back in target order.
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "models/composition.hpp"
#include "models/registry.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

class Chain final : public Estimator {
 public:
  Chain(std::vector<SubModel> subs, bool chained, std::vector<Index> column_of)
      : Estimator(Link::kIdentity), subs_(std::move(subs)), chained_(chained), column_of_(std::move(column_of)) {}

  Capabilities capabilities() const noexcept override { return {}; }

  void decision(const RowMatrixXd& X, RowMatrixXd& scores) const override {
    const auto m = static_cast<Index>(subs_.size());
    RowMatrixXd chain = RowMatrixXd::Zero(X.rows(), m), input, s, v;
    if (chained_) {
      input.resize(X.rows(), X.cols() + m);
      input.leftCols(X.cols()) = X;
    }
    for (Index e = 0; e < m; ++e) {
      const SubModel& sub = subs_[static_cast<std::size_t>(e)];
      if (chained_) {
        // np.hstack((X, Y_pred_chain[:, :e]))
        const RowMatrixXd augmented = input.leftCols(X.cols() + e);
        sub.scores(augmented, s);
      } else {
        sub.scores(X, s);
      }
      sub.values(s, v);
      chain.col(e) = v.col(0);
      if (chained_) input.col(X.cols() + e) = v.col(0);
    }
    scores.resize(X.rows(), m);
    for (Index k = 0; k < m; ++k) scores.col(k) = chain.col(column_of_[static_cast<std::size_t>(k)]);
  }
  Index n_scores() const noexcept override { return static_cast<Index>(subs_.size()); }

 private:
  std::vector<SubModel> subs_;
  bool chained_;
  std::vector<Index> column_of_;  // output k is the prediction of sub-model column_of_[k]
};

}  // namespace

std::unique_ptr<Estimator> make_chain(const StepInputs& in) {
  const artifact::Fields& p = in.params();
  const bool chained = p.boolean("chained");
  const nlohmann::json& entries = p.array("estimators");
  const auto m = static_cast<Index>(entries.size());
  if (m < 1) in.invalid("params.estimators is empty");
  if (in.n_features_out() != m) in.invalid("n_features_out must equal the number of sub-models");
  // order[e]: the target sub-model e predicts, a permutation of 0 .. m-1.
  const std::vector<std::int64_t> order = in.int64_vector("order", m);
  std::vector<Index> column_of(static_cast<std::size_t>(m), -1);
  for (Index e = 0; e < m; ++e) {
    const std::int64_t t = order[static_cast<std::size_t>(e)];
    if (t < 0 || t >= m || column_of[static_cast<std::size_t>(t)] >= 0)
      in.invalid("tensor order must be a permutation of 0 .. n_features_out - 1");
    column_of[static_cast<std::size_t>(t)] = e;
  }
  std::vector<std::string> names = in.names_in();
  std::vector<SubModel> subs;
  for (Index e = 0; e < m; ++e) {
    subs.push_back(build_sub_model(in, entries[static_cast<std::size_t>(e)],
                                   fmt::format("{}.params.estimators[{}]", in.path(), e), names));
    require_sub_model(in, subs.back(), Task::kRegression, 1);
    if (chained) names.push_back(fmt::format("chain{}", e));
  }
  return std::make_unique<Chain>(std::move(subs), chained, std::move(column_of));
}

}  // namespace detail
FERRY_END_NAMESPACE
