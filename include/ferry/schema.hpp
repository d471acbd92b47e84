// What a model expects as input and what it produces, as recorded in its artifact.
#ifndef FERRY_SCHEMA_HPP
#define FERRY_SCHEMA_HPP

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ferry/detail/config.hpp"
#include "ferry/matrix.hpp"

FERRY_BEGIN_NAMESPACE

enum class Task { kRegression, kClassification };

// kText: free text (documents), taken whole by a text vectorizer; no categories.
enum class ColumnKind { kNumeric, kCategorical, kText };

struct InputColumn {
  std::string name;
  ColumnKind kind = ColumnKind::kNumeric;
  bool nullable = false;  // whether the pipeline accepts a missing value here
  // Numeric columns: smallest and largest value in the exporter's sample, when it was given one.
  std::optional<double> min;
  std::optional<double> max;
  // Categorical (text) columns: the distinct values seen in training, sorted.
  std::vector<std::string> categories;
};

// The type scikit-learn's classes_ had, so labels come back as they went in.
enum class LabelType { kInt64, kFloat64, kString, kBool };

// A classifier's classes in scikit-learn's classes_ order. Cheap to copy (shared storage).
class FERRY_API ClassLabels {
 public:
  ClassLabels() = default;
  static ClassLabels from_int64(std::vector<std::int64_t> values);
  static ClassLabels from_float64(std::vector<double> values);
  static ClassLabels from_string(std::vector<std::string> values);
  static ClassLabels from_bool(std::vector<bool> values);

  LabelType type() const noexcept { return type_; }
  std::size_t size() const noexcept;
  bool empty() const noexcept { return size() == 0; }

  // Typed access; each throws Error(ErrorCode::kValue) when the labels are of another
  // type. Booleans are read with int64(), as 0 and 1.
  const std::vector<std::int64_t>& int64() const;
  const std::vector<double>& float64() const;
  const std::vector<std::string>& string() const;

  // Label i as text: "setosa", "7", "0.5", "True"/"False" (Python's spelling).
  std::string to_string(std::size_t i) const;

 private:
  struct Storage;
  LabelType type_ = LabelType::kInt64;
  std::shared_ptr<const Storage> storage_;
};

struct FERRY_API Schema {
  std::vector<InputColumn> inputs;  // in the column order dense input uses
  Task task = Task::kRegression;
  // Regression: number of targets. Classification: number of classes.
  Index n_outputs = 0;
  ClassLabels classes;  // empty for regression
  std::string target;   // name of the target column, empty when unknown

  // Position of the input column with this name, or -1.
  Index find_input(const std::string& name) const noexcept;
};

FERRY_END_NAMESPACE

#endif  // FERRY_SCHEMA_HPP
