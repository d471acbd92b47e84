// The categories of an encoder's input columns (docs/format.md §4.18): read and checked once
// at load, then a category index per value. Shared by one_hot_encoder and ordinal_encoder.
#ifndef FERRY_SRC_PIPELINE_CATEGORIES_HPP
#define FERRY_SRC_PIPELINE_CATEGORIES_HPP

#include <string>
#include <vector>

#include "ferry/matrix.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {

class StepInputs;

class Categories {
 public:
  static constexpr Index kUnknown = -1;

  // What scikit-learn kept as the missing category of a column, if any.
  enum class Missing { kAbsent, kNaN, kNone };

  // Reads params.categories, params.missing and tensor numeric_categories; Error(kFormat)
  // naming the rule a file breaks. Text categories are resolved to the codes of their input
  // column's vocabulary here, so a lookup never touches a string.
  explicit Categories(const StepInputs& in);

  Index n_columns() const noexcept { return static_cast<Index>(columns_.size()); }
  // Categories of column j, the missing category included (it is the last one).
  Index count(Index j) const noexcept { return columns_[static_cast<std::size_t>(j)].count; }
  Missing missing(Index j) const noexcept { return columns_[static_cast<std::size_t>(j)].missing; }
  bool is_text(Index j) const noexcept { return columns_[static_cast<std::size_t>(j)].text; }

  // The category index of x in column j, or kUnknown. x is a number, or for a text column
  // the code of a text value (-1 when it is in no vocabulary); NaN is the missing value.
  Index index(Index j, double x) const noexcept {
    const Column& c = columns_[static_cast<std::size_t>(j)];
    if (x != x) return c.missing == Missing::kAbsent ? kUnknown : c.count - 1;
    return c.text ? text_index(c, x) : numeric_index(c, x);
  }

  // "2.5", "a text value outside its categories", "a missing value": for messages.
  std::string describe(Index j, double x) const;

 private:
  struct Column {
    bool text = false;
    Missing missing = Missing::kAbsent;
    Index count = 0;
    Index begin = 0;  // numeric: [begin, begin + count - has missing) of values_; text: of codes_
  };

  Index text_index(const Column& c, double code) const noexcept;
  Index numeric_index(const Column& c, double x) const noexcept;

  std::vector<Column> columns_;
  std::vector<double> values_;  // numeric categories, column after column, strictly increasing in a column
  // Text: each column's vocabulary codes, increasing, and the category each one is. Sorted pairs
  // rather than a table indexed by code: memory stays proportional to the categories the file
  // lists, however large the vocabulary it shares with other steps.
  std::vector<double> codes_;
  std::vector<Index> code_category_;
};

}  // namespace detail
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_PIPELINE_CATEGORIES_HPP
