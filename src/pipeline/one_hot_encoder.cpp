// scikit-learn's OneHotEncoder (dense output): each input column becomes a block of 0/1
// columns. Infrequent grouping and dropped categories were resolved by the exporter into
// one output position per category (docs/format.md §4.18), so a value costs one lookup.
#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ferry/error.hpp"
#include "pipeline/categories.hpp"
#include "pipeline/registry.hpp"
#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

class OneHotEncoder final : public Step {
 public:
  OneHotEncoder(Categories categories, bool refuse_unknown, std::vector<Index> outputs, std::vector<Index> unknown,
                std::vector<Index> offsets, Index n_out, std::vector<std::string> names, std::string where,
                bool sparse_output)
      : sparse_output_(sparse_output),
        categories_(std::move(categories)),
        refuse_unknown_(refuse_unknown),
        outputs_(std::move(outputs)),
        unknown_(std::move(unknown)),
        offsets_(std::move(offsets)),
        n_out_(n_out),
        names_(std::move(names)),
        where_(std::move(where)) {}

  void transform(RowMatrixXd& X) const override {
    const Index n = categories_.n_columns();
    RowMatrixXd Y = RowMatrixXd::Zero(X.rows(), n_out_);
    for (Index i = 0; i < X.rows(); ++i) {
      const double* in = X.row(i).data();
      double* out = Y.row(i).data();
      Index first = 0;  // the column's first category in outputs_
      for (Index j = 0; j < n; ++j) {
        const std::size_t u = static_cast<std::size_t>(j);
        const Index c = categories_.index(j, in[j]);
        Index k = unknown_[u];
        if (c != Categories::kUnknown)
          k = outputs_[static_cast<std::size_t>(first + c)];
        else if (refuse_unknown_)
          throw Error(ErrorCode::kValue,
                      fmt::format("row {}, column \"{}\": unknown category: {} ({}; handle_unknown='error': "
                                  "scikit-learn refuses it too)",
                                  i, names_[u], categories_.describe(j, in[j]), where_));
        if (k >= 0) out[offsets_[u] + k] = 1.0;
        first += categories_.count(j);
      }
    }
    X.swap(Y);
  }

  // scikit-learn's sparse output (each row's ones in ascending columns): a linear model after it
  // then sums them in scipy's order.
  void transform_rows(StepRows& X, const TextBatch* /*text*/) const override {
    transform(X.densify());
    if (sparse_output_) X.sparsify();
  }

  std::vector<Index> source_columns(Index /*n_in*/) const override {
    std::vector<Index> s(static_cast<std::size_t>(n_out_), -1);
    for (std::size_t j = 0; j < offsets_.size(); ++j) {
      const Index end = j + 1 < offsets_.size() ? offsets_[j + 1] : n_out_;
      for (Index o = offsets_[j]; o < end; ++o) s[static_cast<std::size_t>(o)] = static_cast<Index>(j);
    }
    return s;
  }

 private:
  bool sparse_output_;
  Categories categories_;
  bool refuse_unknown_;
  std::vector<Index> outputs_;  // per category: output column within its block, or -1
  std::vector<Index> unknown_;  // per input column: output column of an unknown value, or -1
  std::vector<Index> offsets_;  // per input column: first output column of its block
  Index n_out_;
  std::vector<std::string> names_;
  std::string where_;
};

}  // namespace

std::unique_ptr<Step> make_one_hot_encoder(const StepInputs& in) {
  const std::string handle = in.params().string("handle_unknown");
  if (handle != "error" && handle != "ignore" && handle != "infrequent_if_exist")
    in.invalid(fmt::format("params.handle_unknown \"{}\" is not \"error\", \"ignore\" or \"infrequent_if_exist\"",
                           handle));
  Categories categories(in);
  const Index n = categories.n_columns();
  Index total = 0;
  for (Index j = 0; j < n; ++j) total += categories.count(j);
  const std::vector<std::int64_t> raw = in.int64_vector("outputs", total);
  const std::vector<std::int64_t> raw_unknown = in.int64_vector("unknown", n);
  std::vector<Index> outputs(raw.begin(), raw.end());
  std::vector<Index> unknown(raw_unknown.begin(), raw_unknown.end());
  std::vector<Index> offsets;
  offsets.reserve(static_cast<std::size_t>(n));
  Index n_out = 0;
  Index first = 0;
  for (Index j = 0; j < n; ++j) {
    const std::size_t u = static_cast<std::size_t>(j);
    const Index count = categories.count(j);
    // Each position is bounded before it is used, so a hostile value neither overflows nor
    // makes the coverage check below allocate.
    const Index room = in.n_features_out() - n_out;
    auto position = [&](Index k, const char* role, Index at) {
      if (k < -1) in.invalid(fmt::format("tensor role \"{}\" has {} at [{}], below -1", role, k, at));
      if (k >= room)
        in.invalid(fmt::format("tensor role \"{}\" has {} at [{}]: column {} would output more columns than "
                               "n_features_out leaves",
                               role, k, at, j));
      return k + 1;
    };
    if (handle != "infrequent_if_exist" && unknown[u] != -1)
      in.invalid(fmt::format("tensor role \"unknown\" must be -1 at [{}] with handle_unknown \"{}\"", j, handle));
    Index width = position(unknown[u], "unknown", j);
    for (Index c = first; c < first + count; ++c)
      width = std::max(width, position(outputs[static_cast<std::size_t>(c)], "outputs", c));
    std::vector<bool> hit(static_cast<std::size_t>(width), false);
    for (Index c = first; c < first + count; ++c)
      if (outputs[static_cast<std::size_t>(c)] >= 0) hit[static_cast<std::size_t>(outputs[static_cast<std::size_t>(c)])] = true;
    for (Index k = 0; k < width; ++k)
      if (!hit[static_cast<std::size_t>(k)])
        in.invalid(fmt::format("column {}: output column {} is the output of no category", j, k));
    offsets.push_back(n_out);
    n_out += width;
    first += count;
  }
  if (n_out != in.n_features_out())
    in.invalid(fmt::format("the categories give {} output columns, n_features_out is {}", n_out, in.n_features_out()));
  return std::make_unique<OneHotEncoder>(std::move(categories), handle == "error", std::move(outputs),
                                         std::move(unknown), std::move(offsets), n_out, in.names_in(), in.where(),
                                         in.params().has("sparse_output") && in.params().boolean("sparse_output"));
}

}  // namespace detail
FERRY_END_NAMESPACE
