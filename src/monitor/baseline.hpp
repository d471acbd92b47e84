// The drift baselines stored in an artifact (docs/format.md §3.6): per input column and model
// output what the exporter's sample looked like, binned, so that ferry::Monitor can compare
// served traffic with it.
#ifndef FERRY_SRC_MONITOR_BASELINE_HPP
#define FERRY_SRC_MONITOR_BASELINE_HPP

#include <cstdint>
#include <string>
#include <vector>

#include "artifact/json_fields.hpp"
#include "ferry/schema.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {

// A numeric column or output: its statistics and quantile bins. The bins are split by the
// interior edges (edges[1 .. size-2]); the outer bins are open-ended, and a value equal to an
// edge goes to the bin above it.
struct ValueBaseline {
  std::int64_t count = 0;    // values present
  std::int64_t missing = 0;  // values missing (NaN)
  double mean = 0.0, std = 0.0, min = 0.0, max = 0.0;  // of the values present; 0 without any
  std::vector<double> edges;                            // distinct sorted quantiles, min .. max
  std::vector<std::int64_t> counts;                     // one per bin; empty without values

  // The bin of a present value; 0 when the column had no values (one empty bin is kept).
  std::size_t bin(double value) const noexcept;
  std::size_t n_bins() const noexcept { return counts.empty() ? 1 : counts.size(); }
};

// A text column: its most frequent categories, the rest as "other".
struct CategoryBaseline {
  std::int64_t count = 0;
  std::int64_t missing = 0;
  std::vector<std::string> values;   // most frequent first
  std::vector<std::int64_t> counts;  // per value
  std::int64_t other = 0;
  // Per index in the schema input's categories: its position in `values`, or values.size()
  // ("other") for a category not listed.
  std::vector<std::size_t> bin_of_category;
};

struct ColumnBaseline {
  std::string name;
  bool text = false;
  ValueBaseline values;          // numeric columns
  CategoryBaseline categories;   // text columns
};

enum class OutputSource { kPredict, kPredictProba, kDecisionFunction };

struct OutputBaseline {
  std::string name;  // proba_<label>, decision_<j>, prediction, prediction_<j>
  OutputSource source = OutputSource::kPredict;
  Index index = 0;  // column of that output
  ValueBaseline values;
};

struct Baseline {
  std::int64_t rows = 0;  // rows of the exporter's sample
  std::vector<ColumnBaseline> inputs;   // in schema order
  std::vector<OutputBaseline> outputs;
  std::vector<std::int64_t> classes;    // predicted class counts (classifiers)
};

// The `baseline` section; Error(kFormat) naming the field on any violation of §3.6.
// `probabilities` and `decision_function` say which outputs the model has, `n_scores` the
// width of its decision_function.
Baseline parse_baseline(const artifact::Fields& f, const Schema& schema, bool probabilities, bool decision_function,
                        Index n_scores);

}  // namespace detail
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_MONITOR_BASELINE_HPP
