#include "pipeline/categories.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include <fmt/format.h>

#include "pipeline/step_inputs.hpp"
#include "spec_limits.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

// A column's category count is bounded like a width, so sums over columns stay far from overflow.
using spec::kMaxCategories;

}  // namespace

Categories::Categories(const StepInputs& in) {
  const Index n = in.n_features_in();
  const nlohmann::json& cats = in.params().array("categories");
  const nlohmann::json& missing = in.params().array("missing");
  if (static_cast<Index>(cats.size()) != n) in.invalid("params.categories must hold one entry per input column");
  if (static_cast<Index>(missing.size()) != n) in.invalid("params.missing must hold one entry per input column");
  columns_.resize(static_cast<std::size_t>(n));
  Index n_numeric = 0;
  bool any_numeric = false;
  for (Index j = 0; j < n; ++j) {
    const std::size_t u = static_cast<std::size_t>(j);
    Column& c = columns_[u];
    const nlohmann::json& m = missing[u];
    if (m.is_null())
      c.missing = Missing::kAbsent;
    else if (m.is_string() && m.get<std::string>() == "nan")
      c.missing = Missing::kNaN;
    else if (m.is_string() && m.get<std::string>() == "none")
      c.missing = Missing::kNone;
    else
      in.invalid(fmt::format("params.missing[{}] is not null, \"nan\" or \"none\"", j));
    const nlohmann::json& e = cats[u];
    // Every input column must be asked: the loader refuses text reaching a step that did not.
    const bool text_input = in.is_text(j);
    if (e.is_array()) {
      if (!text_input)
        in.invalid(fmt::format("params.categories[{}] holds text categories but input column {} is numeric", j, j));
      if (static_cast<std::int64_t>(e.size()) > kMaxCategories)
        in.invalid(fmt::format("params.categories[{}] has more than {} categories", j, kMaxCategories));
      c.text = true;
      c.count = static_cast<Index>(e.size());
      std::vector<std::pair<double, Index>> pairs;
      pairs.reserve(e.size());
      for (std::size_t i = 0; i < e.size(); ++i) {
        if (!e[i].is_string()) in.invalid(fmt::format("params.categories[{}][{}] is not a string", j, i));
        const double code = in.text_code(j, e[i].get<std::string>());
        // Codes are vocabulary positions; anything else is a loader bug, refused rather than trusted.
        if (!(code >= 0.0) || code != std::floor(code))
          in.invalid(fmt::format("params.categories[{}][{}] has no usable vocabulary code", j, i));
        pairs.emplace_back(code, static_cast<Index>(i));
      }
      std::sort(pairs.begin(), pairs.end());
      c.begin = static_cast<Index>(codes_.size());
      for (std::size_t i = 0; i < pairs.size(); ++i) {
        if (i > 0 && pairs[i].first == pairs[i - 1].first)
          in.invalid(fmt::format("params.categories[{}] repeats the category at [{}]", j,
                                 std::max(pairs[i].second, pairs[i - 1].second)));
        codes_.push_back(pairs[i].first);
        code_category_.push_back(pairs[i].second);
      }
    } else if (e.is_number_integer() && e.get<std::int64_t>() >= 0 && e.get<std::int64_t>() <= kMaxCategories) {
      if (text_input)
        in.invalid(fmt::format("params.categories[{}] holds numeric categories but input column {} is text", j, j));
      any_numeric = true;
      c.count = static_cast<Index>(e.get<std::int64_t>());
      c.begin = n_numeric;
      n_numeric += c.count;
    } else {
      in.invalid(fmt::format("params.categories[{}] is neither an array of strings nor an integer in [0, {}]", j,
                             kMaxCategories));
    }
    if (c.missing != Missing::kAbsent) ++c.count;
    if (c.count == 0) in.invalid(fmt::format("column {} has no category", j));
  }
  if (in.has_tensor("numeric_categories") != any_numeric)
    in.invalid("tensor \"numeric_categories\" must be present exactly when a column has numeric categories");
  if (any_numeric) {
    const Eigen::VectorXd v = in.vector("numeric_categories", n_numeric);
    values_.assign(v.data(), v.data() + v.size());
    for (Index j = 0; j < n; ++j) {
      const Column& c = columns_[static_cast<std::size_t>(j)];
      if (c.text) continue;
      const Index end = c.begin + c.count - (c.missing != Missing::kAbsent);
      for (Index i = c.begin + 1; i < end; ++i)
        if (!(values_[static_cast<std::size_t>(i)] > values_[static_cast<std::size_t>(i - 1)]))
          in.invalid(fmt::format("tensor role \"numeric_categories\" is not strictly increasing at [{}] (column {})",
                                 i, j));
    }
  }
}

Index Categories::text_index(const Column& c, double code) const noexcept {
  const double* first = codes_.data() + c.begin;
  const double* last = first + (c.count - (c.missing != Missing::kAbsent));
  const double* it = std::lower_bound(first, last, code);
  return it != last && *it == code ? code_category_[static_cast<std::size_t>(it - codes_.data())] : kUnknown;
}

// Exact float64 equality, as scikit-learn's np.searchsorted / np.isin on numeric columns.
Index Categories::numeric_index(const Column& c, double x) const noexcept {
  const double* first = values_.data() + c.begin;
  const double* last = first + (c.count - (c.missing != Missing::kAbsent));
  const double* it = std::lower_bound(first, last, x);
  return it != last && *it == x ? static_cast<Index>(it - first) : kUnknown;
}

std::string Categories::describe(Index j, double x) const {
  if (std::isnan(x)) return "a missing value";
  if (columns_[static_cast<std::size_t>(j)].text) return "a text value outside its categories";
  return fmt::format("{}", x);
}

}  // namespace detail
FERRY_END_NAMESPACE
