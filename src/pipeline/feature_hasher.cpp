// scikit-learn's FeatureHasher (docs/format.md §4.55): each cell of a row is a feature name
// hashed into one of n_features columns (pipeline/feature_hashing.hpp). input_type "dict": a
// record's keys are the input columns, a string value v is the feature key=v of value 1, a
// number x the feature key of value x, a missing cell an absent key. input_type "string": each
// cell is a token, a feature of value 1.
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ferry/error.hpp"
#include "pipeline/feature_hashing.hpp"
#include "pipeline/registry.hpp"
#include "pipeline/step_inputs.hpp"
#include "pipeline/text_batch.hpp"
#include "pipeline/text_tokenizer_inputs.hpp"
#include "pipeline/text_vocabulary.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

class FeatureHasher final : public Step {
 public:
  // keys empty: input_type "string". vocabularies[j]: text column j's, null for a numeric one;
  // for a free-text column (any string, the exporter's choice) its free_text_input() is >= 0 and
  // the strings come from the batch's TextBatch.
  FeatureHasher(std::vector<std::string> keys, std::vector<const TextVocabulary*> vocabularies,
                std::vector<std::string> names, std::int32_t n_features, bool alternate_sign, std::string where)
      : keys_(std::move(keys)),
        vocabularies_(std::move(vocabularies)),
        names_(std::move(names)),
        n_features_(n_features),
        alternate_sign_(alternate_sign),
        where_(std::move(where)) {}

  void transform(RowMatrixXd& X) const override {
    StepRows rows(std::move(X));
    transform_rows(rows, nullptr);
    X = std::move(rows.densify());
  }

  // Features are visited column by column; HashedRow sorts and sums them as scipy does.
  void transform_rows(StepRows& X, const TextBatch* text) const override {
    const RowMatrixXd& in = X.densify();
    SparseRows out;
    out.cols = n_features_;
    out.reserve(in.rows(), in.rows() * in.cols());
    HashedRow row(n_features_, alternate_sign_);
    const bool keyed = !keys_.empty();
    std::string name;
    for (Index i = 0; i < in.rows(); ++i) {
      row.clear();
      for (Index j = 0; j < in.cols(); ++j) {
        const std::size_t u = static_cast<std::size_t>(j);
        const double v = in(i, j);
        if (std::isnan(v)) {
          if (keyed) continue;  // an absent key
          throw Error(ErrorCode::kValue, fmt::format("row {}, column \"{}\": a missing token (scikit-learn's "
                                                     "FeatureHasher refuses it too; {})",
                                                     i, names_[u], where_));
        }
        const TextVocabulary* vocabulary = vocabularies_[u];
        if (vocabulary == nullptr) {
          row.add(keys_[u], v);
          continue;
        }
        const std::string* value = nullptr;
        if (vocabulary->free_text_input() >= 0) {
          value = text != nullptr ? text->text(vocabulary->free_text_input(), v) : nullptr;
          if (value == nullptr)
            throw Error(ErrorCode::kValue, fmt::format("row {}, column \"{}\": holds free text: pass the input as a "
                                                       "ferry::Table ({})",
                                                       i, names_[u], where_));
        } else {
          // A categorical code names a string only if a step or the schema stored it: the hash
          // of any other string cannot be known here.
          if (!(v >= 0 && v < static_cast<double>(vocabulary->size())))
            throw Error(ErrorCode::kValue,
                        fmt::format("row {}, column \"{}\": a value not in the model's categories; FeatureHasher "
                                    "would hash it, but this input holds only the strings of X_sample ({})",
                                    i, names_[u], where_));
          value = &vocabulary->value(static_cast<Index>(v));
        }
        if (keyed) {
          name.assign(keys_[u]).append("=").append(*value);
          row.add(name, 1.0);
        } else {
          row.add(*value, 1.0);
        }
      }
      for (const auto& e : row.finish()) out.push(e.first, e.second);
      out.end_row();
    }
    X.set_sparse(std::move(out));
  }

 private:
  std::vector<std::string> keys_;
  std::vector<const TextVocabulary*> vocabularies_;
  std::vector<std::string> names_;
  std::int32_t n_features_;
  bool alternate_sign_;
  std::string where_;
};

}  // namespace

std::unique_ptr<Step> make_feature_hasher(const StepInputs& in) {
  const std::string input_type = in.params().string("input_type");
  if (input_type != "dict" && input_type != "string")
    in.invalid(fmt::format("params.input_type \"{}\" is not \"dict\" or \"string\"", input_type));
  const bool alternate_sign = in.params().boolean("alternate_sign");
  const Index n = in.n_features_in(), n_out = in.n_features_out();
  // n_features_out is at most max_width (2^24), so it fits the int32 arithmetic of the hash.
  if (n_out < 1) in.invalid("n_features_out (n_features) must be at least 1");
  const bool keyed = input_type == "dict";
  if (in.has_tensor("key_bytes") != keyed || in.has_tensor("key_offsets") != keyed)
    in.invalid("tensor roles \"key_bytes\" and \"key_offsets\" must be present exactly when params.input_type is "
               "\"dict\"");
  std::vector<std::string> keys = keyed ? read_strings(in, "key", n) : std::vector<std::string>();
  std::vector<const TextVocabulary*> vocabularies(static_cast<std::size_t>(n), nullptr);
  for (Index j = 0; j < n; ++j) {
    if (in.is_free_text(j) || in.is_text(j))
      vocabularies[static_cast<std::size_t>(j)] = in.columns_in().text[static_cast<std::size_t>(j)];
    else if (!keyed)
      in.invalid(fmt::format("input column {} is numeric; input_type \"string\" takes text", j));
  }
  return std::make_unique<FeatureHasher>(std::move(keys), std::move(vocabularies), in.names_in(),
                                         static_cast<std::int32_t>(n_out), alternate_sign, in.where());
}

}  // namespace detail
FERRY_END_NAMESPACE
