// The tokenizer of text_vectorizer (docs/format.md §4.45): UTF-8 -> code points ->
// str.lower -> strip_accents -> word tokens (runs of \w or \S) and their n-grams, or character
// n-grams (char, char_wb), exactly as scikit-learn 1.2.1's analyzers under the exporting
// Python. Every Unicode property it uses comes from tables in the artifact, never from the
// host's locale or a Unicode library.
#ifndef FERRY_SRC_PIPELINE_TEXT_TOKENIZER_HPP
#define FERRY_SRC_PIPELINE_TEXT_TOKENIZER_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "ferry/detail/config.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {

// The byte offset of the first byte that does not start a well-formed UTF-8 sequence (as
// Python's strict decoder sees it: no overlong forms, no surrogates, nothing above U+10FFFF),
// or -1 when all of `s` is valid.
std::ptrdiff_t utf8_error_offset(std::string_view s) noexcept;
// Decodes valid UTF-8 (checked by utf8_error_offset) into code points.
void decode_utf8(std::string_view s, std::u32string& out);
void append_utf8(char32_t c, std::string& out);

// A set of code points: sorted, disjoint, inclusive ranges.
class CodePointSet {
 public:
  CodePointSet() = default;
  explicit CodePointSet(std::vector<std::pair<char32_t, char32_t>> ranges);
  bool contains(char32_t c) const noexcept {
    if (c < 128) return ascii_[c];
    return contains_slow(c);
  }

 private:
  bool contains_slow(char32_t c) const noexcept;
  std::vector<std::pair<char32_t, char32_t>> ranges_;
  std::array<bool, 128> ascii_{};
};

// A map from code points to code point sequences; a code point absent from it is `absent`.
class CodePointMap {
 public:
  CodePointMap() = default;
  CodePointMap(std::vector<char32_t> from, std::vector<std::int64_t> offsets, std::vector<char32_t> to);
  // Appends the image of c to out; returns false (appending nothing) when c is not in the map.
  bool append(char32_t c, std::u32string& out) const;

 private:
  static constexpr char32_t kDirect = 0x250;  // Latin scripts: looked up directly, not searched
  std::vector<char32_t> from_;
  std::vector<std::int64_t> offsets_;
  std::vector<char32_t> to_;
  std::vector<std::int32_t> direct_;  // kDirect entries: the index in from_ of each, or -1
};

struct TokenizerTables {
  enum class Analyzer { kWord, kChar, kCharWb };
  enum class Accents { kNone, kAscii, kUnicode };
  Analyzer analyzer = Analyzer::kWord;
  int min_n = 1, max_n = 1;
  bool lowercase = true;
  Accents accents = Accents::kNone;
  bool token_word = true;  // word analyzer: runs of \w (else runs of \S)
  int token_min_length = 2;
  CodePointSet word, space, cased, case_ignorable;
  CodePointMap lower, accent;
  std::unordered_set<std::string> stop_words;
};

class Tokenizer {
 public:
  explicit Tokenizer(TokenizerTables tables) : t_(std::move(tables)) {}

  // Reusable buffers of one thread.
  struct Scratch {
    std::u32string a, b;
    std::string bytes, gram;
    std::vector<std::size_t> offsets;
    std::vector<std::string> tokens;
  };

  // Calls emit(term) for every term of `doc` (valid UTF-8), in scikit-learn's order.
  template <typename Emit>
  void terms(std::string_view doc, Scratch& s, Emit&& emit) const {
    preprocess(doc, s);
    if (t_.analyzer == TokenizerTables::Analyzer::kWord) {
      word_tokens(s);
      for (int n = t_.min_n; n <= t_.max_n; ++n) {
        if (static_cast<std::size_t>(n) > s.tokens.size()) break;
        for (std::size_t i = 0; i + static_cast<std::size_t>(n) <= s.tokens.size(); ++i) {
          if (n == 1) {
            emit(std::string_view(s.tokens[i]));
            continue;
          }
          s.gram.clear();
          for (std::size_t k = 0; k < static_cast<std::size_t>(n); ++k) {
            if (k > 0) s.gram.push_back(' ');
            s.gram += s.tokens[i + k];
          }
          emit(std::string_view(s.gram));
        }
      }
      return;
    }
    squeeze_spaces(s);  // s.b: runs of two or more \s as one space
    if (t_.analyzer == TokenizerTables::Analyzer::kChar) {
      encode(s.b, 0, s.b.size(), false, s);
      char_grams(s, false, emit);
      return;
    }
    const std::u32string& text = s.b;
    std::size_t i = 0;
    while (i < text.size()) {
      while (i < text.size() && t_.space.contains(text[i])) ++i;
      std::size_t j = i;
      while (j < text.size() && !t_.space.contains(text[j])) ++j;
      if (j > i) {
        encode(text, i, j, true, s);  // " " + word + " "
        char_grams(s, true, emit);
      }
      i = j;
    }
  }

  // Every term as a string (tests, fuzzing).
  std::vector<std::string> terms(std::string_view doc) const;

 private:
  void preprocess(std::string_view doc, Scratch& s) const;  // -> s.a
  void word_tokens(Scratch& s) const;                        // s.a -> s.tokens
  void squeeze_spaces(Scratch& s) const;                     // s.a -> s.b
  // s.bytes: UTF-8 of text[begin, end) (padded with spaces when `pad`), s.offsets: the byte
  // offset of each code point, and the end.
  void encode(const std::u32string& text, std::size_t begin, std::size_t end, bool pad, Scratch& s) const;

  template <typename Emit>
  void char_grams(Scratch& s, bool wb, Emit&& emit) const {
    const std::size_t len = s.offsets.size() - 1;  // code points
    for (int n = t_.min_n; n <= t_.max_n; ++n) {
      const auto un = static_cast<std::size_t>(n);
      if (wb && len <= un) {  // a padded word no longer than n counts once, as itself
        emit(std::string_view(s.bytes));
        break;
      }
      if (un > len) break;
      for (std::size_t i = 0; i + un <= len; ++i)
        emit(std::string_view(s.bytes.data() + s.offsets[i], s.offsets[i + un] - s.offsets[i]));
    }
  }

  TokenizerTables t_;
};

}  // namespace detail
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_PIPELINE_TEXT_TOKENIZER_HPP
