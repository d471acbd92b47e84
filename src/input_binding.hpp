// Named input (ferry::Table) -> the matrix the pipeline runs on, with what validation found.
#ifndef FERRY_SRC_INPUT_BINDING_HPP
#define FERRY_SRC_INPUT_BINDING_HPP

#include <memory>
#include <vector>

#include "ferry/matrix.hpp"
#include "ferry/schema.hpp"
#include "ferry/table.hpp"
#include "ferry/validation.hpp"
#include "pipeline/text_batch.hpp"
#include "pipeline/text_vocabulary.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {

struct BoundInput {
  // rows x inputs in schema order; text as codes of `vocabularies`, missing as NaN.
  RowMatrixXd X;
  std::vector<ValidationIssue> issues;
  // The free text of inputs of kind "text", whose codes in X are row indices into it; null
  // when the model has no such input.
  std::shared_ptr<const TextBatch> text;
};

// Binds the table's columns to the schema's inputs by name. `vocabularies[i]` is the
// vocabulary of input i when it is categorical (null otherwise). Never throws for the
// table's content: every problem becomes an issue (ValidationReport's rules).
BoundInput bind_table(const Schema& schema, const std::vector<const TextVocabulary*>& vocabularies,
                      const Table& table, bool strict);

// Error for a fatal issue.
[[noreturn]] void throw_issue(const ValidationIssue& issue);

}  // namespace detail
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_INPUT_BINDING_HPP
