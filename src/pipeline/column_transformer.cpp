// scikit-learn's ColumnTransformer and FeatureUnion: branches, each a pipeline of steps over
// a selection of the input columns, outputs side by side in branch order. FeatureUnion is
// the case where every branch takes all columns; a passthrough branch has no steps.
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "artifact/json_fields.hpp"
#include "ferry/error.hpp"
#include "pipeline/registry.hpp"
#include "pipeline/step_inputs.hpp"
#include "pipeline/step_sequence.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

struct Branch {
  std::vector<Index> columns;  // input columns it takes, in order
  std::vector<std::unique_ptr<Step>> steps;
  Index width = 0;             // output columns
  std::optional<double> weight;  // scikit-learn's transformer_weights entry
};

// How scikit-learn stacked the branches' outputs: np.hstack, or scipy's sparse hstack, which
// concatenates each row's entries branch by branch when every branch gave a CSR matrix and
// otherwise goes through COO and sorts each row's columns.
enum class Stacking { kDense, kSparse, kSparseSorted };

class ColumnTransformer final : public Step {
 public:
  ColumnTransformer(std::vector<Branch> branches, std::vector<Index> copied, Stacking stacking)
      : branches_(std::move(branches)), copied_(std::move(copied)), stacking_(stacking) {}

  void transform(RowMatrixXd& X) const override {
    StepRows rows(std::move(X));
    transform_rows(rows, nullptr);
    X = std::move(rows.densify());
  }

  void transform_rows(StepRows& X, const TextBatch* text) const override {
    const RowMatrixXd& in = X.densify();
    Index width = 0;
    for (const Branch& b : branches_) width += b.width;
    std::vector<StepRows> parts;
    parts.reserve(branches_.size());
    for (const Branch& b : branches_) {
      RowMatrixXd selected(in.rows(), static_cast<Index>(b.columns.size()));
      for (Index i = 0; i < in.rows(); ++i)
        for (std::size_t j = 0; j < b.columns.size(); ++j) selected(i, static_cast<Index>(j)) = in(i, b.columns[j]);
      StepRows& part = parts.emplace_back(std::move(selected));
      run_steps(b.steps, part, text);
      if (b.weight) {
        if (part.sparse)
          for (double& v : part.sparse->values) v *= *b.weight;
        else
          part.dense *= *b.weight;
      }
    }
    if (stacking_ == Stacking::kDense) {
      RowMatrixXd out(in.rows(), width);
      Index offset = 0;
      for (std::size_t k = 0; k < parts.size(); ++k) {
        out.middleCols(offset, branches_[k].width) = parts[k].densify();
        offset += branches_[k].width;
      }
      X.dense.swap(out);
      return;
    }
    SparseRows out;
    out.cols = width;
    Index nonzeros = 0;
    for (StepRows& part : parts) nonzeros += static_cast<Index>(part.sparsify().values.size());
    out.reserve(in.rows(), nonzeros);
    std::vector<std::pair<Index, double>> row;
    for (Index i = 0; i < in.rows(); ++i) {
      row.clear();
      Index offset = 0;
      for (std::size_t k = 0; k < parts.size(); ++k) {
        const SparseRows& p = *parts[k].sparse;
        for (Index e = p.begin(i); e < p.end(i); ++e)
          row.emplace_back(offset + p.indices[static_cast<std::size_t>(e)], p.values[static_cast<std::size_t>(e)]);
        offset += branches_[k].width;
      }
      if (stacking_ == Stacking::kSparseSorted)
        std::stable_sort(row.begin(), row.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      for (const auto& [column, value] : row) out.push(column, value);
      out.end_row();
    }
    X.set_sparse(std::move(out));
  }

  std::vector<Index> copied_columns() const override { return copied_; }

  // Through each branch's steps, then back to the columns the branch selected (a weight
  // scales a column without mixing it).
  std::vector<Index> source_columns(Index /*n_in*/) const override {
    std::vector<Index> s;
    for (const Branch& b : branches_) {
      std::vector<Index> inner = source_columns_through(b.steps, static_cast<Index>(b.columns.size()));
      if (inner.empty()) inner.assign(static_cast<std::size_t>(b.width), -1);
      for (Index o : inner) s.push_back(o >= 0 ? b.columns[static_cast<std::size_t>(o)] : -1);
    }
    return s;
  }

 private:
  std::vector<Branch> branches_;
  std::vector<Index> copied_;
  Stacking stacking_;
};

// For each output column of `steps`, the column of their input it is an unchanged copy of.
std::vector<Index> copied_through(const std::vector<std::unique_ptr<Step>>& steps, Index n_in, Index n_out) {
  std::vector<Index> origin(static_cast<std::size_t>(n_in));
  for (Index j = 0; j < n_in; ++j) origin[static_cast<std::size_t>(j)] = j;
  for (const auto& step : steps) {
    const std::vector<Index> copied = step->copied_columns();
    if (copied.empty()) return std::vector<Index>(static_cast<std::size_t>(n_out), -1);
    std::vector<Index> next(copied.size(), -1);
    for (std::size_t j = 0; j < copied.size(); ++j)
      if (copied[j] >= 0 && copied[j] < static_cast<Index>(origin.size()))
        next[j] = origin[static_cast<std::size_t>(copied[j])];
    origin = std::move(next);
  }
  origin.resize(static_cast<std::size_t>(n_out), -1);
  return origin;
}

}  // namespace

std::unique_ptr<Step> make_column_transformer(const StepInputs& in) {
  const nlohmann::json& transformers = in.params().array("transformers");
  const Index n_in = in.n_features_in();
  for (Index j = 0; j < n_in; ++j) in.carries_text(j);  // text passes through to the branches' steps
  std::vector<Branch> branches;
  std::vector<Index> copied;
  for (std::size_t k = 0; k < transformers.size(); ++k) {
    const std::string path = fmt::format("{}.params.transformers[{}]", in.path(), k);
    const artifact::Fields t(transformers[k], path);
    Branch b;
    Columns columns;
    const nlohmann::json& selected = t.array("columns");
    for (std::size_t c = 0; c < selected.size(); ++c) {
      if (!selected[c].is_number_integer() || selected[c].get<std::int64_t>() < 0 ||
          selected[c].get<std::int64_t>() >= n_in)
        in.invalid(fmt::format("{}.columns[{}] is not a column index below {}", path, c, n_in));
      const auto j = static_cast<std::size_t>(selected[c].get<std::int64_t>());
      b.columns.push_back(static_cast<Index>(j));
      columns.names.push_back(in.columns_in().names.size() == static_cast<std::size_t>(n_in)
                                  ? in.columns_in().names[j]
                                  : fmt::format("column {}", j));
      columns.text.push_back(j < in.columns_in().text.size() ? in.columns_in().text[j] : nullptr);
    }
    if (b.columns.empty()) in.invalid(fmt::format("{}.columns is empty", path));
    b.steps = build_steps(t.array("steps"), path + ".steps", in.artifact(), in.used(), columns);
    b.width = static_cast<Index>(columns.names.size());
    if (t.has("weight") && !t.any("weight").is_null()) {
      b.weight = t.number("weight");
      if (!std::isfinite(*b.weight)) in.invalid(fmt::format("{}.weight is not finite", path));
    }
    // A weighted column is no longer a copy (and text cannot be weighted).
    const std::vector<Index> origin = copied_through(b.steps, static_cast<Index>(b.columns.size()), b.width);
    for (Index o : origin) {
      if (b.weight && o >= 0 && columns.text[static_cast<std::size_t>(o)] != nullptr)
        in.invalid(fmt::format("{} multiplies text column \"{}\" by a weight", path,
                               columns.names[static_cast<std::size_t>(o)]));
      copied.push_back(o >= 0 && !b.weight ? b.columns[static_cast<std::size_t>(o)] : -1);
    }
    branches.push_back(std::move(b));
  }
  if (static_cast<Index>(copied.size()) != in.n_features_out())
    in.invalid(fmt::format("its transformers give {} columns but n_features_out is {}", copied.size(),
                           in.n_features_out()));
  Stacking stacking = Stacking::kDense;
  if (in.params().has("sparse_output")) {
    const std::string how = in.params().string("sparse_output");
    if (how == "sparse")
      stacking = Stacking::kSparse;
    else if (how == "sparse_sorted")
      stacking = Stacking::kSparseSorted;
    else if (how != "dense")
      in.invalid(fmt::format("params.sparse_output \"{}\" is not dense, sparse or sparse_sorted", how));
  }
  return std::make_unique<ColumnTransformer>(std::move(branches), std::move(copied), stacking);
}

}  // namespace detail
FERRY_END_NAMESPACE
