// The dictionary of one text input column: text values enter the pipeline as their code in it.
#ifndef FERRY_SRC_PIPELINE_TEXT_VOCABULARY_HPP
#define FERRY_SRC_PIPELINE_TEXT_VOCABULARY_HPP

#include <string>
#include <unordered_map>
#include <vector>

#include "ferry/matrix.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {

// Codes 0 .. n_seen()-1 are the categories the schema lists (seen in training), in order;
// steps add the strings they name (an encoder's categories, an imputer's fill value) while
// the model loads, so every string a step compares with has a code. Frozen after loading.
class TextVocabulary {
 public:
  // The code of a text value that no step and no training row knows.
  static constexpr double kUnknown = -1.0;

  explicit TextVocabulary(const std::vector<std::string>& seen) {
    for (const std::string& s : seen) add(s);
    n_seen_ = static_cast<Index>(values_.size());
  }
  // A free-text input (schema kind "text"): no codes of its own; a value's code is its index in
  // the batch's TextBatch (pipeline/text_batch.hpp) for input `input`.
  static TextVocabulary free_text(Index input) {
    TextVocabulary v({});
    v.free_text_input_ = input;
    return v;
  }
  // The schema input of a free-text column, or -1 for a categorical one.
  Index free_text_input() const noexcept { return free_text_input_; }
  double code(const std::string& value) const noexcept {
    const auto it = codes_.find(value);
    return it == codes_.end() ? kUnknown : it->second;
  }
  // Load time only.
  double add(const std::string& value) {
    const auto [it, added] = codes_.emplace(value, static_cast<double>(values_.size()));
    if (added) values_.push_back(value);
    return it->second;
  }
  Index n_seen() const noexcept { return n_seen_; }
  Index size() const noexcept { return static_cast<Index>(values_.size()); }
  const std::string& value(Index code) const { return values_[static_cast<std::size_t>(code)]; }

 private:
  std::unordered_map<std::string, double> codes_;
  std::vector<std::string> values_;
  Index n_seen_ = 0;
  Index free_text_input_ = -1;
};

}  // namespace detail
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_PIPELINE_TEXT_VOCABULARY_HPP
