// `ferry drift`: the rows of a CSV file against the baselines stored in the model's artifact,
// as a text table, a JSON document and a self-contained HTML report.
#ifndef FERRY_SRC_CLI_DRIFT_HPP
#define FERRY_SRC_CLI_DRIFT_HPP

#include <iosfwd>
#include <string>

#include "cli/csv.hpp"
#include "ferry/model.hpp"
#include "ferry/monitor.hpp"

namespace ferry::cli {

// Exit status of `ferry drift` when any column, output or the predicted classes is at
// DriftLevel::alert (docs/cli.md); 0 otherwise.
constexpr int kDriftAlertExit = 3;

// Predicts every row of `csv` (columns matched by name, as predict; counted validation
// problems go to `warnings`) and observes them with a Monitor of `options`.
DriftReport drift_csv(const Model& model, const CsvTable& csv, const MonitorOptions& options, std::ostream& warnings);

// Columns sorted by PSI (largest first) with their levels, then the outputs and the
// predicted classes.
void write_drift_text(const DriftReport& report, std::ostream& out);

// The whole report as one JSON object (docs/cli.md); non-finite numbers as null.
void write_drift_json(const DriftReport& report, std::ostream& out);

// A self-contained HTML page (inline SVG and CSS, no scripts, nothing fetched): the summary
// table, then per column and output its training and current histograms side by side.
void write_drift_html(const DriftReport& report, const std::string& title, std::ostream& out);

}  // namespace ferry::cli

#endif  // FERRY_SRC_CLI_DRIFT_HPP
