#include "pipeline/text_tokenizer.hpp"

#include <algorithm>

FERRY_BEGIN_NAMESPACE
namespace detail {

std::ptrdiff_t utf8_error_offset(std::string_view s) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    unsigned lo = 0x80, hi = 0xBF;  // the range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // no overlong forms
      if (c == 0xED) hi = 0x9F;  // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
    } else {
      return static_cast<std::ptrdiff_t>(i);
    }
    if (i + len > n || p[i + 1] < lo || p[i + 1] > hi) return static_cast<std::ptrdiff_t>(i);
    for (std::size_t k = 2; k < len; ++k)
      if (p[i + k] < 0x80 || p[i + k] > 0xBF) return static_cast<std::ptrdiff_t>(i);
    i += len;
  }
  return -1;
}

void decode_utf8(std::string_view s, std::u32string& out) {
  out.clear();
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned c = p[i];
    char32_t cp;
    std::size_t len;
    if (c < 0x80) {
      cp = c;
      len = 1;
    } else if (c < 0xE0) {
      cp = c & 0x1Fu;
      len = 2;
    } else if (c < 0xF0) {
      cp = c & 0x0Fu;
      len = 3;
    } else {
      cp = c & 0x07u;
      len = 4;
    }
    len = std::min(len, n - i);  // valid input never needs this; it keeps bad input in bounds
    for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (p[i + k] & 0x3Fu);
    out.push_back(cp);
    i += len;
  }
}

void append_utf8(char32_t c, std::string& out) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

CodePointSet::CodePointSet(std::vector<std::pair<char32_t, char32_t>> ranges) : ranges_(std::move(ranges)) {
  for (char32_t c = 0; c < 128; ++c) ascii_[c] = contains_slow(c);
}

bool CodePointSet::contains_slow(char32_t c) const noexcept {
  // The first range whose end is >= c.
  const auto it = std::lower_bound(ranges_.begin(), ranges_.end(), c,
                                   [](const std::pair<char32_t, char32_t>& r, char32_t v) { return r.second < v; });
  return it != ranges_.end() && it->first <= c;
}

CodePointMap::CodePointMap(std::vector<char32_t> from, std::vector<std::int64_t> offsets, std::vector<char32_t> to)
    : from_(std::move(from)), offsets_(std::move(offsets)), to_(std::move(to)), direct_(kDirect, -1) {
  for (std::size_t k = 0; k < from_.size() && from_[k] < kDirect; ++k) direct_[from_[k]] = static_cast<std::int32_t>(k);
}

bool CodePointMap::append(char32_t c, std::u32string& out) const {
  std::size_t k = 0;
  if (c < kDirect) {
    if (direct_.empty() || direct_[c] < 0) return false;
    k = static_cast<std::size_t>(direct_[c]);
  } else {
    const auto it = std::lower_bound(from_.begin(), from_.end(), c);
    if (it == from_.end() || *it != c) return false;
    k = static_cast<std::size_t>(it - from_.begin());
  }
  out.append(to_.begin() + offsets_[k], to_.begin() + offsets_[k + 1]);
  return true;
}

void Tokenizer::preprocess(std::string_view doc, Scratch& s) const {
  decode_utf8(doc, s.a);
  if (t_.lowercase) {
    s.b.clear();
    const std::u32string& in = s.a;
    const std::size_t n = in.size();
    for (std::size_t i = 0; i < n; ++i) {
      const char32_t c = in[i];
      if (c == U'\u03A3') {
        // Python's final-sigma rule: Σ after a cased letter (case-ignorable ones skipped)
        // and not before one lowers to ς.
        std::size_t j = i;
        while (j > 0 && t_.case_ignorable.contains(in[j - 1])) --j;
        bool final_sigma = j > 0 && t_.cased.contains(in[j - 1]);
        if (final_sigma) {
          std::size_t k = i + 1;
          while (k < n && t_.case_ignorable.contains(in[k])) ++k;
          final_sigma = k == n || !t_.cased.contains(in[k]);
        }
        s.b.push_back(final_sigma ? U'\u03C2' : U'\u03C3');
      } else if (!t_.lower.append(c, s.b)) {
        s.b.push_back(c);
      }
    }
    s.a.swap(s.b);
  }
  if (t_.accents != TokenizerTables::Accents::kNone) {
    s.b.clear();
    const bool ascii = t_.accents == TokenizerTables::Accents::kAscii;
    for (char32_t c : s.a)
      if (!t_.accent.append(c, s.b) && (!ascii || c < 128)) s.b.push_back(c);
    s.a.swap(s.b);
  }
}

void Tokenizer::word_tokens(Scratch& s) const {
  s.tokens.clear();
  const std::u32string& text = s.a;
  std::size_t i = 0;
  const std::size_t n = text.size();
  auto inside = [&](char32_t c) { return t_.token_word ? t_.word.contains(c) : !t_.space.contains(c); };
  while (i < n) {
    while (i < n && !inside(text[i])) ++i;
    std::size_t j = i;
    while (j < n && inside(text[j])) ++j;
    if (j > i && j - i >= static_cast<std::size_t>(t_.token_min_length)) {
      std::string token;
      for (std::size_t k = i; k < j; ++k) append_utf8(text[k], token);
      if (t_.stop_words.empty() || t_.stop_words.count(token) == 0) s.tokens.push_back(std::move(token));
    }
    i = j;
  }
}

void Tokenizer::squeeze_spaces(Scratch& s) const {
  s.b.clear();
  const std::u32string& in = s.a;
  std::size_t i = 0;
  while (i < in.size()) {
    if (t_.space.contains(in[i]) && i + 1 < in.size() && t_.space.contains(in[i + 1])) {
      while (i < in.size() && t_.space.contains(in[i])) ++i;
      s.b.push_back(U' ');
    } else {
      s.b.push_back(in[i++]);
    }
  }
}

void Tokenizer::encode(const std::u32string& text, std::size_t begin, std::size_t end, bool pad, Scratch& s) const {
  s.bytes.clear();
  s.offsets.clear();
  if (pad) {
    s.offsets.push_back(0);
    s.bytes.push_back(' ');
  }
  for (std::size_t i = begin; i < end; ++i) {
    s.offsets.push_back(s.bytes.size());
    append_utf8(text[i], s.bytes);
  }
  if (pad) {
    s.offsets.push_back(s.bytes.size());
    s.bytes.push_back(' ');
  }
  s.offsets.push_back(s.bytes.size());
}

std::vector<std::string> Tokenizer::terms(std::string_view doc) const {
  Scratch s;
  std::vector<std::string> out;
  terms(doc, s, [&](std::string_view t) { out.emplace_back(t); });
  return out;
}

}  // namespace detail
FERRY_END_NAMESPACE
