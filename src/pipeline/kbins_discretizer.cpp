// scikit-learn's KBinsDiscretizer: the bin of x is np.searchsorted(bin_edges[j][1:-1], x,
// side="right"), i.e. the number of inner edges <= x, which is 0 below the first edge and
// n_bins - 1 above the last (values outside the training range land in the outer bins).
// encode "ordinal" writes the bin index; "onehot-dense" writes n_bins columns per feature
// with 1.0 at the bin. The strategy (uniform, quantile, kmeans) only chose the edges.
#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "pipeline/registry.hpp"
#include "pipeline/step_inputs.hpp"
#include "spec_limits.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

class KBinsDiscretizer final : public Step {
 public:
  KBinsDiscretizer(bool onehot, std::vector<Index> n_bins, Eigen::VectorXd edges, Index n_out)
      : onehot_(onehot), n_bins_(std::move(n_bins)), edges_(std::move(edges)), n_out_(n_out) {
    offsets_.reserve(n_bins_.size() + 1);
    offsets_.push_back(0);
    for (Index b : n_bins_) offsets_.push_back(offsets_.back() + b - 1);
  }

  void transform(RowMatrixXd& X) const override {
    const auto n = static_cast<Index>(n_bins_.size());
    const double* edges = edges_.data();
    if (!onehot_) {
      for (Index i = 0; i < X.rows(); ++i) {
        double* row = X.row(i).data();
        for (Index j = 0; j < n; ++j) row[j] = static_cast<double>(bin(edges, j, row[j]));
      }
      return;
    }
    RowMatrixXd out = RowMatrixXd::Zero(X.rows(), n_out_);
    for (Index i = 0; i < X.rows(); ++i) {
      const double* row = X.row(i).data();
      double* o = out.row(i).data();
      for (Index j = 0; j < n; ++j) {
        o[bin(edges, j, row[j])] = 1.0;
        o += n_bins_[static_cast<std::size_t>(j)];
      }
    }
    X.swap(out);
  }

  std::vector<Index> source_columns(Index n_in) const override {
    if (!onehot_) return same_columns(n_in);
    std::vector<Index> s;
    for (std::size_t j = 0; j < n_bins_.size(); ++j)
      s.insert(s.end(), static_cast<std::size_t>(n_bins_[j]), static_cast<Index>(j));
    return s;
  }

 private:
  // searchsorted(side="right"): the first inner edge greater than x.
  Index bin(const double* edges, Index j, double x) const {
    const double* first = edges + offsets_[static_cast<std::size_t>(j)];
    const double* last = edges + offsets_[static_cast<std::size_t>(j) + 1];
    return static_cast<Index>(std::upper_bound(first, last, x) - first);
  }

  bool onehot_;
  std::vector<Index> n_bins_;
  std::vector<Index> offsets_;  // feature j's inner edges are edges_[offsets_[j], offsets_[j + 1])
  Eigen::VectorXd edges_;
  Index n_out_;
};

// Each count fits easily: the total is bounded by the edges tensor (ordinal) or n_features_out.
using spec::kMaxBins;

}  // namespace

std::unique_ptr<Step> make_kbins_discretizer(const StepInputs& in) {
  const Index n = in.n_features_in();
  const std::string encode = in.params().string("encode");
  if (encode != "ordinal" && encode != "onehot-dense")
    in.invalid(fmt::format("params.encode \"{}\" is not \"ordinal\" or \"onehot-dense\"", encode));
  const bool onehot = encode == "onehot-dense";
  const nlohmann::json& counts = in.params().array("n_bins");
  if (static_cast<Index>(counts.size()) != n) in.invalid("params.n_bins must hold one count per input column");
  std::vector<Index> n_bins;
  n_bins.reserve(counts.size());
  Index total = 0;  // bins over all columns
  for (std::size_t j = 0; j < counts.size(); ++j) {
    const nlohmann::json& c = counts[j];
    if (!c.is_number_integer() || c.get<std::int64_t>() < 1 || c.get<std::int64_t>() > kMaxBins)
      in.invalid(fmt::format("params.n_bins[{}] must be an integer in [1, {}]", j, kMaxBins));
    n_bins.push_back(static_cast<Index>(c.get<std::int64_t>()));
    total += n_bins.back();
  }
  const Index n_out = onehot ? total : n;
  if (in.n_features_out() != n_out)
    in.invalid(fmt::format("n_features_out is {} but encode \"{}\" with these n_bins gives {}", in.n_features_out(),
                           encode, n_out));
  Eigen::VectorXd edges = in.vector("edges", total - n);
  Index at = 0;
  for (std::size_t j = 0; j < n_bins.size(); ++j) {
    for (Index b = 1; b + 1 < n_bins[j]; ++b)
      if (edges[at + b] < edges[at + b - 1])
        in.invalid(fmt::format("tensor role \"edges\" decreases at [{}] (column {})", at + b, j));
    at += n_bins[j] - 1;
  }
  return std::make_unique<KBinsDiscretizer>(onehot, std::move(n_bins), std::move(edges), n_out);
}

}  // namespace detail
FERRY_END_NAMESPACE
