// scikit-learn's IterativeImputer (docs/format.md §4.51) with linear estimators and
// sample_posterior=False: the initial imputer's fill, then the fitted imputation_sequence_ in
// its order, each round predicting its feature's missing values from its neighbour features
// (x · coef + intercept, clipped to [min_value, max_value]), then the indicator columns.
#include <cmath>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "pipeline/registry.hpp"
#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

struct Round {
  Index feature;     // among the kept columns
  Index begin, end;  // its neighbours: neighbors_[begin, end)
  double intercept;
};

class IterativeImputer final : public Step {
 public:
  IterativeImputer(std::vector<Index> columns, Eigen::VectorXd fill, Eigen::VectorXd lo, Eigen::VectorXd hi,
                   std::vector<Round> rounds, std::vector<Index> neighbors, Eigen::VectorXd coef,
                   std::vector<Index> indicator)
      : columns_(std::move(columns)),
        fill_(std::move(fill)),
        lo_(std::move(lo)),
        hi_(std::move(hi)),
        rounds_(std::move(rounds)),
        neighbors_(std::move(neighbors)),
        coef_(std::move(coef)),
        indicator_(std::move(indicator)) {}

  // Row by row, as scikit-learn 1.2.1's transform: SimpleImputer's fill of the kept columns;
  // for each round whose feature is missing in the row, Σ_k z[neighbor_k] · coef_k summed left
  // to right from 0.0 (BayesianRidge & co.: X @ coef_ through the reference BLAS), + intercept,
  // np.clip'd; observed values are never changed.
  void transform(RowMatrixXd& X) const override {
    const auto kept = static_cast<Index>(columns_.size());
    const auto ind = static_cast<Index>(indicator_.size());
    RowMatrixXd out(X.rows(), kept + ind);
    std::vector<char> missing(static_cast<std::size_t>(kept));
    for (Index i = 0; i < X.rows(); ++i) {
      double* z = out.row(i).data();
      for (Index c = 0; c < kept; ++c) {
        const double v = X(i, columns_[static_cast<std::size_t>(c)]);
        missing[static_cast<std::size_t>(c)] = std::isnan(v) ? 1 : 0;
        z[c] = std::isnan(v) ? fill_[c] : v;
      }
      for (const Round& r : rounds_) {
        if (!missing[static_cast<std::size_t>(r.feature)]) continue;
        double s = 0.0;
        for (Index k = r.begin; k < r.end; ++k) s += z[neighbors_[static_cast<std::size_t>(k)]] * coef_[k];
        double v = s + r.intercept;
        v = v > lo_[r.feature] ? v : lo_[r.feature];  // np.clip: minimum(maximum(v, lo), hi), numpy's
        v = v < hi_[r.feature] ? v : hi_[r.feature];  // comparisons (a tie keeps the bound)
        z[r.feature] = v;
      }
      for (Index c = 0; c < ind; ++c) z[kept + c] = std::isnan(X(i, indicator_[static_cast<std::size_t>(c)])) ? 1.0 : 0.0;
    }
    X = std::move(out);
  }

  // A kept column that some round imputes mixes the columns of its neighbours; a kept column
  // no round imputes (skip_complete) is its own column or its fill; an indicator reads its
  // column.
  std::vector<Index> source_columns(Index /*n_in*/) const override {
    std::vector<Index> s;
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      bool imputed = false;
      for (const Round& r : rounds_) imputed = imputed || r.feature == static_cast<Index>(c);
      s.push_back(imputed ? -1 : columns_[c]);
    }
    s.insert(s.end(), indicator_.begin(), indicator_.end());
    return s;
  }

 private:
  std::vector<Index> columns_;  // the kept input columns (not all-missing at fit), ascending
  Eigen::VectorXd fill_;        // initial_imputer_.statistics_ of the kept columns
  Eigen::VectorXd lo_, hi_;     // _min_value, _max_value (infinite ones stored as ∓DBL_MAX)
  std::vector<Round> rounds_;
  std::vector<Index> neighbors_;
  Eigen::VectorXd coef_;
  std::vector<Index> indicator_;  // input columns with an indicator column
};

}  // namespace

std::unique_ptr<Step> make_iterative_imputer(const StepInputs& in) {
  const Index n = in.n_features_in();
  const artifact::Fields& p = in.params();
  const std::int64_t n_kept = p.int64("n_kept"), n_rounds = p.int64("n_rounds"), n_links = p.int64("n_links");
  constexpr std::int64_t kMax = std::int64_t{1} << 24;
  if (n_kept < 1 || n_kept > n) in.invalid("params.n_kept must be an integer in [1, n_features_in]");
  if (n_rounds < 0 || n_rounds > kMax) in.invalid("params.n_rounds must be an integer in [0, 2^24]");
  if (n_links < 0 || n_links > kMax) in.invalid("params.n_links must be an integer in [0, 2^24]");
  const bool add_indicator = p.boolean("add_indicator");
  const auto kept = static_cast<Index>(n_kept), R = static_cast<Index>(n_rounds), L = static_cast<Index>(n_links);
  const Index ind = in.n_features_out() - kept;
  if (ind < 0 || (!add_indicator && ind != 0))
    in.invalid("n_features_out must be n_kept, plus the indicator columns with add_indicator");
  if (in.has_tensor("indicator_features") != add_indicator)
    in.invalid("tensor \"indicator_features\" must be present exactly when add_indicator");
  std::vector<Index> columns = in.column_indices("columns", kept, n);
  Eigen::VectorXd fill = in.vector("fill", kept);
  Eigen::VectorXd lo = in.vector("min_value", kept), hi = in.vector("max_value", kept);
  for (Index c = 0; c < kept; ++c)
    if (!(lo[c] < hi[c])) in.invalid(fmt::format("min_value[{}] must be below max_value[{}]", c, c));
  const std::vector<std::int64_t> feature = in.int64_vector("feature", R);
  const std::vector<std::int64_t> offsets = in.int64_vector("offsets", R + 1);
  const std::vector<std::int64_t> raw_neighbors = in.int64_vector("neighbors", L);
  Eigen::VectorXd coef = in.vector("coef", L);
  Eigen::VectorXd intercept = in.vector("intercept", R);
  if (offsets[0] != 0 || offsets[static_cast<std::size_t>(R)] != n_links)
    in.invalid("tensor role \"offsets\" must start at 0 and end at n_links");
  std::vector<Round> rounds;
  for (Index r = 0; r < R; ++r) {
    const auto u = static_cast<std::size_t>(r);
    if (feature[u] < 0 || feature[u] >= n_kept)
      in.invalid(fmt::format("tensor role \"feature\" has {} at [{}], outside [0, {})", feature[u], r, n_kept));
    if (offsets[u + 1] < offsets[u]) in.invalid(fmt::format("tensor role \"offsets\" decreases at [{}]", r + 1));
    rounds.push_back({static_cast<Index>(feature[u]), static_cast<Index>(offsets[u]),
                      static_cast<Index>(offsets[u + 1]), intercept[r]});
  }
  std::vector<Index> neighbors;
  for (Index k = 0; k < L; ++k) {
    const std::int64_t v = raw_neighbors[static_cast<std::size_t>(k)];
    if (v < 0 || v >= n_kept) in.invalid(fmt::format("tensor role \"neighbors\" has {} at [{}], outside [0, {})", v, k, n_kept));
    neighbors.push_back(static_cast<Index>(v));
  }
  std::vector<Index> indicator;
  if (add_indicator) indicator = in.column_indices("indicator_features", ind, n);
  return std::make_unique<IterativeImputer>(std::move(columns), std::move(fill), std::move(lo), std::move(hi),
                                            std::move(rounds), std::move(neighbors), std::move(coef),
                                            std::move(indicator));
}

}  // namespace detail
FERRY_END_NAMESPACE
