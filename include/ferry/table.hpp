// Input by name: a ferry::Table of named columns (a batch), a ferry::Row (one request).
#ifndef FERRY_TABLE_HPP
#define FERRY_TABLE_HPP

#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "ferry/detail/config.hpp"
#include "ferry/matrix.hpp"

FERRY_BEGIN_NAMESPACE

// One named column: numbers (NaN marks a missing value) or text (std::nullopt marks one).
struct TableColumn {
  std::string name;
  bool is_text = false;
  std::vector<double> numbers;                   // when !is_text
  std::vector<std::optional<std::string>> text;  // when is_text
  Index size() const noexcept { return static_cast<Index>(is_text ? text.size() : numbers.size()); }
};

class Row;

// Named columns of equal length. A model binds them to its inputs by name, never by
// position: their order does not matter, and a column the model does not take is reported
// (ValidationReport), not used. A text column may feed a numeric input when every value
// parses as a number, so CSV text can be passed as it is read.
class FERRY_API Table {
 public:
  Table() = default;
  // One request as a one-row table (implicit, so a Row goes wherever a Table does).
  Table(const Row& row);  // NOLINT(google-explicit-constructor)

  // Each throws Error(kSchema) for an empty or repeated name and Error(kShape) when the
  // length differs from the columns already added.
  Table& add_numeric(std::string name, std::vector<double> values);
  Table& add_text(std::string name, std::vector<std::optional<std::string>> values);

  Index rows() const noexcept { return columns_.empty() ? 0 : columns_.front().size(); }
  const std::vector<TableColumn>& columns() const noexcept { return columns_; }
  // The column with this name, or nullptr.
  const TableColumn* find(const std::string& name) const noexcept;

 private:
  void add(TableColumn column);
  std::vector<TableColumn> columns_;
};

// One request: column name -> number, text or missing. Setting a name again replaces its
// value. A missing value fits a numeric or a text input alike.
class FERRY_API Row {
 public:
  // Any arithmetic type is stored as a double; NaN is a missing value.
  template <typename T, typename = std::enable_if_t<std::is_arithmetic_v<T>>>
  Row& set(const std::string& name, T value) {
    return set_number(name, static_cast<double>(value));
  }
  Row& set(const std::string& name, std::string value);
  Row& set(const std::string& name, const char* value) { return set(name, std::string(value)); }
  Row& set_missing(const std::string& name);

 private:
  friend class Table;
  struct Cell {
    std::string name;
    enum Kind { kNumber, kText, kMissing } kind = kMissing;
    double number = 0.0;
    std::string text;
  };
  Cell& cell(const std::string& name);
  Row& set_number(const std::string& name, double value);
  std::vector<Cell> cells_;
};

FERRY_END_NAMESPACE

#endif  // FERRY_TABLE_HPP
