// Reading a text step's tokenizer (docs/format.md §4.45: its params and Unicode tables) and
// string lists from the artifact: shared by text_vectorizer and hashing_vectorizer.
#ifndef FERRY_SRC_PIPELINE_TEXT_TOKENIZER_INPUTS_HPP
#define FERRY_SRC_PIPELINE_TEXT_TOKENIZER_INPUTS_HPP

#include <string>
#include <vector>

#include "pipeline/step_inputs.hpp"
#include "pipeline/text_tokenizer.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {

// A string list: uint8 `<role>_bytes` [B] and int64 `<role>_offsets` [n + 1], offsets rising
// from 0 to B, every string valid UTF-8; n < 0 takes n from the offsets' shape.
std::vector<std::string> read_strings(const StepInputs& in, const std::string& role, Index n);

// The tokenizer of the step's params `analyzer`, `ngram_range`, `lowercase`, `strip_accents`,
// `token_class`, `token_min_length`, `stop_words` and its tables, each present exactly when
// the params use it.
Tokenizer read_tokenizer(const StepInputs& in);

}  // namespace detail
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_PIPELINE_TEXT_TOKENIZER_INPUTS_HPP
