// `ferry explain`: SHAP values of every row of a CSV file, as CSV and as an HTML report.
#ifndef FERRY_SRC_CLI_EXPLAIN_HPP
#define FERRY_SRC_CLI_EXPLAIN_HPP

#include <iosfwd>
#include <string>

#include "cli/csv.hpp"
#include "ferry/explanation.hpp"
#include "ferry/model.hpp"

namespace ferry::cli {

struct ExplainArgs {
  int top = 0;          // > 0: keep only the K largest |values| of each row and output
  bool strict = false;  // a CSV column the model does not take is an error
  ExplainOptions options;
};

// Explains every row of `csv` (columns matched by name, as predict); counted validation
// problems go to `warnings`. `scores` receives the raw scores the values add up to.
Explanation explain_csv(const Model& model, const CsvTable& csv, const ExplainArgs& args, RowMatrixXd& scores,
                        std::ostream& warnings);

// One row per input row: `base_value` and one column per raw input column, named as it; with
// several outputs one such block per output, `<output>/base_value`, `<output>/<column>`.
// With args.top, cells outside each row's K largest |values| are left empty.
void write_explanation_csv(const Explanation& e, const ExplainArgs& args, std::ostream& out);

// A self-contained HTML page (inline SVG, no scripts, no external resources): a mean-|SHAP|
// bar chart per output over all rows, then a waterfall chart per row (the first
// kReportRows rows) from the base value to the score, input values in the labels.
constexpr Index kReportRows = 50;
void write_explanation_html(const Explanation& e, const RowMatrixXd& scores, const CsvTable& csv,
                            const std::string& title, std::ostream& out);

}  // namespace ferry::cli

#endif  // FERRY_SRC_CLI_EXPLAIN_HPP
