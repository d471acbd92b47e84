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
#include "pipeline/text_tokenizer_inputs.hpp"
#include "pipeline/text_vocabulary.hpp"
#include "pipeline/text_weighting.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

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
  Tokenizer tokenizer = read_tokenizer(in);
  const bool binary = in.params().boolean("binary");
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
  return std::make_unique<TextVectorizer>(input, name, std::move(tokenizer), terms, std::move(weighting), binary,
                                          n);
}

}  // namespace detail
FERRY_END_NAMESPACE
