#include "serve/request_rows.hpp"

#include <cmath>
#include <limits>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/csv.hpp"
#include "ferry/error.hpp"
#include "serve/http_error.hpp"

namespace ferry::serve {
namespace {

using nlohmann::json;

HttpError bad(const std::string& code, const std::string& message) { return HttpError(400, code, message); }

HttpError too_many(std::size_t rows, std::size_t max_rows) {
  return HttpError(413, "too_many_rows",
                   fmt::format("the request has {} rows; this server takes at most {} per request", rows, max_rows));
}

const char* type_name(const json& v) {
  switch (v.type()) {
    case json::value_t::boolean: return "a boolean";
    case json::value_t::array: return "an array";
    case json::value_t::object: return "an object";
    case json::value_t::binary: return "binary data";
    default: return "a value of another type";
  }
}

}  // namespace

Table rows_from_json(const std::string& body, std::size_t max_rows) {
  json doc;
  try {
    doc = json::parse(body);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for a number like 1e400
    throw bad("bad_json", fmt::format("the body is not valid JSON: {}", e.what()));
  }
  if (!doc.is_object() || !doc.contains("rows") || !doc["rows"].is_array())
    throw bad("bad_request", "the body must be a JSON object {\"rows\": [{\"column\": value, ...}, ...]}");
  const json& rows = doc["rows"];
  if (rows.empty()) throw bad("bad_request", "\"rows\" is empty");
  if (rows.size() > max_rows) throw too_many(rows.size(), max_rows);
  for (std::size_t r = 0; r < rows.size(); ++r)
    if (!rows[r].is_object()) throw bad("bad_request", fmt::format("row {} is not a JSON object", r));

  // The first row names the columns; every other row must name the same ones.
  const json& first = rows[0];
  if (first.empty()) throw bad("bad_request", "row 0 names no column");
  for (std::size_t r = 1; r < rows.size(); ++r) {
    for (const auto& item : first.items())
      if (!rows[r].contains(item.key()))
        throw bad("missing_column", fmt::format("row {} lacks column \"{}\", which row 0 has (give null for a "
                                                "missing value)", r, item.key()));
    if (rows[r].size() != first.size())
      for (const auto& item : rows[r].items())
        if (!first.contains(item.key()))
          throw bad("missing_column", fmt::format("row 0 lacks column \"{}\", which row {} has (give null for a "
                                                  "missing value)", item.key(), r));
  }

  Table table;
  for (const auto& item : first.items()) {
    const std::string& name = item.key();
    std::ptrdiff_t first_number = -1, first_string = -1;
    for (std::size_t r = 0; r < rows.size(); ++r) {
      const json& v = rows[r][name];
      if (v.is_number()) {
        if (first_number < 0) first_number = static_cast<std::ptrdiff_t>(r);
      } else if (v.is_string()) {
        if (first_string < 0) first_string = static_cast<std::ptrdiff_t>(r);
      } else if (!v.is_null()) {
        throw bad("wrong_type", fmt::format("row {}, column \"{}\": {}; give a number, a string or null", r, name,
                                            type_name(v)));
      }
    }
    if (first_number >= 0 && first_string >= 0)
      throw bad("wrong_type", fmt::format("column \"{}\" mixes numbers (row {}) and strings (row {}); give one kind",
                                          name, first_number, first_string));
    try {
      if (first_number >= 0) {
        std::vector<double> values(rows.size(), std::numeric_limits<double>::quiet_NaN());
        for (std::size_t r = 0; r < rows.size(); ++r)
          if (!rows[r][name].is_null()) values[r] = rows[r][name].get<double>();
        table.add_numeric(name, std::move(values));
      } else {
        std::vector<std::optional<std::string>> values(rows.size());
        for (std::size_t r = 0; r < rows.size(); ++r)
          if (!rows[r][name].is_null()) values[r] = rows[r][name].get<std::string>();
        table.add_text(name, std::move(values));
      }
    } catch (const Error& e) {  // an empty column name
      throw bad("bad_request", e.message());
    }
  }
  return table;
}

Table rows_from_csv(const std::string& body, std::size_t max_rows) {
  std::istringstream in(body);
  cli::CsvTable csv;
  try {
    csv = cli::read_csv(in);
  } catch (const Error& e) {
    throw bad("bad_csv", e.message());
  }
  if (csv.rows.empty()) throw bad("bad_request", "the CSV body has a header and no rows");
  if (csv.rows.size() > max_rows) throw too_many(csv.rows.size(), max_rows);
  try {
    return cli::to_table(csv);
  } catch (const Error& e) {
    throw bad("bad_csv", e.message());
  }
}

Table rows_from_body(const std::string& content_type, const std::string& body, std::size_t max_rows) {
  // "text/csv; charset=utf-8" and the like.
  if (content_type.rfind("text/csv", 0) == 0) return rows_from_csv(body, max_rows);
  if (!content_type.empty() && content_type.rfind("application/json", 0) != 0)
    throw HttpError(415, "unsupported_media_type",
                    fmt::format("Content-Type \"{}\": send application/json or text/csv", content_type));
  return rows_from_json(body, max_rows);
}

}  // namespace ferry::serve
