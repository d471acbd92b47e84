// What Model::validate finds in named input, and what predict counts without refusing.
#ifndef FERRY_VALIDATION_HPP
#define FERRY_VALIDATION_HPP

#include <string>
#include <vector>

#include "ferry/detail/config.hpp"
#include "ferry/error.hpp"
#include "ferry/matrix.hpp"

FERRY_BEGIN_NAMESPACE

enum class IssueKind {
  // Fatal: predict refuses the input with the Error code in parentheses.
  kMissingColumn,   // an input the model takes is not in the table (kSchema)
  kWrongType,       // text that is not a number in a numeric input, or numbers for a text input (kValue / kSchema)
  kMissingValue,    // a missing value where the pipeline cannot take one (kValue)
  kNotFinite,       // an infinity (kValue)
  kRejected,        // a pipeline step refused a value, e.g. an encoder with handle_unknown='error' (kValue)
  // Counted: predict goes on and lists them in Prediction::warnings.
  kExtraColumn,      // a table column the model does not take (fatal with PredictOptions::strict, kSchema)
  kOutOfRange,       // a number outside the range seen in training
  kUnknownCategory,  // a text value not seen in training (an encoder that ignores it handles it)
};

// One kind of problem in one column, with the number of rows it affects.
struct ValidationIssue {
  IssueKind kind = IssueKind::kMissingColumn;
  bool fatal = false;
  std::string column;
  Index rows = 0;        // rows affected; 0 for a problem with the column itself
  Index first_row = -1;  // first affected row (0-based), -1 for a column problem
  ErrorCode code = ErrorCode::kSchema;  // the Error predict throws for it, when fatal
  std::string message;   // names the column, and the first row when there is one
};

struct ValidationReport {
  // In the order of the model's inputs, then the table's extra columns.
  std::vector<ValidationIssue> issues;
  // Whether predict would accept the input.
  bool ok() const noexcept {
    for (const ValidationIssue& i : issues)
      if (i.fatal) return false;
    return true;
  }
};

FERRY_END_NAMESPACE

#endif  // FERRY_VALIDATION_HPP
