// scikit-learn's DictVectorizer (docs/format.md §4.56): a record's keys are input columns; a
// number sets its key's output column, a string sets the column of key=value to 1. A missing
// cell is an absent key, a value the vectorizer never saw adds nothing (as in scikit-learn).
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "pipeline/registry.hpp"
#include "pipeline/step_inputs.hpp"
#include "pipeline/text_tokenizer_inputs.hpp"
#include "pipeline/text_vocabulary.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

class DictVectorizer final : public Step {
 public:
  // by_code[j]: for text column j, the output column of each code of its vocabulary (-1: none);
  // empty for a numeric column, which outputs[j] (or nothing, at -1) takes.
  DictVectorizer(std::vector<Index> outputs, std::vector<std::vector<Index>> by_code, bool sparse, Index n_out)
      : outputs_(std::move(outputs)), by_code_(std::move(by_code)), sparse_(sparse), n_out_(n_out) {}

  void transform(RowMatrixXd& X) const override {
    StepRows rows(std::move(X));
    transform_rows(rows, nullptr);
    X = std::move(rows.densify());
  }

  // scikit-learn's rows are CSR with sorted indices (sort_indices) and keep an explicit 0 for a
  // key whose value is 0; with sparse=False, dense.
  void transform_rows(StepRows& X, const TextBatch* /*text*/) const override {
    const RowMatrixXd& in = X.densify();
    SparseRows out;
    out.cols = n_out_;
    out.reserve(in.rows(), in.rows() * in.cols());
    std::vector<std::pair<Index, double>> row;
    for (Index i = 0; i < in.rows(); ++i) {
      row.clear();
      for (Index j = 0; j < in.cols(); ++j) {
        const double v = in(i, j);
        if (std::isnan(v)) continue;  // an absent key
        const std::size_t u = static_cast<std::size_t>(j);
        if (by_code_[u].empty()) {
          if (outputs_[u] >= 0) row.emplace_back(outputs_[u], v);
        } else if (v >= 0 && v < static_cast<double>(by_code_[u].size())) {
          const Index o = by_code_[u][static_cast<std::size_t>(v)];
          if (o >= 0) row.emplace_back(o, 1.0);
        }
      }
      std::sort(row.begin(), row.end());  // columns are distinct: one key, one value per key
      for (const auto& e : row) out.push(e.first, e.second);
      out.end_row();
    }
    X.set_sparse(std::move(out));
    if (!sparse_) X.densify();
  }

  std::vector<Index> source_columns(Index /*n_in*/) const override {
    std::vector<Index> s(static_cast<std::size_t>(n_out_), -1);
    for (std::size_t j = 0; j < outputs_.size(); ++j) {
      if (outputs_[j] >= 0) s[static_cast<std::size_t>(outputs_[j])] = static_cast<Index>(j);
      for (Index o : by_code_[j])
        if (o >= 0) s[static_cast<std::size_t>(o)] = static_cast<Index>(j);
    }
    return s;
  }

 private:
  std::vector<Index> outputs_;
  std::vector<std::vector<Index>> by_code_;
  bool sparse_;
  Index n_out_;
};

}  // namespace

std::unique_ptr<Step> make_dict_vectorizer(const StepInputs& in) {
  const bool sparse = in.params().boolean("sparse");
  const Index n = in.n_features_in(), n_out = in.n_features_out();
  const std::vector<std::int64_t> outputs = in.int64_vector("outputs", n);
  const std::vector<std::int64_t> starts = in.int64_vector("value_columns", n + 1);
  if (starts[0] != 0) in.invalid("tensor role \"value_columns\" must start at 0");
  for (Index j = 0; j < n; ++j)
    if (starts[static_cast<std::size_t>(j) + 1] < starts[static_cast<std::size_t>(j)])
      in.invalid(fmt::format("tensor role \"value_columns\" decreases at [{}]", j + 1));
  // Every output is one numeric column's or one value's: more values than outputs is malformed,
  // checked before anything is sized by the count.
  if (starts.back() > n_out)
    in.invalid(fmt::format("tensor role \"value_columns\" gives {} values for {} output columns", starts.back(), n_out));
  const Index n_values = static_cast<Index>(starts.back());
  const std::vector<std::string> values = read_strings(in, "value", n_values);
  const std::vector<std::int64_t> value_outputs = in.int64_vector("value_outputs", n_values);
  std::vector<bool> hit(static_cast<std::size_t>(n_out), false);
  auto claim = [&](std::int64_t o, const char* role, Index at) {
    if (o < 0 || o >= n_out)
      in.invalid(fmt::format("tensor role \"{}\" has {} at [{}], outside [0, {})", role, o, at, n_out));
    if (hit[static_cast<std::size_t>(o)])
      in.invalid(fmt::format("tensor role \"{}\" has {} at [{}]: output column {} has two sources", role, o, at, o));
    hit[static_cast<std::size_t>(o)] = true;
  };
  std::vector<std::vector<Index>> by_code(static_cast<std::size_t>(n));
  for (Index j = 0; j < n; ++j) {
    const std::size_t u = static_cast<std::size_t>(j);
    const bool text = in.is_text(j);
    if (text && outputs[u] != -1)
      in.invalid(fmt::format("tensor role \"outputs\" must be -1 at [{}]: input column {} holds text", j, j));
    if (!text && outputs[u] != -1) claim(outputs[u], "outputs", j);
    if (outputs[u] < -1) in.invalid(fmt::format("tensor role \"outputs\" has {} at [{}], below -1", outputs[u], j));
    if (!text) {
      if (starts[u + 1] != starts[u])
        in.invalid(fmt::format("input column {} is numeric but \"value_columns\" gives it values", j));
      continue;
    }
    std::vector<std::pair<Index, Index>> codes;  // (code, output)
    for (std::int64_t k = starts[u]; k < starts[u + 1]; ++k) {
      claim(value_outputs[static_cast<std::size_t>(k)], "value_outputs", static_cast<Index>(k));
      const double code = in.text_code(j, values[static_cast<std::size_t>(k)]);
      codes.emplace_back(static_cast<Index>(code), static_cast<Index>(value_outputs[static_cast<std::size_t>(k)]));
    }
    // A code no value of this column claims stays -1: an unseen value, or one another step added.
    Index size = 0;
    for (const auto& c : codes) size = std::max(size, c.first + 1);
    by_code[u].assign(static_cast<std::size_t>(std::max<Index>(size, 1)), -1);
    for (const auto& c : codes) {
      Index& slot = by_code[u][static_cast<std::size_t>(c.first)];
      if (slot >= 0) in.invalid(fmt::format("input column {} repeats the value \"{}\"", j, in.columns_in().text[u]->value(c.first)));
      slot = c.second;
    }
  }
  for (Index o = 0; o < n_out; ++o)
    if (!hit[static_cast<std::size_t>(o)]) in.invalid(fmt::format("output column {} is the output of no key or value", o));
  return std::make_unique<DictVectorizer>(std::vector<Index>(outputs.begin(), outputs.end()), std::move(by_code), sparse,
                                          n_out);
}

}  // namespace detail
FERRY_END_NAMESPACE
