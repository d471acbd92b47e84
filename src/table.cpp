#include "ferry/table.hpp"

#include <limits>

#include <fmt/format.h>

#include "ferry/error.hpp"

FERRY_BEGIN_NAMESPACE

Table::Table(const Row& row) {
  for (const Row::Cell& c : row.cells_) {
    TableColumn column;
    column.name = c.name;
    column.is_text = c.kind == Row::Cell::kText;
    if (column.is_text)
      column.text.emplace_back(c.text);
    else
      column.numbers.push_back(c.kind == Row::Cell::kNumber ? c.number : std::numeric_limits<double>::quiet_NaN());
    add(std::move(column));
  }
}

Table& Table::add_numeric(std::string name, std::vector<double> values) {
  TableColumn column;
  column.name = std::move(name);
  column.numbers = std::move(values);
  add(std::move(column));
  return *this;
}

Table& Table::add_text(std::string name, std::vector<std::optional<std::string>> values) {
  TableColumn column;
  column.name = std::move(name);
  column.is_text = true;
  column.text = std::move(values);
  add(std::move(column));
  return *this;
}

void Table::add(TableColumn column) {
  if (column.name.empty()) throw Error(ErrorCode::kSchema, "a table column needs a name");
  if (find(column.name) != nullptr)
    throw Error(ErrorCode::kSchema, fmt::format("the table already has a column \"{}\"", column.name));
  if (!columns_.empty() && column.size() != rows())
    throw Error(ErrorCode::kShape, fmt::format("column \"{}\" has {} values but the table has {} rows", column.name,
                                               column.size(), rows()));
  columns_.push_back(std::move(column));
}

const TableColumn* Table::find(const std::string& name) const noexcept {
  for (const TableColumn& c : columns_)
    if (c.name == name) return &c;
  return nullptr;
}

Row::Cell& Row::cell(const std::string& name) {
  if (name.empty()) throw Error(ErrorCode::kSchema, "a row value needs a column name");
  for (Cell& c : cells_)
    if (c.name == name) return c;
  cells_.emplace_back();
  cells_.back().name = name;
  return cells_.back();
}

Row& Row::set_number(const std::string& name, double value) {
  Cell& c = cell(name);
  c.kind = Cell::kNumber;
  c.number = value;
  c.text.clear();
  return *this;
}

Row& Row::set(const std::string& name, std::string value) {
  Cell& c = cell(name);
  c.kind = Cell::kText;
  c.text = std::move(value);
  return *this;
}

Row& Row::set_missing(const std::string& name) {
  Cell& c = cell(name);
  c.kind = Cell::kMissing;
  c.text.clear();
  return *this;
}

FERRY_END_NAMESPACE
