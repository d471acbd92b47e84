// Reads a text step's tokenizer from the artifact (docs/format.md §4.45).
#include "pipeline/text_tokenizer_inputs.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "spec_limits.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

constexpr std::int64_t kMaxCodePoint = 0x10FFFF;

}  // namespace

std::vector<std::string> read_strings(const StepInputs& in, const std::string& role, Index n) {
  const std::string bytes_role = role + "_bytes", offsets_role = role + "_offsets";
  const std::vector<std::int64_t>& shape = in.tensor_shape(bytes_role.c_str());
  if (shape.size() != 1) in.invalid(fmt::format("tensor role \"{}\" must have one dimension", bytes_role));
  const std::vector<std::uint8_t> bytes = in.uint8_vector(bytes_role.c_str(), static_cast<Index>(shape[0]));
  if (n < 0) {
    const std::vector<std::int64_t>& oshape = in.tensor_shape(offsets_role.c_str());
    if (oshape.size() != 1 || oshape[0] < 1)
      in.invalid(fmt::format("tensor role \"{}\" must have shape [n + 1]", offsets_role));
    n = static_cast<Index>(oshape[0] - 1);
  }
  const std::vector<std::int64_t> offsets = in.int64_vector(offsets_role.c_str(), n + 1);
  if (offsets.front() != 0 || offsets.back() != static_cast<std::int64_t>(bytes.size()))
    in.invalid(fmt::format("tensor role \"{}\" must rise from 0 to the length of \"{}\"", offsets_role, bytes_role));
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) {
    const std::int64_t a = offsets[static_cast<std::size_t>(i)], b = offsets[static_cast<std::size_t>(i) + 1];
    if (b < a) in.invalid(fmt::format("tensor role \"{}\" decreases at [{}]", offsets_role, i + 1));
    std::string s(reinterpret_cast<const char*>(bytes.data()) + a, static_cast<std::size_t>(b - a));
    if (utf8_error_offset(s) >= 0) in.invalid(fmt::format("string {} of \"{}\" is not valid UTF-8", i, bytes_role));
    out.push_back(std::move(s));
  }
  return out;
}

namespace {

Index first_dim(const StepInputs& in, const char* role) {
  const std::vector<std::int64_t>& shape = in.tensor_shape(role);
  if (shape.empty()) in.invalid(fmt::format("tensor role \"{}\" must not be a scalar", role));
  return static_cast<Index>(shape[0]);
}

CodePointSet read_set(const StepInputs& in, const char* role) {
  const Index k = first_dim(in, role);
  const std::vector<std::int32_t> r = in.int32_values(role, {k, 2});
  std::vector<std::pair<char32_t, char32_t>> ranges;
  for (Index i = 0; i < k; ++i) {
    const std::int64_t lo = r[static_cast<std::size_t>(2 * i)], hi = r[static_cast<std::size_t>(2 * i + 1)];
    if (lo < 0 || hi > kMaxCodePoint || lo > hi || (i > 0 && lo <= static_cast<std::int64_t>(ranges.back().second)))
      in.invalid(fmt::format("tensor role \"{}\" must hold sorted, disjoint code point ranges within [0, 0x10FFFF] "
                             "(row {})",
                             role, i));
    ranges.emplace_back(static_cast<char32_t>(lo), static_cast<char32_t>(hi));
  }
  return CodePointSet(std::move(ranges));
}

CodePointMap read_map(const StepInputs& in, const std::string& prefix) {
  const std::string from_role = prefix + "_from", offsets_role = prefix + "_offsets", to_role = prefix + "_to";
  const Index m = first_dim(in, from_role.c_str());
  const std::vector<std::int32_t> from = in.int32_values(from_role.c_str(), {m});
  const std::vector<std::int64_t> offsets = in.int64_vector(offsets_role.c_str(), m + 1);
  const Index t = first_dim(in, to_role.c_str());
  const std::vector<std::int32_t> to = in.int32_values(to_role.c_str(), {t});
  std::vector<char32_t> f, v;
  for (Index i = 0; i < m; ++i) {
    const std::int32_t c = from[static_cast<std::size_t>(i)];
    if (c < 0 || c > kMaxCodePoint || (i > 0 && c <= from[static_cast<std::size_t>(i) - 1]))
      in.invalid(fmt::format("tensor role \"{}\" must hold strictly increasing code points ([{}])", from_role, i));
    f.push_back(static_cast<char32_t>(c));
  }
  if (offsets.front() != 0 || offsets.back() != t)
    in.invalid(fmt::format("tensor role \"{}\" must rise from 0 to the length of \"{}\"", offsets_role, to_role));
  for (Index i = 0; i < m; ++i)
    if (offsets[static_cast<std::size_t>(i) + 1] < offsets[static_cast<std::size_t>(i)])
      in.invalid(fmt::format("tensor role \"{}\" decreases at [{}]", offsets_role, i + 1));
  for (std::int32_t c : to) {
    if (c < 0 || c > kMaxCodePoint || (c >= 0xD800 && c <= 0xDFFF))
      in.invalid(fmt::format("tensor role \"{}\" holds {}, which is not a Unicode scalar value", to_role, c));
    v.push_back(static_cast<char32_t>(c));
  }
  return CodePointMap(std::move(f), std::vector<std::int64_t>(offsets.begin(), offsets.end()), std::move(v));
}

}  // namespace

Tokenizer read_tokenizer(const StepInputs& in) {
  const artifact::Fields& p = in.params();
  TokenizerTables t;
  const std::string analyzer = p.string("analyzer");
  if (analyzer == "word")
    t.analyzer = TokenizerTables::Analyzer::kWord;
  else if (analyzer == "char")
    t.analyzer = TokenizerTables::Analyzer::kChar;
  else if (analyzer == "char_wb")
    t.analyzer = TokenizerTables::Analyzer::kCharWb;
  else
    in.invalid(fmt::format("params.analyzer \"{}\" is not word, char or char_wb", analyzer));
  const nlohmann::json& range = p.array("ngram_range");
  if (range.size() != 2 || !range[0].is_number_integer() || !range[1].is_number_integer() ||
      range[0].get<std::int64_t>() < 1 || range[0].get<std::int64_t>() > range[1].get<std::int64_t>() ||
      range[1].get<std::int64_t>() > spec::kMaxNgram)
    in.invalid(fmt::format("params.ngram_range must be [min_n, max_n] with 1 <= min_n <= max_n <= {}", spec::kMaxNgram));
  t.min_n = static_cast<int>(range[0].get<std::int64_t>());
  t.max_n = static_cast<int>(range[1].get<std::int64_t>());
  t.lowercase = p.boolean("lowercase");
  const nlohmann::json& accents = p.any("strip_accents");
  if (accents.is_null())
    t.accents = TokenizerTables::Accents::kNone;
  else if (accents == "ascii")
    t.accents = TokenizerTables::Accents::kAscii;
  else if (accents == "unicode")
    t.accents = TokenizerTables::Accents::kUnicode;
  else
    in.invalid("params.strip_accents must be null, \"ascii\" or \"unicode\"");
  const bool word = t.analyzer == TokenizerTables::Analyzer::kWord;
  for (const char* key : {"token_class", "token_min_length", "stop_words"})
    if (p.has(key) != word) in.invalid(fmt::format("params.{} goes with analyzer \"word\" only", key));
  bool stop = false;
  if (word) {
    const std::string cls = p.string("token_class");
    if (cls != "word" && cls != "nonspace") in.invalid(fmt::format("params.token_class \"{}\" is not word or nonspace", cls));
    t.token_word = cls == "word";
    const std::int64_t k = p.int64("token_min_length");
    if (k < 1 || k > spec::kMaxTokenMinLength)
      in.invalid(fmt::format("params.token_min_length must be in [1, {}]", spec::kMaxTokenMinLength));
    t.token_min_length = static_cast<int>(k);
    stop = p.boolean("stop_words");
  }
  // Each table is present exactly when the parameters use it.
  const bool use_word = word && t.token_word;
  auto expect = [&](const char* role, bool wanted) {
    if (in.has_tensor(role) != wanted)
      in.invalid(fmt::format("tensor role \"{}\" must be present exactly when the parameters use it", role));
  };
  expect("word_ranges", use_word);
  expect("space_ranges", !use_word);
  for (const char* role : {"lower_from", "lower_offsets", "lower_to", "cased_ranges", "case_ignorable_ranges"})
    expect(role, t.lowercase);
  for (const char* role : {"accent_from", "accent_offsets", "accent_to"})
    expect(role, t.accents != TokenizerTables::Accents::kNone);
  expect("stop_bytes", stop);
  expect("stop_offsets", stop);
  if (use_word) t.word = read_set(in, "word_ranges");
  else t.space = read_set(in, "space_ranges");
  if (t.lowercase) {
    t.lower = read_map(in, "lower");
    t.cased = read_set(in, "cased_ranges");
    t.case_ignorable = read_set(in, "case_ignorable_ranges");
  }
  if (t.accents != TokenizerTables::Accents::kNone) t.accent = read_map(in, "accent");
  if (stop)
    for (std::string& s : read_strings(in, "stop", -1)) t.stop_words.insert(std::move(s));

  return Tokenizer(std::move(t));
}

}  // namespace detail
FERRY_END_NAMESPACE
