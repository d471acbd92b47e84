// The free text of one batch (schema inputs of kind "text", docs/format.md §3.2): a text input
// enters the pipeline as a code, the index of its text here; the steps that take free text
// (text_vectorizer, §4.45) read the text back. Immutable once bound.
#ifndef FERRY_SRC_PIPELINE_TEXT_BATCH_HPP
#define FERRY_SRC_PIPELINE_TEXT_BATCH_HPP

#include <cmath>
#include <string>
#include <vector>

#include "ferry/matrix.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {

struct TextBatch {
  // Per schema input: its texts, by code (empty for the other inputs).
  std::vector<std::vector<std::string>> inputs;

  // The text of `code` in input `input`, or null when there is none (a missing value, a code
  // out of range, a batch without text).
  const std::string* text(Index input, double code) const noexcept {
    if (input < 0 || static_cast<std::size_t>(input) >= inputs.size() || !(code >= 0)) return nullptr;
    const auto& texts = inputs[static_cast<std::size_t>(input)];
    if (!(code < static_cast<double>(texts.size())) || std::floor(code) != code) return nullptr;
    return &texts[static_cast<std::size_t>(code)];
  }
};

}  // namespace detail
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_PIPELINE_TEXT_BATCH_HPP
