// Reads the `baseline` section (docs/format.md §3.6). Every count, edge and category is
// checked here, so the Monitor can index its bins without further checks.
#include "monitor/baseline.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "ferry/error.hpp"
#include "spec_limits.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

using artifact::Fields;
using nlohmann::json;

constexpr std::int64_t kMaxBaselineRows = std::int64_t{1} << 40;

[[noreturn]] void invalid(const std::string& message) { throw Error(ErrorCode::kFormat, "header: " + message); }

std::int64_t non_negative(const Fields& f, const char* key) {
  const std::int64_t v = f.int64(key);
  if (v < 0) invalid(fmt::format("{} must be >= 0", f.child(key)));
  return v;
}

void counts_and_missing(const Fields& f, std::int64_t rows, std::int64_t& count, std::int64_t& missing) {
  count = non_negative(f, "count");
  missing = non_negative(f, "missing");
  if (count > rows || missing != rows - count)
    invalid(fmt::format("{}: count and missing must add up to baseline.rows ({})", f.path(), rows));
}

ValueBaseline parse_values(const Fields& f, std::int64_t rows, std::int64_t bins) {
  ValueBaseline v;
  counts_and_missing(f, rows, v.count, v.missing);
  const json& edges = f.array("edges");
  const json& counts = f.array("counts");
  if (v.count == 0) {
    if (f.has("mean") || f.has("std") || f.has("min") || f.has("max") || !edges.empty() || !counts.empty())
      invalid(fmt::format("{}: a column without values has null statistics and no bins", f.path()));
    return v;
  }
  v.mean = f.number("mean");
  v.std = f.number("std");
  v.min = f.number("min");
  v.max = f.number("max");
  if (!(v.std >= 0) || !(v.min <= v.max) || !std::isfinite(v.mean) || !std::isfinite(v.std) ||
      !std::isfinite(v.min) || !std::isfinite(v.max))
    invalid(fmt::format("{}: mean, std, min, max must be finite, std >= 0, min <= max", f.path()));
  if (edges.empty() || static_cast<std::int64_t>(edges.size()) > bins + 1)
    invalid(fmt::format("{}.edges must hold 1 to bins + 1 ({}) numbers", f.path(), bins + 1));
  for (std::size_t i = 0; i < edges.size(); ++i) {
    if (!edges[i].is_number()) invalid(fmt::format("{}.edges[{}] must be a number", f.path(), i));
    v.edges.push_back(edges[i].get<double>());
    if (!std::isfinite(v.edges.back()) || (i > 0 && !(v.edges[i - 1] < v.edges[i])))
      invalid(fmt::format("{}.edges must increase strictly from min to max", f.path()));
  }
  if (v.edges.front() != v.min || v.edges.back() != v.max)
    invalid(fmt::format("{}.edges must increase strictly from min to max", f.path()));
  const std::size_t n_bins = std::max<std::size_t>(v.edges.size() - 1, 1);
  if (counts.size() != n_bins) invalid(fmt::format("{}.counts must hold one integer per bin ({})", f.path(), n_bins));
  std::int64_t sum = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (!counts[i].is_number_integer() || counts[i].get<std::int64_t>() < 0 || counts[i].get<std::int64_t>() > rows)
      invalid(fmt::format("{}.counts[{}] must be an integer in [0, baseline.rows]", f.path(), i));
    v.counts.push_back(counts[i].get<std::int64_t>());
    sum += v.counts.back();
  }
  if (sum != v.count) invalid(fmt::format("{}.counts add up to {}, not count ({})", f.path(), sum, v.count));
  return v;
}

CategoryBaseline parse_categories(const Fields& f, std::int64_t rows, const InputColumn& column) {
  CategoryBaseline c;
  counts_and_missing(f, rows, c.count, c.missing);
  const json& listed = f.array("categories");
  if (static_cast<std::int64_t>(listed.size()) > spec::kMaxBaselineCategories)
    invalid(fmt::format("{}.categories lists more than {}", f.path(), spec::kMaxBaselineCategories));
  std::map<std::string, std::size_t> position;
  for (std::size_t k = 0; k < column.categories.size(); ++k) position.emplace(column.categories[k], k);
  c.bin_of_category.assign(column.categories.size(), listed.size());
  std::int64_t sum = 0;
  for (std::size_t i = 0; i < listed.size(); ++i) {
    const Fields e(listed[i], fmt::format("{}.categories[{}]", f.path(), i));
    const std::string value = e.string("value");
    const std::int64_t count = e.int64("count");
    const auto it = position.find(value);
    if (it == position.end())
      invalid(fmt::format("{}.value \"{}\" is not a category of input \"{}\"", e.path(), value, column.name));
    if (c.bin_of_category[it->second] != listed.size()) invalid(fmt::format("{}.value \"{}\" is listed twice", e.path(), value));
    if (count < 1 || count > rows) invalid(fmt::format("{}.count must be in [1, baseline.rows]", e.path()));
    c.bin_of_category[it->second] = i;
    c.values.push_back(value);
    c.counts.push_back(count);
    sum += count;
  }
  c.other = non_negative(f, "other");
  if (sum + c.other != c.count)
    invalid(fmt::format("{}: the category counts and other add up to {}, not count ({})", f.path(), sum + c.other, c.count));
  return c;
}

}  // namespace

std::size_t ValueBaseline::bin(double value) const noexcept {
  if (edges.size() <= 2) return 0;
  // Interior edges only: the outer bins are open-ended.
  return static_cast<std::size_t>(std::upper_bound(edges.begin() + 1, edges.end() - 1, value) - (edges.begin() + 1));
}

Baseline parse_baseline(const Fields& f, const Schema& schema, bool probabilities, bool decision_function,
                        Index n_scores) {
  Baseline b;
  b.rows = f.int64("rows");
  // Bounded so that sums of counts cannot overflow.
  if (b.rows < 1 || b.rows > kMaxBaselineRows) invalid(fmt::format("baseline.rows must be in [1, 2^40]"));
  const std::int64_t bins = f.int64("bins");
  if (bins < 1 || bins > spec::kMaxBaselineBins)
    invalid(fmt::format("baseline.bins must be in [1, {}]", spec::kMaxBaselineBins));
  const json& inputs = f.array("inputs");
  if (inputs.size() != schema.inputs.size())
    invalid(fmt::format("baseline.inputs has {} entries for {} schema inputs", inputs.size(), schema.inputs.size()));
  for (std::size_t j = 0; j < inputs.size(); ++j) {
    const Fields e(inputs[j], fmt::format("baseline.inputs[{}]", j));
    const InputColumn& column = schema.inputs[j];
    ColumnBaseline c;
    c.name = e.string("name");
    if (c.name != column.name)
      invalid(fmt::format("{}.name is \"{}\", but schema input {} is \"{}\"", e.path(), c.name, j, column.name));
    c.text = column.kind == ColumnKind::kCategorical;
    if (c.text)
      c.categories = parse_categories(e, b.rows, column);
    else
      c.values = parse_values(e, b.rows, bins);
    b.inputs.push_back(std::move(c));
  }
  const bool classifier = schema.task == Task::kClassification;
  const json& outputs = f.array("outputs");
  std::set<std::string> names;
  for (std::size_t j = 0; j < outputs.size(); ++j) {
    const Fields e(outputs[j], fmt::format("baseline.outputs[{}]", j));
    OutputBaseline o;
    o.name = e.string("name");
    if (o.name.empty() || !names.insert(o.name).second)
      invalid(fmt::format("{}.name must be a distinct non-empty string", e.path()));
    const std::string source = e.string("source");
    Index width = 0;
    if (source == "predict" && !classifier) {
      o.source = OutputSource::kPredict;
      width = schema.n_outputs;
    } else if (source == "predict_proba" && classifier && probabilities) {
      o.source = OutputSource::kPredictProba;
      width = schema.n_outputs;
    } else if (source == "decision_function" && classifier && decision_function) {
      o.source = OutputSource::kDecisionFunction;
      width = n_scores;
    } else {
      invalid(fmt::format("{}.source \"{}\" is not an output of this model", e.path(), source));
    }
    const std::int64_t index = e.int64("index");
    if (index < 0 || index >= width) invalid(fmt::format("{}.index {} is not a column of {}", e.path(), index, source));
    o.index = static_cast<Index>(index);
    o.values = parse_values(e, b.rows, bins);
    if (o.values.missing != 0) invalid(fmt::format("{}: an output has no missing values", e.path()));
    b.outputs.push_back(std::move(o));
  }
  if (classifier) {
    const json& classes = f.array("classes");
    if (static_cast<Index>(classes.size()) != schema.n_outputs)
      invalid(fmt::format("baseline.classes must hold {} counts, one per class", schema.n_outputs));
    std::int64_t sum = 0;
    for (std::size_t k = 0; k < classes.size(); ++k) {
      if (!classes[k].is_number_integer() || classes[k].get<std::int64_t>() < 0 ||
          classes[k].get<std::int64_t>() > b.rows)
        invalid(fmt::format("baseline.classes[{}] must be an integer in [0, baseline.rows]", k));
      b.classes.push_back(classes[k].get<std::int64_t>());
      sum += b.classes.back();
    }
    if (sum != b.rows) invalid(fmt::format("baseline.classes add up to {}, not baseline.rows ({})", sum, b.rows));
  } else if (f.has("classes")) {
    invalid("baseline.classes must be absent for a regressor");
  }
  return b;
}

}  // namespace detail
FERRY_END_NAMESPACE
