// scikit-learn's HashingVectorizer (docs/format.md §4.54): the tokenizer of text_vectorizer
// (§4.45), each term hashed to one of n_features columns (feature_hashing.hpp) instead of
// looked up in a vocabulary, so nothing about the training texts travels but the params.
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "ferry/error.hpp"
#include "pipeline/feature_hashing.hpp"
#include "pipeline/step.hpp"
#include "pipeline/step_inputs.hpp"
#include "pipeline/text_batch.hpp"
#include "pipeline/text_tokenizer.hpp"
#include "pipeline/text_tokenizer_inputs.hpp"
#include "pipeline/text_vocabulary.hpp"
#include "pipeline/text_weighting.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

class HashingVectorizer final : public Step {
 public:
  HashingVectorizer(Index input, std::string name, Tokenizer tokenizer, std::int32_t n_features, bool alternate_sign,
                    bool binary, TermWeighting::Norm norm)
      : input_(input),
        name_(std::move(name)),
        tokenizer_(std::move(tokenizer)),
        n_features_(n_features),
        alternate_sign_(alternate_sign),
        binary_(binary) {
    weighting_.norm = norm;
  }

  void transform(RowMatrixXd& /*X*/) const override {
    throw Error(ErrorCode::kValue, fmt::format("column \"{}\" is free text: pass the input as a ferry::Table", name_));
  }

  void transform_rows(StepRows& X, const TextBatch* text) const override {
    const RowMatrixXd& codes = X.densify();
    SparseRows out;
    out.cols = n_features_;
    out.indptr.reserve(static_cast<std::size_t>(codes.rows()) + 1);
    Tokenizer::Scratch scratch;
    HashedRow row(n_features_, alternate_sign_);
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
      row.clear();
      tokenizer_.terms(*doc, scratch, [&](std::string_view term) { row.add(term, 1.0); });
      terms.clear();
      // binary sets every stored value to 1, a cancelled column's explicit 0 included.
      for (const auto& e : row.finish()) terms.emplace_back(e.first, binary_ ? 1.0 : e.second);
      weighting_.apply(terms);
      for (const auto& t : terms) out.push(t.first, t.second);
      out.end_row();
    }
    X.set_sparse(std::move(out));
  }

  std::vector<Index> source_columns(Index /*n_in*/) const override {
    return std::vector<Index>(static_cast<std::size_t>(n_features_), 0);
  }

 private:
  Index input_;
  std::string name_;
  Tokenizer tokenizer_;
  std::int32_t n_features_;
  bool alternate_sign_;
  bool binary_;
  TermWeighting weighting_;  // the norm only
};

}  // namespace

std::unique_ptr<Step> make_hashing_vectorizer(const StepInputs& in) {
  if (in.n_features_in() != 1 || !in.is_free_text(0))
    in.invalid("a hashing_vectorizer takes exactly one column, of kind \"text\"");
  const Index input = in.columns_in().text[0]->free_text_input();
  Tokenizer tokenizer = read_tokenizer(in);
  const artifact::Fields& p = in.params();
  const bool binary = p.boolean("binary");
  const bool alternate_sign = p.boolean("alternate_sign");
  const TermWeighting::Norm norm = TermWeighting::read_norm(in);
  // scikit-learn's hash is an int32, taken modulo n_features.
  const Index n = in.n_features_out();
  if (n < 1 || n > std::numeric_limits<std::int32_t>::max())
    in.invalid("n_features_out must be in [1, 2^31 - 1] (a 32-bit hash picks the column)");
  return std::make_unique<HashingVectorizer>(input, in.names_in()[0], std::move(tokenizer),
                                             static_cast<std::int32_t>(n), alternate_sign, binary, norm);
}

}  // namespace detail
FERRY_END_NAMESPACE
