// The rows of a /v1/predict or /v1/explain request, from its JSON or CSV body, as a Table.
#ifndef FERRY_SRC_SERVE_REQUEST_ROWS_HPP
#define FERRY_SRC_SERVE_REQUEST_ROWS_HPP

#include <cstddef>
#include <string>

#include "ferry/table.hpp"

namespace ferry::serve {

// `{"rows": [{"column": value, ...}, ...]}`: a value is a number, a string or null (missing);
// every row names the same columns. A column is numeric when it holds numbers, text when it
// holds strings (the model parses a text column feeding a numeric input, as for CSV), text when
// it holds only nulls. Throws HttpError: 400 for malformed JSON, a body of another shape, a
// row without a column another row has, a boolean, array or object value, a column mixing
// numbers and strings; 413 for more than `max_rows` rows.
Table rows_from_json(const std::string& body, std::size_t max_rows);

// A CSV body with a header row, as `ferry predict` reads it (an empty cell is missing).
// HttpError 400 for malformed CSV, 413 for more than `max_rows` rows.
Table rows_from_csv(const std::string& body, std::size_t max_rows);

// Dispatches on the Content-Type: text/csv, else JSON.
Table rows_from_body(const std::string& content_type, const std::string& body, std::size_t max_rows);

}  // namespace ferry::serve

#endif  // FERRY_SRC_SERVE_REQUEST_ROWS_HPP
