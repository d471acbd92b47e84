#include "cli/explain.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <ostream>
#include <vector>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <fmt/ranges.h>

#include "engine.hpp"
#include "explain/attribution.hpp"
#include "ferry/error.hpp"

namespace ferry::cli {

Explanation explain_csv(const Model& model, const CsvTable& csv, const ExplainArgs& args, RowMatrixXd& scores,
                        std::ostream& warnings) {
  const Table table = to_table(csv);
  PredictOptions options;
  options.strict = args.strict;
  // One binding and one run of the pipeline serve the validation, the scores and the explanation.
  const detail::Engine& engine = detail::engine_of(model);
  detail::Run run = engine.run(table, options);
  for (const ValidationIssue& issue : run.issues) {
    const std::string line =
        issue.first_row < 0
            ? issue.message
            : fmt::format("{} (CSV line {})", issue.message, csv.row_lines[static_cast<std::size_t>(issue.first_row)]);
    if (issue.fatal) throw Error(issue.code, line);
    fmt::print(warnings, "warning: {}\n", line);
  }
  Explanation e = detail::explain::explain_run(engine, run.raw, run.preprocessed.densify(), run.scores, args.options);
  scores = std::move(run.scores);
  return e;
}

namespace {

// Whether cell (row i, column j) of output c is among the row's K largest |values|; ties
// keep the earlier column.
std::vector<bool> top_mask(const RowMatrixXd& v, Index i, int top) {
  const auto n = static_cast<std::size_t>(v.cols());
  std::vector<bool> keep(n, top <= 0);
  if (top <= 0) return keep;
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::abs(v(i, static_cast<Index>(a))) > std::abs(v(i, static_cast<Index>(b)));
  });
  for (std::size_t r = 0; r < n && r < static_cast<std::size_t>(top); ++r) keep[order[r]] = true;
  return keep;
}

}  // namespace

void write_explanation_csv(const Explanation& e, const ExplainArgs& args, std::ostream& out) {
  const bool blocks = e.values.size() > 1;
  std::vector<std::string> header;
  for (const std::string& output : e.output_names) {
    const std::string prefix = blocks ? output + "/" : "";
    header.push_back(csv_field(prefix + "base_value"));
    for (const std::string& name : e.feature_names) header.push_back(csv_field(prefix + name));
  }
  fmt::print(out, "{}\n", fmt::join(header, ","));
  std::vector<std::string> cells;
  for (Index i = 0; i < e.rows(); ++i) {
    cells.clear();
    for (std::size_t c = 0; c < e.values.size(); ++c) {
      const RowMatrixXd& v = e.values[c];
      cells.push_back(fmt::format("{}", e.base_values(i, static_cast<Index>(c))));
      const std::vector<bool> keep = top_mask(v, i, args.top);
      for (Index j = 0; j < v.cols(); ++j)
        cells.push_back(keep[static_cast<std::size_t>(j)] ? fmt::format("{}", v(i, j)) : std::string());
    }
    fmt::print(out, "{}\n", fmt::join(cells, ","));
  }
}

}  // namespace ferry::cli
