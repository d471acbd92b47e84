#include "cli/compare.hpp"

#include <algorithm>
#include <ostream>
#include <set>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "cli/commands.hpp"
#include "cli/csv.hpp"
#include "ferry/error.hpp"
#include "ferry/model.hpp"
#include "ferry/shadow.hpp"
#include "serve/response_json.hpp"

namespace ferry::cli {
namespace {

Prediction predict_or_name(const Model& model, const std::string& path, const Table& table) {
  try {
    return model.predict(table);
  } catch (const Error& e) {
    throw Error(e.code(), fmt::format("{}: {}", path, e.message()));
  }
}

std::string identity(const Metadata& m) { return fmt::format("{} {} ({})", m.name, m.version, m.content_id); }

}  // namespace

void compare(const std::string& model_a, const std::string& model_b, std::istream& csv_in, std::ostream& out,
             bool json) {
  const Model a = load_model(model_a);
  const Model b = load_model(model_b);
  const Table table = to_table(read_csv(csv_in));
  const Prediction pa = predict_or_name(a, model_a, table);
  const Prediction pb = predict_or_name(b, model_b, table);
  AgreementCounter counter;
  counter.add(pa, pb);
  const Agreement agreement = counter.snapshot();

  if (json) {
    nlohmann::json body = {{"model_a", serve::model_identity(a.metadata())},
                           {"model_b", serve::model_identity(b.metadata())},
                           {"agreement", serve::agreement_json(agreement)}};
    fmt::print(out, "{}\n", body.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
    return;
  }
  fmt::print(out, "A: {}\nB: {}\nrows: {}\n", identity(a.metadata()), identity(b.metadata()), agreement.rows);
  if (!agreement.confusion.empty())
    fmt::print(out, "same label: {} of {} ({:.4f})\n", agreement.same_label, agreement.rows,
               agreement.label_agreement());
  if (agreement.score.empty()) {
    fmt::print(out, "scores: not comparable (different tasks, classes or widths)\n");
  } else {
    fmt::print(out, "|difference| of {}: mean {:.6g}, max {:.6g} over {} values\n", agreement.score,
               agreement.mean_abs_score_difference, agreement.max_abs_score_difference, agreement.score_entries);
  }
  if (agreement.confusion.empty()) return;
  // Confusion table: A's labels down, B's across.
  std::set<std::string> columns;
  for (const auto& [label, row] : agreement.confusion)
    for (const auto& [other, n] : row) columns.insert(other);
  std::size_t width = 5;
  for (const auto& [label, row] : agreement.confusion) width = std::max(width, label.size());
  for (const std::string& c : columns) width = std::max(width, c.size());
  fmt::print(out, "confusion (rows: A's label, columns: B's label)\n{:<{}}", "", width);
  for (const std::string& c : columns) fmt::print(out, "  {:>{}}", c, width);
  fmt::print(out, "\n");
  for (const auto& [label, row] : agreement.confusion) {
    fmt::print(out, "{:<{}}", label, width);
    for (const std::string& c : columns) {
      const auto it = row.find(c);
      fmt::print(out, "  {:>{}}", it == row.end() ? 0 : it->second, width);
    }
    fmt::print(out, "\n");
  }
}

}  // namespace ferry::cli
