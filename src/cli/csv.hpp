// A strict RFC 4180 CSV reader and the quoting the writer needs. Errors name the line.
#ifndef FERRY_SRC_CLI_CSV_HPP
#define FERRY_SRC_CLI_CSV_HPP

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include "ferry/table.hpp"

namespace ferry::cli {

struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::size_t> row_lines;  // 1-based line in the file where each row starts
};

// Fields may be quoted ("a, b", "say ""hi"""); quoted fields may span lines; CRLF or LF line
// ends; a UTF-8 byte-order mark is skipped. Every row must have as many fields as the header.
// Throws Error(kValue) naming the line on a ragged row or a malformed quote.
CsvTable read_csv(std::istream& in);

// Rows [first, first + count) as a Table of text columns, an empty cell being a missing
// value: the model parses the numbers of numeric inputs itself, so one reader serves numeric
// and text inputs alike. Error(kSchema) when the header repeats a name.
Table to_table(const CsvTable& csv, std::size_t first = 0, std::size_t count = SIZE_MAX);

// Quotes a field when it holds a comma, a quote or a line break.
std::string csv_field(const std::string& text);

}  // namespace ferry::cli

#endif  // FERRY_SRC_CLI_CSV_HPP
