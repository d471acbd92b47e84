// A strict RFC 4180 CSV reader and the quoting the writer needs. Errors name the line.
#ifndef FERRY_SRC_CLI_CSV_HPP
#define FERRY_SRC_CLI_CSV_HPP

#include <istream>
#include <string>
#include <vector>

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

// Quotes a field when it holds a comma, a quote or a line break.
std::string csv_field(const std::string& text);

}  // namespace ferry::cli

#endif  // FERRY_SRC_CLI_CSV_HPP
