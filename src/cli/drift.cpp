#include "cli/drift.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <ostream>
#include <vector>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <nlohmann/json.hpp>

#include "engine.hpp"
#include "ferry/error.hpp"

namespace ferry::cli {
namespace {

nlohmann::json finite_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

nlohmann::json column_json(const ColumnDrift& d) {
  nlohmann::json j{{"name", d.name},
                   {"psi", finite_or_null(d.psi)},
                   {"level", to_string(d.level)},
                   {"bins", d.bins},
                   {"training_share", d.training_share},
                   {"current_share", d.current_share}};
  return j;
}

std::string percent(double share) { return fmt::format("{:.1f}%", 100.0 * share); }

}  // namespace

DriftReport drift_csv(const Model& model, const CsvTable& csv, const MonitorOptions& options, std::ostream& warnings) {
  Monitor monitor(model, options);  // refuses a model without baselines before any work
  const Table table = to_table(csv);
  const detail::Engine& engine = detail::engine_of(model);
  detail::Run run = engine.run(table, PredictOptions{});
  for (const ValidationIssue& issue : run.issues) {
    const std::string line =
        issue.first_row < 0
            ? issue.message
            : fmt::format("{} (CSV line {})", issue.message, csv.row_lines[static_cast<std::size_t>(issue.first_row)]);
    if (issue.fatal) throw Error(issue.code, line);
    fmt::print(warnings, "warning: {}\n", line);
  }
  const Prediction prediction = engine.predict(std::move(run.scores));
  monitor.observe(table, prediction);
  return monitor.report();
}

void write_drift_text(const DriftReport& r, std::ostream& out) {
  fmt::print(out, "{} {}: {} rows, drift {}\n\n", r.model_name, r.model_version, r.rows, to_string(r.level));
  std::vector<std::size_t> order(r.columns.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return r.columns[a].psi > r.columns[b].psi; });
  std::size_t width = 6;
  for (const ColumnDrift& c : r.columns) width = std::max(width, c.name.size());
  for (const OutputDrift& o : r.outputs) width = std::max(width, o.name.size());
  fmt::print(out, "{:<{}}  {:>8}  {:<5}  {:>15}  {}\n", "column", width, "psi", "level", "missing (train)",
             "outside range / unseen");
  for (std::size_t j : order) {
    const ColumnDrift& c = r.columns[j];
    fmt::print(out, "{:<{}}  {:>8.4f}  {:<5}  {:>15}  {}\n", c.name, width, c.psi, to_string(c.level),
               fmt::format("{} ({})", percent(c.current_missing_rate), percent(c.training_missing_rate)),
               c.text ? percent(c.unseen) + " unseen" : percent(c.outside_range) + " outside");
  }
  fmt::print(out, "\n{:<{}}  {:>8}  {:<5}  {:>10}  {:>10}  {}\n", "output", width, "psi", "level", "mean", "train",
             "shift (train sd)");
  for (const OutputDrift& o : r.outputs)
    fmt::print(out, "{:<{}}  {:>8.4f}  {:<5}  {:>10.4g}  {:>10.4g}  {:+.3f}\n", o.name, width, o.psi,
               to_string(o.level), o.current_mean, o.training_mean, o.mean_shift);
  if (r.classes) {
    const ColumnDrift& c = *r.classes;
    fmt::print(out, "\npredicted classes: psi {:.4f} {}\n", c.psi, to_string(c.level));
    for (std::size_t k = 0; k < c.bins.size(); ++k)
      fmt::print(out, "  {:<{}}  {:>7} (train {})\n", c.bins[k], width, percent(c.current_share[k]),
                 percent(c.training_share[k]));
  }
}

void write_drift_json(const DriftReport& r, std::ostream& out) {
  nlohmann::json columns = nlohmann::json::array(), outputs = nlohmann::json::array();
  for (const ColumnDrift& c : r.columns) {
    nlohmann::json j = column_json(c);
    j["text"] = c.text;
    j["training_missing_rate"] = c.training_missing_rate;
    j["current_missing_rate"] = c.current_missing_rate;
    j["missing_rate_change"] = c.missing_rate_change;
    j[c.text ? "unseen" : "outside_range"] = c.text ? c.unseen : c.outside_range;
    columns.push_back(std::move(j));
  }
  for (const OutputDrift& o : r.outputs) {
    nlohmann::json j = column_json(o);
    j["training_mean"] = finite_or_null(o.training_mean);
    j["training_std"] = finite_or_null(o.training_std);
    j["current_mean"] = finite_or_null(o.current_mean);
    j["mean_shift"] = finite_or_null(o.mean_shift);
    outputs.push_back(std::move(j));
  }
  nlohmann::json doc{{"model", {{"name", r.model_name}, {"version", r.model_version}}},
                     {"rows", r.rows},
                     {"level", to_string(r.level)},
                     {"columns", std::move(columns)},
                     {"outputs", std::move(outputs)},
                     {"classes", r.classes ? column_json(*r.classes) : nlohmann::json(nullptr)}};
  out << doc.dump(2) << '\n';
}

}  // namespace ferry::cli
