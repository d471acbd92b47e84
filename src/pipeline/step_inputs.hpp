// What a step factory gets: the step's header entry and checked access to its tensors.
// Shared by preprocessing steps (pipeline/) and estimators (models/).
#ifndef FERRY_SRC_PIPELINE_STEP_INPUTS_HPP
#define FERRY_SRC_PIPELINE_STEP_INPUTS_HPP

#include <map>
#include <set>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "artifact/artifact.hpp"
#include "artifact/json_fields.hpp"
#include "ferry/matrix.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {

class TextVocabulary;

// The columns flowing between steps: their names, and for each one that carries text codes
// the vocabulary of the input column it comes from (null for numbers).
struct Columns {
  std::vector<std::string> names;
  std::vector<TextVocabulary*> text;
};

class StepInputs {
 public:
  // `path` locates the step in the header ("pipeline[0]", "estimator"). Every tensor the
  // step refers to must exist and is added to `used`, so the loader can reject the rest.
  // `in`, when given, names the step's input columns (for messages about values) and says
  // which carry text (pipeline/text_vocabulary.hpp); by default all are numeric.
  StepInputs(const nlohmann::json& entry, std::string path, const artifact::Artifact& artifact,
             std::set<std::string>& used, Columns in = {});

  const std::string& type() const noexcept { return type_; }
  Index n_features_in() const noexcept { return n_in_; }
  Index n_features_out() const noexcept { return n_out_; }
  const artifact::Fields& params() const noexcept { return params_; }
  // "pipeline[0] (standard_scaler, steps[0]: StandardScaler)": for error messages.
  const std::string& where() const noexcept { return where_; }
  // The names of the input columns, or "column 0", "column 1", ... when none were given.
  std::vector<std::string> names_in() const;

  // Whether input column j carries text codes. A step that accepts text calls this for each
  // of its input columns; a text column reaching a step that never asked is a format error
  // (check_text_handled).
  bool is_text(Index j) const;
  // Whether input column j is free text (schema kind "text"): asked by the steps that take it
  // (text_vectorizer, hashing_vectorizer); is_text() refuses such a column.
  bool is_free_text(Index j) const;
  // Whether column j carries text of either kind: for composites that hand columns on.
  bool carries_text(Index j) const;
  // The code of `value` in text column j's vocabulary, added now if absent; Error(kFormat)
  // when column j is numeric.
  double text_code(Index j, const std::string& value) const;
  // Error(kFormat) naming the first text input column the step did not ask about.
  void check_text_handled() const;
  const Columns& columns_in() const noexcept { return in_; }

  // The header entry, the artifact and the set of used tensors: for steps that build steps.
  const nlohmann::json& entry() const noexcept { return entry_; }
  const artifact::Artifact& artifact() const noexcept { return artifact_; }
  std::set<std::string>& used() const noexcept { return used_; }
  const std::string& path() const noexcept { return path_; }

  bool has_tensor(const char* role) const;
  // Shape of the tensor of `role` (which must exist), for tensors whose size the file defines.
  const std::vector<std::int64_t>& tensor_shape(const char* role) const;
  // float64 tensors of exactly the given shape, every value finite.
  Eigen::VectorXd vector(const char* role, Index n) const;
  RowMatrixXd matrix(const char* role, Index rows, Index cols) const;
  // float64 tensor of exactly the given shape, row-major, values unchecked (the caller names
  // a bad value better, e.g. by tree and node).
  std::vector<double> float64_values(const char* role, std::initializer_list<Index> shape) const;
  // uint8 tensor of shape [n].
  std::vector<std::uint8_t> uint8_vector(const char* role, Index n) const;
  // int32 tensor of exactly the given shape, row-major.
  std::vector<std::int32_t> int32_values(const char* role, std::initializer_list<Index> shape) const;
  // int64 tensor of exactly the given shape, row-major.
  std::vector<std::int64_t> int64_matrix(const char* role, Index rows, Index cols) const;
  // int64 tensor of shape [n].
  std::vector<std::int64_t> int64_vector(const char* role, Index n) const;
  // int64 tensor of shape [k] holding strictly increasing column indices in [0, n).
  std::vector<Index> column_indices(const char* role, Index k, Index n) const;

  // Error(kFormat) about this step.
  [[noreturn]] void invalid(const std::string& what) const;

 private:
  const artifact::Tensor& tensor(const char* role, artifact::DType dtype,
                                 std::initializer_list<Index> shape) const;

  const nlohmann::json& entry_;
  const artifact::Artifact& artifact_;
  std::set<std::string>& used_;
  std::string path_;
  std::string type_;
  std::string where_;
  Index n_in_ = 0;
  Index n_out_ = 0;
  artifact::Fields params_;
  std::map<std::string, std::string> tensor_names_;
  Columns in_;
  mutable std::vector<bool> asked_;  // text columns the step asked about (is_text)
};

}  // namespace detail
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_PIPELINE_STEP_INPUTS_HPP
