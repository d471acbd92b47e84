// scikit-learn's CountVectorizer and TfidfVectorizer (docs/format.md §4.45): one free-text
// column -> one output column per vocabulary term, counts weighted as §4.46. The tokenizer
// (text_tokenizer.cpp) runs on the Unicode tables the exporter wrote from its own Python.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "ferry/error.hpp"
#include "pipeline/step.hpp"
#include "pipeline/step_inputs.hpp"
#include "pipeline/term_index.hpp"
#include "pipeline/text_batch.hpp"
#include "pipeline/text_tokenizer.hpp"
#include "pipeline/text_vocabulary.hpp"
#include "pipeline/text_weighting.hpp"
#include "spec_limits.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

constexpr std::int64_t kMaxCodePoint = 0x10FFFF;

// A string list: uint8 `<role>_bytes` [B] and int64 `<role>_offsets` [n + 1], offsets rising
// from 0 to B, every string valid UTF-8.
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

class TextVectorizer final : public Step {
 public:
  TextVectorizer(Index input, std::string name, Tokenizer tokenizer, const std::vector<std::string>& terms,
                 TermWeighting weighting, bool binary, Index n_out)
      : input_(input),
        name_(std::move(name)),
        tokenizer_(std::move(tokenizer)),
        index_(terms),
        weighting_(std::move(weighting)),
        binary_(binary),
        n_out_(n_out) {}

  void transform(RowMatrixXd& /*X*/) const override {
    throw Error(ErrorCode::kValue, fmt::format("column \"{}\" is free text: pass the input as a ferry::Table", name_));
  }

  // A sparse batch: scikit-learn's vectorizers return one, and a row then costs its terms.
  void transform_rows(StepRows& X, const TextBatch* text) const override {
    const RowMatrixXd& codes = X.densify();
    SparseRows out;
    out.cols = n_out_;
    out.indptr.reserve(static_cast<std::size_t>(codes.rows()) + 1);
    Tokenizer::Scratch scratch;
    std::vector<Index> hits;
    std::vector<std::pair<Index, double>> terms;
    for (Index i = 0; i < codes.rows(); ++i) {
      const std::string* doc = text != nullptr ? text->text(input_, codes(i, 0)) : nullptr;
      if (doc == nullptr)
        throw Error(ErrorCode::kValue, fmt::format("row {}, column \"{}\": a missing value is not a document (as in "
                                                   "scikit-learn)",
                                                   i, name_));
      if (const std::ptrdiff_t bad = utf8_error_offset(*doc); bad >= 0)
        throw Error(ErrorCode::kValue, fmt::format("row {}, column \"{}\": the text is not valid UTF-8 (at byte {})",
                                                   i, name_, bad));
      hits.clear();
      tokenizer_.terms(*doc, scratch, [&](std::string_view term) {
        const Index column = index_.find(term);
        if (column >= 0) hits.push_back(column);
      });
      // CountVectorizer sorts each row's columns (sort_indices) before any weighting.
      std::sort(hits.begin(), hits.end());
      terms.clear();
      for (std::size_t k = 0; k < hits.size();) {
        std::size_t e = k;
        while (e < hits.size() && hits[e] == hits[k]) ++e;
        terms.emplace_back(hits[k], binary_ ? 1.0 : static_cast<double>(e - k));
        k = e;
      }
      weighting_.apply(terms);
      for (const auto& t : terms) out.push(t.first, t.second);
      out.end_row();
    }
    X.set_sparse(std::move(out));
  }

  // Every output comes from the one text column.
  std::vector<Index> source_columns(Index /*n_in*/) const override {
    return std::vector<Index>(static_cast<std::size_t>(n_out_), 0);
  }

 private:
  Index input_;
  std::string name_;
  Tokenizer tokenizer_;
  TermIndex index_;
  TermWeighting weighting_;
  bool binary_;
  Index n_out_;
};

}  // namespace

std::unique_ptr<Step> make_text_vectorizer(const StepInputs& in) {
  if (in.n_features_in() != 1 || !in.is_free_text(0))
    in.invalid("a text_vectorizer takes exactly one column, of kind \"text\"");
  const Index input = in.columns_in().text[0]->free_text_input();
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
  const bool binary = p.boolean("binary");
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

  const Index n = in.n_features_out();
  std::vector<std::string> terms = read_strings(in, "vocabulary", n);
  {
    std::vector<std::string_view> sorted(terms.begin(), terms.end());
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) in.invalid("the vocabulary repeats a term");
  }
  std::size_t vocabulary_bytes = 0;
  for (const std::string& term : terms) vocabulary_bytes += term.size();
  if (vocabulary_bytes >= (std::size_t(1) << 32) || terms.size() >= (std::size_t(1) << 32) - 1)
    in.invalid("the vocabulary holds 4 GB or more");
  TermWeighting weighting = TermWeighting::from(in, n);
  const std::string name = in.names_in()[0];
  return std::make_unique<TextVectorizer>(input, name, Tokenizer(std::move(t)), terms, std::move(weighting), binary,
                                          n);
}

}  // namespace detail
FERRY_END_NAMESPACE
