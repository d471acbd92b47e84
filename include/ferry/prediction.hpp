// The result of Model::predict.
#ifndef FERRY_PREDICTION_HPP
#define FERRY_PREDICTION_HPP

#include <cstdint>
#include <string>
#include <vector>

#include "ferry/detail/config.hpp"
#include "ferry/error.hpp"
#include "ferry/matrix.hpp"
#include "ferry/schema.hpp"
#include "ferry/validation.hpp"

FERRY_BEGIN_NAMESPACE

struct Prediction {
  Task task = Task::kRegression;
  // Regression: predicted values, rows x targets. Empty for classifiers.
  RowMatrixXd values;
  // Classification: index into `classes` of the predicted class, one per row.
  std::vector<Index> class_index;
  ClassLabels classes;
  // Classification: class probabilities, rows x classes, as scikit-learn's predict_proba.
  RowMatrixXd probabilities;
  // Raw scores before the link (scikit-learn's decision_function; for regressors the
  // values again), rows x k.
  RowMatrixXd scores;
  // The model that computed it: Metadata::name, version and content_id (the SHA-256 of its
  // artifact), so that a stored answer says which model said it.
  std::string model_name;
  std::string model_version;
  std::string model_content_id;
  // Named input only: what was counted but not refused (extra columns, values outside the
  // training range, unseen categories). See Model::validate.
  std::vector<ValidationIssue> warnings;

  Index rows() const noexcept { return scores.rows(); }

  // Predicted labels in their original type: labels<std::string>() for text classes,
  // labels<std::int64_t>() for integer (and boolean, as 0/1) classes, labels<double>().
  // Throws Error(ErrorCode::kValue) when T does not match classes.type().
  template <typename T>
  std::vector<T> labels() const {
    const std::vector<T>& all = typed_classes(static_cast<const T*>(nullptr));
    std::vector<T> out;
    out.reserve(class_index.size());
    for (Index i : class_index) out.push_back(all[static_cast<std::size_t>(i)]);
    return out;
  }

  // Predicted label of one row as text, whatever its type.
  // Throws Error(ErrorCode::kValue) for a regressor or a row out of range.
  std::string label_text(Index row) const {
    if (classes.empty()) return classes.to_string(0);  // throws: a regressor has no labels
    if (row < 0 || static_cast<std::size_t>(row) >= class_index.size())
      throw Error(ErrorCode::kValue, "row " + std::to_string(row) + " is out of range");
    return classes.to_string(static_cast<std::size_t>(class_index[static_cast<std::size_t>(row)]));
  }

 private:
  const std::vector<std::int64_t>& typed_classes(const std::int64_t*) const { return classes.int64(); }
  const std::vector<double>& typed_classes(const double*) const { return classes.float64(); }
  const std::vector<std::string>& typed_classes(const std::string*) const { return classes.string(); }
};

FERRY_END_NAMESPACE

#endif  // FERRY_PREDICTION_HPP
