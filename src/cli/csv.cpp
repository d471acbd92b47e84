#include "cli/csv.hpp"

#include <algorithm>
#include <iterator>
#include <optional>

#include <fmt/format.h>

#include "ferry/error.hpp"

namespace ferry::cli {

CsvTable read_csv(std::istream& in) {
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::size_t pos = text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
  std::size_t line = 1;
  CsvTable table;
  std::vector<std::string> record;
  std::string field;
  std::size_t record_line = 1;
  bool in_record = false;
  bool have_header = false;

  auto end_record = [&] {
    record.push_back(std::move(field));
    field.clear();
    if (!have_header) {
      table.header = std::move(record);
      have_header = true;
    } else {
      if (record.size() != table.header.size())
        throw Error(ErrorCode::kValue, fmt::format("CSV line {}: {} fields, but the header has {}", record_line,
                                                   record.size(), table.header.size()));
      table.rows.push_back(std::move(record));
      table.row_lines.push_back(record_line);
    }
    record.clear();
    in_record = false;
  };

  while (pos < text.size()) {
    if (!in_record) {
      record_line = line;
      in_record = true;
    }
    const char c = text[pos];
    if (c == '"' && field.empty()) {
      // Quoted field: runs to the next quote not doubled.
      ++pos;
      for (;;) {
        if (pos >= text.size())
          throw Error(ErrorCode::kValue, fmt::format("CSV line {}: a quoted field is never closed", record_line));
        if (text[pos] == '"') {
          if (pos + 1 < text.size() && text[pos + 1] == '"') {
            field += '"';
            pos += 2;
            continue;
          }
          ++pos;
          break;
        }
        if (text[pos] == '\n') ++line;
        field += text[pos++];
      }
      if (pos < text.size() && text[pos] != ',' && text[pos] != '\n' && text[pos] != '\r')
        throw Error(ErrorCode::kValue, fmt::format("CSV line {}: text after a closing quote", line));
      continue;
    }
    if (c == ',') {
      record.push_back(std::move(field));
      field.clear();
      ++pos;
    } else if (c == '\n' || c == '\r') {
      pos += (c == '\r' && pos + 1 < text.size() && text[pos + 1] == '\n') ? 2 : 1;
      end_record();
      ++line;
    } else if (c == '"') {
      throw Error(ErrorCode::kValue, fmt::format("CSV line {}: a quote inside an unquoted field", line));
    } else {
      field += c;
      ++pos;
    }
  }
  if (in_record) end_record();
  if (!have_header) throw Error(ErrorCode::kValue, "CSV input is empty: it needs a header row");
  return table;
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

Table to_table(const CsvTable& csv, std::size_t first, std::size_t count) {
  const std::size_t begin = std::min(first, csv.rows.size());
  const std::size_t end = begin + std::min(count, csv.rows.size() - begin);
  Table table;
  for (std::size_t c = 0; c < csv.header.size(); ++c) {
    std::vector<std::optional<std::string>> values;
    values.reserve(end - begin);
    for (std::size_t r = begin; r < end; ++r) {
      const std::string& cell = csv.rows[r][c];
      values.push_back(cell.empty() ? std::nullopt : std::optional<std::string>(cell));
    }
    try {
      table.add_text(csv.header[c], std::move(values));
    } catch (const Error& e) {
      throw Error(e.code(), "CSV header: " + e.message());
    }
  }
  return table;
}

}  // namespace ferry::cli
