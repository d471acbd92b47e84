// scikit-learn's SimpleImputer (missing_values=np.nan): NaN -> the column's fill value;
// columns that were all-missing at fit (statistics_ NaN) are dropped, as scikit-learn does
// for every strategy but "constant" unless keep_empty_features; with add_indicator, the
// 0/1 missing indicators of the indicated columns follow. A text column's fill value is a
// string (params.text_fill), resolved once to its code in the column's vocabulary; the kept
// columns stay text for the steps after this one.
#include <cmath>
#include <string>
#include <vector>

#include "pipeline/registry.hpp"
#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

class SimpleImputer final : public Step {
 public:
  SimpleImputer(std::vector<Index> kept, std::vector<double> fill, std::vector<Index> indicated)
      : kept_(std::move(kept)), fill_(std::move(fill)), indicated_(std::move(indicated)) {}

  std::vector<Index> copied_columns() const override {
    std::vector<Index> copied = kept_;
    copied.resize(kept_.size() + indicated_.size(), -1);
    return copied;
  }

  void transform(RowMatrixXd& X) const override {
    const Index n_kept = static_cast<Index>(kept_.size());
    const Index n_out = n_kept + static_cast<Index>(indicated_.size());
    RowMatrixXd Y(X.rows(), n_out);
    for (Index i = 0; i < X.rows(); ++i) {
      const double* in = X.row(i).data();
      double* out = Y.row(i).data();
      for (Index t = 0; t < n_kept; ++t) {
        const double v = in[kept_[static_cast<std::size_t>(t)]];
        out[t] = std::isnan(v) ? fill_[static_cast<std::size_t>(t)] : v;
      }
      for (std::size_t t = 0; t < indicated_.size(); ++t)
        out[n_kept + static_cast<Index>(t)] = std::isnan(in[indicated_[t]]) ? 1.0 : 0.0;
    }
    X.swap(Y);
  }

  // A kept column and its indicator both come from the one input column.
  std::vector<Index> source_columns(Index /*n_in*/) const override {
    std::vector<Index> s = kept_;
    s.insert(s.end(), indicated_.begin(), indicated_.end());
    return s;
  }

 private:
  std::vector<Index> kept_;       // input columns kept, increasing
  std::vector<double> fill_;      // fill value of each kept column
  std::vector<Index> indicated_;  // input columns with an indicator, increasing
};

}  // namespace

std::unique_ptr<Step> make_simple_imputer(const StepInputs& in) {
  const Index n = in.n_features_in();
  const std::string strategy = in.params().string("strategy");
  if (strategy != "mean" && strategy != "median" && strategy != "most_frequent" && strategy != "constant")
    in.invalid("unknown strategy \"" + strategy + "\" (expected mean, median, most_frequent or constant)");
  const bool add_indicator = in.params().boolean("add_indicator");
  const std::vector<std::int64_t> keep = in.int64_vector("keep", n);
  const Eigen::VectorXd statistics = in.vector("statistics", n);
  const nlohmann::json* text_fill = nullptr;
  if (in.params().has("text_fill")) {
    text_fill = &in.params().array("text_fill");
    if (static_cast<Index>(text_fill->size()) != n) in.invalid("params.text_fill must hold one entry per input column");
  }
  std::vector<Index> kept;
  std::vector<double> fill;
  for (Index j = 0; j < n; ++j) {
    const std::int64_t k = keep[static_cast<std::size_t>(j)];
    const nlohmann::json* t = text_fill ? &(*text_fill)[static_cast<std::size_t>(j)] : nullptr;
    const bool text = in.is_text(j);
    if (t && !t->is_null() && !t->is_string())
      in.invalid("params.text_fill[" + std::to_string(j) + "] is not a string or null");
    const bool has_text_fill = t && t->is_string();
    if (has_text_fill && !text)
      in.invalid("params.text_fill[" + std::to_string(j) + "] is a string but input column " + std::to_string(j) +
                 " is numeric");
    if (text && k == 1 && !has_text_fill)
      in.invalid("input column " + std::to_string(j) + " holds text but params.text_fill[" + std::to_string(j) +
                 "] gives no text fill value");
    if (k != 0 && k != 1) in.invalid("tensor role \"keep\" has " + std::to_string(k) + " at [" + std::to_string(j) + "], expected 0 or 1");
    if (k == 0 && strategy == "constant")
      in.invalid("strategy \"constant\" keeps every column, but tensor role \"keep\" has 0 at [" + std::to_string(j) + "]");
    if (k == 1) {
      kept.push_back(j);
      fill.push_back(has_text_fill ? in.text_code(j, t->get<std::string>()) : statistics[j]);
    }
  }
  const Index n_kept = static_cast<Index>(kept.size());
  if (in.n_features_out() < n_kept)
    in.invalid("n_features_out " + std::to_string(in.n_features_out()) + " is less than the " +
               std::to_string(n_kept) + " kept columns");
  const Index k = in.n_features_out() - n_kept;
  if (in.has_tensor("indicator_features") != add_indicator)
    in.invalid("tensor \"indicator_features\" must be present exactly when add_indicator");
  std::vector<Index> indicated;
  if (add_indicator) {
    if (k > n) in.invalid("n_features_out exceeds the kept columns plus one indicator per input column");
    indicated = in.column_indices("indicator_features", k, n);
  } else if (k != 0) {
    in.invalid("n_features_out must equal the number of kept columns without add_indicator");
  }
  return std::make_unique<SimpleImputer>(std::move(kept), std::move(fill), std::move(indicated));
}

}  // namespace detail
FERRY_END_NAMESPACE
