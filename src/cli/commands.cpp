#include "cli/commands.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <ostream>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <fmt/ranges.h>

#include "artifact/artifact.hpp"
#include "cli/csv.hpp"
#include "ferry/error.hpp"
#include "ferry/model.hpp"

namespace ferry::cli {
namespace {

std::string shape_text(const std::vector<std::int64_t>& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

// Strict number parsing: the whole cell, surrounding spaces aside, must be a number. An
// empty cell is a missing value.
double parse_cell(const std::string& cell, std::size_t row, std::size_t line, const std::string& column) {
  std::size_t b = cell.find_first_not_of(' ');
  if (b == std::string::npos) return std::numeric_limits<double>::quiet_NaN();
  const std::size_t e = cell.find_last_not_of(' ') + 1;
  double value = 0.0;
  const char* first = cell.data() + b;
  const char* last = cell.data() + e;
  if (*first == '+' && first + 1 < last && first[1] != '-') ++first;  // from_chars takes no '+'
  const auto [ptr, ec] = std::from_chars(first, last, value);
  if (ec == std::errc::result_out_of_range)
    throw Error(ErrorCode::kValue, fmt::format("row {} (CSV line {}), column \"{}\": \"{}\" is out of the range of "
                                               "a double", row, line, column, cell));
  if (ec != std::errc() || ptr != last)
    throw Error(ErrorCode::kValue, fmt::format("row {} (CSV line {}), column \"{}\": \"{}\" is not a number", row, line,
                                               column, cell));
  return value;
}

RowMatrixXd bind_columns(const CsvTable& csv, const Schema& schema) {
  std::vector<std::size_t> source;
  std::vector<std::string> missing;
  for (const InputColumn& input : schema.inputs) {
    std::size_t found = csv.header.size();
    for (std::size_t c = 0; c < csv.header.size(); ++c) {
      if (csv.header[c] != input.name) continue;
      if (found != csv.header.size())
        throw Error(ErrorCode::kSchema, fmt::format("CSV header names column \"{}\" twice", input.name));
      found = c;
    }
    if (found == csv.header.size()) missing.push_back(fmt::format("\"{}\"", input.name));
    source.push_back(found);
  }
  if (!missing.empty())
    throw Error(ErrorCode::kSchema, fmt::format("CSV input lacks {} of the model's columns: {}", missing.size(),
                                                fmt::join(missing, ", ")));
  RowMatrixXd X(static_cast<Index>(csv.rows.size()), static_cast<Index>(schema.inputs.size()));
  for (std::size_t r = 0; r < csv.rows.size(); ++r)
    for (std::size_t j = 0; j < source.size(); ++j)
      X(static_cast<Index>(r), static_cast<Index>(j)) =
          parse_cell(csv.rows[r][source[j]], r, csv.row_lines[r], schema.inputs[j].name);
  return X;
}

}  // namespace

void inspect(const std::string& model_path, std::ostream& out) {
  const std::vector<std::uint8_t> bytes = artifact::read_file(model_path);
  const artifact::Artifact a = artifact::read(bytes.data(), bytes.size());
  fmt::print(out, "format {}.{}, {} bytes\n{}\n\n", a.major, a.minor, bytes.size(), a.header.dump(2));
  std::size_t name_width = 4;
  for (const auto& [name, t] : a.tensors) name_width = std::max(name_width, name.size());
  fmt::print(out, "{:<{}}  {:<7}  {:<14}  {:>10}  {}\n", "name", name_width, "dtype", "shape", "bytes", "stored");
  for (const auto& [name, t] : a.tensors)
    fmt::print(out, "{:<{}}  {:<7}  {:<14}  {:>10}  {}\n", name, name_width, artifact::dtype_name(t.dtype),
               shape_text(t.shape), t.bytes.size(),
               t.compressed ? fmt::format("zlib, {} bytes", t.stored_length) : std::string("raw"));
}

void predict(const std::string& model_path, std::istream& csv_in, std::ostream& out, bool proba) {
  const Model model = Model::load(model_path);
  const Schema& schema = model.schema();
  if (proba && schema.task != Task::kClassification)
    throw Error(ErrorCode::kUnsupported, "--proba needs a classifier; this model is a regressor");
  const CsvTable csv = read_csv(csv_in);
  const Prediction p = model.predict(bind_columns(csv, schema));
  if (proba && p.probabilities.cols() != static_cast<Index>(schema.classes.size()))
    throw Error(ErrorCode::kUnsupported, "--proba: this model has no predict_proba (an IsolationForest)");

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
  const Model model = Model::load(model_path);
  const std::size_t rows = model.verify();
  fmt::print(out, "ok: {} {} reproduces scikit-learn's outputs on its {} embedded rows\n", model.metadata().name,
             model.metadata().version, rows);
}

}  // namespace ferry::cli
