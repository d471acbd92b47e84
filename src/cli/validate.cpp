#include "cli/validate.hpp"

#include <algorithm>
#include <ostream>

#include <fmt/format.h>
#include <fmt/ostream.h>

namespace ferry::cli {
namespace {

const char* kind_name(IssueKind kind) {
  switch (kind) {
    case IssueKind::kMissingColumn:
      return "missing column";
    case IssueKind::kWrongType:
      return "wrong type";
    case IssueKind::kMissingValue:
      return "missing value";
    case IssueKind::kNotFinite:
      return "not finite";
    case IssueKind::kRejected:
      return "rejected";
    case IssueKind::kExtraColumn:
      return "extra column";
    case IssueKind::kOutOfRange:
      return "out of range";
    case IssueKind::kUnknownCategory:
      return "unknown category";
  }
  return "?";
}

}  // namespace

bool validate_csv(const Model& model, const CsvTable& csv, bool strict, std::ostream& out) {
  PredictOptions options;
  options.strict = strict;
  const ValidationReport report = model.validate(to_table(csv), options);
  std::size_t width = 6;
  for (const ValidationIssue& i : report.issues) width = std::max(width, i.column.size());
  std::size_t fatal = 0;
  if (!report.issues.empty())
    fmt::print(out, "{:<{}}  {:<16}  {:<7}  {:>8}  {:>9}  {:>8}  {}\n", "column", width, "problem", "fatal?", "rows",
               "first row", "CSV line", "message");
  for (const ValidationIssue& i : report.issues) {
    fatal += i.fatal ? 1 : 0;
    const bool has_row = i.first_row >= 0 && static_cast<std::size_t>(i.first_row) < csv.row_lines.size();
    fmt::print(out, "{:<{}}  {:<16}  {:<7}  {:>8}  {:>9}  {:>8}  {}\n", i.column.empty() ? "-" : i.column, width,
               kind_name(i.kind), i.fatal ? "fatal" : "counted", i.rows, has_row ? std::to_string(i.first_row) : "-",
               has_row ? std::to_string(csv.row_lines[static_cast<std::size_t>(i.first_row)]) : "-", i.message);
  }
  fmt::print(out, "{}rows read: {}; {} fatal, {} counted problems{}\n", report.issues.empty() ? "" : "\n", csv.rows.size(),
             fatal, report.issues.size() - fatal, fatal > 0 ? "; predict would refuse this input" : "");
  return report.ok();
}

}  // namespace ferry::cli
