// scikit-learn's feature selectors (VarianceThreshold, SelectKBest, SelectFromModel, RFE, ...):
// whatever chose the columns, transform keeps the columns of the fitted get_support(), so only
// their indices travel. A copy, hence bit-identical to scikit-learn.
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ferry/error.hpp"
#include "pipeline/registry.hpp"
#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

class SelectColumns final : public Step {
 public:
  SelectColumns(std::vector<Index> columns, bool allow_nan, std::vector<std::string> names, std::string where)
      : columns_(std::move(columns)), allow_nan_(allow_nan), names_(std::move(names)), where_(std::move(where)) {}

  void transform(RowMatrixXd& X) const override {
    // SelectorMixin.transform validates the whole input, dropped columns included, and refuses
    // the batch for a NaN unless the selector's allow_nan tag is set.
    if (!allow_nan_)
      for (Index i = 0; i < X.rows(); ++i)
        for (Index j = 0; j < X.cols(); ++j)
          if (std::isnan(X(i, j))) refuse_missing(i, j);
    const auto k = static_cast<Index>(columns_.size());
    RowMatrixXd Y(X.rows(), k);
    for (Index i = 0; i < X.rows(); ++i) {
      const double* in = X.row(i).data();
      double* out = Y.row(i).data();
      for (Index t = 0; t < k; ++t) out[t] = in[columns_[static_cast<std::size_t>(t)]];
    }
    X.swap(Y);
  }

  // scipy's column indexing keeps each row's kept entries in their order.
  void transform_rows(StepRows& X, const TextBatch* /*text*/) const override {
    if (!X.sparse) return transform(X.dense);
    const SparseRows& S = *X.sparse;
    std::vector<Index> position(static_cast<std::size_t>(S.cols), -1);
    for (std::size_t t = 0; t < columns_.size(); ++t) position[static_cast<std::size_t>(columns_[t])] = static_cast<Index>(t);
    SparseRows out;
    out.cols = static_cast<Index>(columns_.size());
    out.indptr.reserve(S.indptr.size());
    for (Index i = 0; i < S.rows(); ++i) {
      for (Index e = S.begin(i); e < S.end(i); ++e) {
        const Index j = S.indices[static_cast<std::size_t>(e)];
        const double v = S.values[static_cast<std::size_t>(e)];
        if (!allow_nan_ && std::isnan(v)) refuse_missing(i, j);
        if (position[static_cast<std::size_t>(j)] >= 0) out.push(position[static_cast<std::size_t>(j)], v);
      }
      out.end_row();
    }
    *X.sparse = std::move(out);
  }

  // Each output is one input column untouched: explanations attribute it to that column, and
  // the next step sees the same column (the kernel takes no text, so none is carried).
  std::vector<Index> copied_columns() const override { return columns_; }
  std::vector<Index> source_columns(Index /*n_in*/) const override { return columns_; }

 private:
  [[noreturn]] void refuse_missing(Index row, Index column) const {
    throw Error(ErrorCode::kValue, fmt::format("row {}, column \"{}\": a missing value reaches {}, which refuses NaN "
                                               "(scikit-learn's selector rejects it too)",
                                               row, names_[static_cast<std::size_t>(column)], where_));
  }

  std::vector<Index> columns_;
  bool allow_nan_;
  std::vector<std::string> names_;
  std::string where_;
};

}  // namespace

std::unique_ptr<Step> make_select_columns(const StepInputs& in) {
  const Index n = in.n_features_in();
  const bool allow_nan = in.params().boolean("allow_nan");
  // Zero columns is refused: scikit-learn only warns on an empty selection, and nothing after
  // it could take a zero-width input, so such a file was not written by ferry.
  if (in.n_features_out() < 1 || in.n_features_out() > n)
    in.invalid("n_features_out must be between 1 and n_features_in");
  std::vector<Index> columns = in.column_indices("columns", in.n_features_out(), n);
  return std::make_unique<SelectColumns>(std::move(columns), allow_nan, in.names_in(), in.where());
}

}  // namespace detail
FERRY_END_NAMESPACE
