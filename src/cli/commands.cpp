#include "cli/commands.hpp"

#include <cmath>
#include <limits>
#include <ostream>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <fmt/ranges.h>

#include "artifact/artifact.hpp"
#include "artifact/signature.hpp"
#include "cli/csv.hpp"
#include "engine.hpp"
#include "ferry/error.hpp"
#include "ferry/model.hpp"
#include "sha256.hpp"

namespace ferry::cli {
namespace {

std::string shape_text(const std::vector<std::int64_t>& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

// The issue's message, with the CSV line of its first row.
std::string with_line(const ValidationIssue& issue, const CsvTable& csv) {
  if (issue.first_row < 0) return issue.message;
  return fmt::format("{} (CSV line {})", issue.message, csv.row_lines[static_cast<std::size_t>(issue.first_row)]);
}

}  // namespace

LoadOptions& load_options() {
  static LoadOptions options;
  return options;
}

Model load_model(const std::string& path) { return Model::load(path, load_options()); }

void inspect(const std::string& model_path, std::ostream& out) {
  const std::vector<std::uint8_t> bytes = detail::artifact::read_file(model_path);
  const auto note = [&](const std::string& message) { fmt::print(out, "warning: {}\n", message); };
  const detail::artifact::Span file =
      detail::artifact::checked_artifact(bytes.data(), bytes.size(), load_options().trusted_keys, note);
  if (detail::artifact::is_signed(bytes.data(), bytes.size())) {
    const detail::artifact::Envelope e = detail::artifact::open_envelope(bytes.data(), bytes.size());
    fmt::print(out, "signed by Ed25519 key {} ({})\n", detail::artifact::to_hex(e.signer.data(), e.signer.size()),
               detail::artifact::signatures_available() ? "signature checked" : "signature not checked: no libsodium");
  }
  const detail::artifact::Artifact a = detail::artifact::read(file.data, file.size);
  // The identity a prediction carries (Prediction::model_name, model_version, model_content_id).
  const auto text = [&](const char* key) {
    const auto m = a.header.find("metadata");
    if (m == a.header.end() || !m->is_object()) return std::string();
    const auto v = m->find(key);
    return v != m->end() && v->is_string() ? v->get<std::string>() : std::string();
  };
  fmt::print(out, "model {} version {}\ncontent id {}\n", text("name"), text("version"),
             detail::sha256_hex(bytes.data(), bytes.size()));
  fmt::print(out, "format {}.{}, {} bytes\n{}\n\n", a.major, a.minor, file.size, a.header.dump(2));
  std::size_t name_width = 4;
  for (const auto& [name, t] : a.tensors) name_width = std::max(name_width, name.size());
  fmt::print(out, "{:<{}}  {:<7}  {:<14}  {:>10}  {}\n", "name", name_width, "dtype", "shape", "bytes", "stored");
  for (const auto& [name, t] : a.tensors)
    fmt::print(out, "{:<{}}  {:<7}  {:<14}  {:>10}  {}\n", name, name_width, detail::artifact::dtype_name(t.dtype),
               shape_text(t.shape), t.bytes.size(),
               t.compressed ? fmt::format("zlib, {} bytes", t.stored_length) : std::string("raw"));
}

void predict(const std::string& model_path, std::istream& csv_in, std::ostream& out, const PredictArgs& args,
             std::ostream& warnings) {
  const Model model = load_model(model_path);
  const Schema& schema = model.schema();
  if (args.proba && schema.task != Task::kClassification)
    throw Error(ErrorCode::kUnsupported, "--proba needs a classifier; this model is a regressor");
  const CsvTable csv = read_csv(csv_in);
  const Table table = to_table(csv);  // every column as text; the model parses numbers
  PredictOptions options;
  options.strict = args.strict;
  // One pass through the engine, validating as it goes, so that an error names the CSV line
  // as well as the row.
  const detail::Engine& engine = detail::engine_of(model);
  detail::Run run = engine.run(table, options);
  for (const ValidationIssue& issue : run.issues) {
    if (issue.fatal) throw Error(issue.code, with_line(issue, csv));
    fmt::print(warnings, "warning: {}\n", with_line(issue, csv));
  }
  const Prediction p = engine.predict(std::move(run.scores));
  const bool proba = args.proba;
  if (proba && p.probabilities.cols() != static_cast<Index>(schema.classes.size()))
    throw Error(ErrorCode::kUnsupported,
                "--proba: this model has no predict_proba (scikit-learn's has none either: an IsolationForest or "
                "a one-class SVM, a linear classifier such as Perceptron or a hinge loss, or an SVC)");

  std::vector<std::string> header;
  if (schema.task == Task::kRegression && schema.n_outputs > 1) {
    for (Index j = 0; j < schema.n_outputs; ++j) header.push_back(fmt::format("prediction_{}", j));
  } else {
    header.emplace_back("prediction");
  }
  if (proba)
    for (std::size_t c = 0; c < schema.classes.size(); ++c)
      header.push_back(csv_field("proba_" + schema.classes.to_string(c)));
  fmt::print(out, "{}\n", fmt::join(header, ","));
  for (Index i = 0; i < p.rows(); ++i) {
    std::vector<std::string> cells;
    if (schema.task == Task::kRegression) {
      for (Index j = 0; j < p.values.cols(); ++j) cells.push_back(fmt::format("{}", p.values(i, j)));
    } else {
      cells.push_back(csv_field(p.label_text(i)));
    }
    if (proba)
      for (Index j = 0; j < p.probabilities.cols(); ++j) cells.push_back(fmt::format("{}", p.probabilities(i, j)));
    fmt::print(out, "{}\n", fmt::join(cells, ","));
  }
}

void verify(const std::string& model_path, std::ostream& out) {
  const Model model = load_model(model_path);
  const std::size_t rows = model.verify();
  fmt::print(out, "ok: {} {} reproduces scikit-learn's outputs on its {} embedded rows\n", model.metadata().name,
             model.metadata().version, rows);
}

}  // namespace ferry::cli
