// Text vectorizers: text_vectorizer, tfidf_transformer and hashing_vectorizer (docs/format.md
// §4.45, §4.46, §4.54) and free-text inputs (§3.2). Parity with scikit-learn on whole batches is the golden tests' job
// (tests/data/text_*); here: documents the CSV cannot carry (the empty one), invalid UTF-8 and
// missing documents as value errors naming row and column, the tokenizer on hostile input,
// every load-time rule as a typed format error naming the step, and explanations grouping a
// document's terms into its one raw column.
#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <optional>
#include <random>
#include <thread>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ferry/model.hpp"
#include "pipeline/feature_hashing.hpp"
#include "pipeline/text_tokenizer.hpp"
#include "support/test_support.hpp"

namespace ferry::detail {
namespace {

using Parsed = test::EditableArtifact;

Parsed parsed(const std::string& name) { return Parsed::from_case("tests/data/" + name); }

Model load_case(const std::string& name, const LoadOptions& options = {}) {
  return Model::load(test::source_path("tests/data/" + name + "/model.ferry"), options);
}

Table documents(std::vector<std::optional<std::string>> docs, const std::string& name = "text") {
  Table t;
  t.add_text(name, std::move(docs));
  return t;
}

const std::vector<std::string> kCases = {"text_tfidf_word", "text_char_wb_column_transformer",
                                         "text_char_tfidf_transformer", "text_count_nonspace_stop_words",
                                         "text_hashing_word"};

TEST(Text, ShippedCasesLoadAndVerify) {
  LoadOptions verify;
  verify.verify = true;
  for (const std::string& name : kCases) {
    SCOPED_TRACE(name);
    EXPECT_NO_THROW(load_case(name, verify));
  }
}

TEST(Text, SchemaSaysText) {
  const Model model = load_case("text_tfidf_word");
  ASSERT_EQ(model.schema().inputs.size(), 1u);
  EXPECT_EQ(model.schema().inputs[0].kind, ColumnKind::kText);
  EXPECT_FALSE(model.schema().inputs[0].nullable);
}

TEST(Text, EmptyAndPunctuationDocumentsGiveTheInterceptOnly) {
  // No term: every tf-idf output is 0, so the scores are the intercepts; the empty document
  // (which a CSV cannot carry) and one of punctuation only give the same.
  const Model model = load_case("text_tfidf_word");
  const RowMatrixXd Z = model.transform(documents({std::string(), std::string("!!! ... ???"), std::string("   ")}));
  ASSERT_EQ(Z.rows(), 3);
  EXPECT_EQ(Z.cwiseAbs().maxCoeff(), 0.0);
  const RowMatrixXd s = model.decision_function(documents({std::string(), std::string("?!")}));
  EXPECT_EQ(s.row(0), s.row(1));
}

TEST(Text, InvalidUtf8IsAValueErrorNamingRowAndColumn) {
  const Model model = load_case("text_tfidf_word");
  for (const std::string& bad : {std::string("ok \xff here"), std::string("\xc0\xaf"), std::string("\xed\xa0\x80"),
                                std::string("\xf4\x90\x80\x80"), std::string("trunc \xe2\x82")}) {
    SCOPED_TRACE(bad);
    EXPECT_FERRY_ERROR(model.predict(documents({std::string("fine"), bad})), ErrorCode::kValue,
                       "column \"text\", row 1: the text is not valid UTF-8");
    const ValidationReport report = model.validate(documents({std::string("fine"), bad}));
    ASSERT_FALSE(report.ok());
  }
}

TEST(Text, MissingDocumentIsRefusedAsScikitLearnDoes) {
  const Model model = load_case("text_tfidf_word");
  EXPECT_FERRY_ERROR(model.predict(documents({std::string("good"), std::nullopt})), ErrorCode::kValue,
                     "column \"text\", row 1: a missing value");
  // Numbers where the model takes documents.
  Table numbers;
  numbers.add_numeric("text", {1.0, 2.0});
  EXPECT_FERRY_ERROR(model.predict(numbers), ErrorCode::kSchema, "holds numbers, but the model takes text there");
  // Dense input cannot carry text.
  EXPECT_FERRY_ERROR(model.predict(RowMatrixXd::Zero(1, 1)), ErrorCode::kSchema, "is text; pass the input as a ferry::Table");
}

TEST(Text, ColumnTransformerTakesTheDocumentBesideOtherColumns) {
  const Model model = load_case("text_char_wb_column_transformer");
  Table t;
  t.add_text("review", {std::string("great café"), std::string("")});
  t.add_text("plan", {std::string("pro"), std::string("basic")});
  t.add_numeric("tenure", {3.0, 4.0});
  const Prediction p = model.predict(t);
  EXPECT_EQ(p.rows(), 2);
}

TEST(Text, ExplainGroupsEveryTermIntoTheDocumentColumn) {
  const Model model = load_case("text_tfidf_word");
  const Table t = documents({std::string("great service café"), std::string("awful slow"), std::string("")});
  const Explanation e = model.explain(t);
  EXPECT_EQ(e.method, Explanation::Method::kLinearExact);
  ASSERT_EQ(e.feature_names.size(), 1u);
  const RowMatrixXd scores = model.decision_function(t);
  for (std::size_t c = 0; c < e.values.size(); ++c)
    for (Index i = 0; i < scores.rows(); ++i)
      EXPECT_NEAR(e.base_values(i, static_cast<Index>(c)) + e.values[c](i, 0), scores(i, static_cast<Index>(c)), 1e-9);
}

TEST(Text, ThreadsAgree) {
  // The step is immutable: concurrent batches give the same bits.
  const Model model = load_case("text_tfidf_word");
  const Table t = documents({std::string("great good café ΟΔΥΣΣΕΥΣ"), std::string("awful İstanbul 😀")});
  const RowMatrixXd want = model.transform(t);
  std::vector<std::thread> threads;
  std::vector<RowMatrixXd> got(4);
  for (std::size_t k = 0; k < got.size(); ++k) threads.emplace_back([&, k] { got[k] = model.transform(t); });
  for (auto& th : threads) th.join();
  for (const RowMatrixXd& g : got) EXPECT_EQ(g, want);
}

// ------------------------------------------------------------------ the tokenizer on its own

TEST(TextTokenizer, Utf8Validation) {
  EXPECT_EQ(utf8_error_offset(""), -1);
  EXPECT_EQ(utf8_error_offset("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"), -1);  // é € 😀
  EXPECT_EQ(utf8_error_offset("ab\x80"), 2);          // a lone continuation byte
  EXPECT_EQ(utf8_error_offset("\xc1\x81"), 0);        // overlong
  EXPECT_EQ(utf8_error_offset("\xe0\x80\x80"), 0);    // overlong
  EXPECT_EQ(utf8_error_offset("x\xed\xb0\x80"), 1);   // a surrogate
  EXPECT_EQ(utf8_error_offset("\xf4\x90\x80\x80"), 0);  // above U+10FFFF
  EXPECT_EQ(utf8_error_offset("\xf0\x9f\x98"), 0);    // truncated
  std::string s;
  for (char32_t c : {U'a', U'\u00e9', U'\u20ac', U'\U0001F600', U'\U0010FFFF'}) append_utf8(c, s);
  std::u32string back;
  decode_utf8(s, back);
  EXPECT_EQ(back, U"a\u00e9\u20ac\U0001F600\U0010FFFF");
}

TEST(TextTokenizer, RandomBytesNeverCrash) {
  // What the fuzz target does, briefly: arbitrary bytes are either refused as UTF-8 or
  // tokenized; the shipped tables, every analyzer.
  std::mt19937 rng(7);
  for (const std::string& name : kCases) {
    const Model model = load_case(name);
    if (model.schema().inputs.size() != 1) continue;
    for (int round = 0; round < 200; ++round) {
      std::string doc(static_cast<std::size_t>(rng() % 64), '\0');
      for (char& c : doc) c = static_cast<char>(rng() % 256);
      if (round % 2 == 0)  // mostly valid text, from pieces
        for (char& c : doc) c = static_cast<char>(" aZ\xce\xa3\xc3\xa9_1.\t"[rng() % 12]);
      try {
        const RowMatrixXd Z = model.transform(documents({doc}));
        EXPECT_TRUE(Z.allFinite());
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::kValue) << e.message();
      }
    }
  }
}

// ------------------------------------------------------------------ hashing

TEST(FeatureHashing, MurmurHash3IsScikitLearns) {
  // scikit-learn's murmurhash3_32(s, positive=False), UTF-8 bytes, seed 0.
  const std::vector<std::pair<std::string, std::int32_t>> known = {
      {"", 0}, {"a", 1009084850}, {"ab", -1681926305}, {"abc", -1277324294}, {"abcd", 1139631978},
      {"hello world", 1586663183}, {"caf\xc3\xa9", 605818632}, {"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", -1515949417},
      {"/OM0IMKz", std::numeric_limits<std::int32_t>::min()}};
  for (const auto& [key, hash] : known) EXPECT_EQ(murmurhash3_32(key), hash) << key;
}

TEST(FeatureHashing, RowAsScipyLeavesIt) {
  // "/OM0IMKz" hashes to INT32_MIN: column (2^31 - 1 - (n - 1)) mod n, value negated.
  HashedRow row(1000, true);
  row.add("/OM0IMKz", 1.0);
  row.add("a", 0.0);  // zero values are skipped
  auto r = row.finish();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].first, (2147483647 - 999) % 1000);
  EXPECT_EQ(r[0].second, -1.0);
  // "ab" (h < 0) and "abcd" (h > 0) in one column: they cancel, and the explicit 0 stays.
  HashedRow one(1, true);
  for (const char* t : {"abcd", "a", "ab"}) one.add(t, 1.0);
  r = one.finish();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0], (std::pair<std::int32_t, double>(0, 1.0)));
  one.clear();
  one.add("abcd", 1.0);
  one.add("ab", 1.0);
  r = one.finish();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].second, 0.0);
  // Sorted by column, duplicates summed.
  HashedRow many(7, false);
  for (const char* t : {"hello world", "a", "abc", "a", "ab"}) many.add(t, 1.0);
  r = many.finish();
  for (std::size_t k = 1; k < r.size(); ++k) EXPECT_LT(r[k - 1].first, r[k].first);
  double total = 0.0;
  for (const auto& e : r) total += e.second;
  EXPECT_EQ(total, 5.0);
}

TEST(FeatureHashing, VectorizerRefusesWhatItCannotRun) {
  Parsed p = parsed("text_hashing_word");
  p.drop_verification();
  p.params(0).erase("alternate_sign");
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "alternate_sign");
  p = parsed("text_hashing_word");
  p.params(0)["norm"] = "max";
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.norm");
  p = parsed("text_hashing_word");
  p.params(0)["ngram_range"] = nlohmann::json::array({0, 2});
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.ngram_range");
  p = parsed("text_hashing_word");
  p.header["schema"]["inputs"][0] = {{"name", "text"}, {"kind", "categorical"}, {"nullable", true},
                                      {"categories", nlohmann::json::array()}};
  p.drop_verification();
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "a hashing_vectorizer takes exactly one column, of kind \"text\"");
}

TEST(FeatureHashing, NumberedNamesStandForTheList) {
  Parsed p = parsed("text_hashing_word");
  const std::size_t n = p.step(0)["feature_names_out"].size();
  p.step(0).erase("feature_names_out");
  p.step(0)["feature_names_prefix"] = "h";
  const Model model = p.load();
  ASSERT_EQ(model.transformed_feature_names().size(), n);
  EXPECT_EQ(model.transformed_feature_names()[0], "h0");
  EXPECT_EQ(model.transformed_feature_names()[n - 1], "h" + std::to_string(n - 1));
  p.step(0)["feature_names_out"] = nlohmann::json::array();
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "feature_names_prefix and feature_names_out are both present");
  p.step(0).erase("feature_names_out");
  p.step(0)["feature_names_prefix"] = 3;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "feature_names_prefix");
}

// ------------------------------------------------------------------ corruption: format errors

const std::string kWhere = "pipeline[0] (text_vectorizer, steps[0]: TfidfVectorizer)";

void set_tensor(Parsed& p, const std::string& name, artifact::DType dtype, std::vector<std::int64_t> shape,
                const void* data, std::size_t bytes) {
  artifact::Tensor& t = p.tensors[name];
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.bytes.assign(static_cast<const std::uint8_t*>(data), static_cast<const std::uint8_t*>(data) + bytes);
}

std::vector<std::int32_t> int32_of(const Parsed& p, const std::string& name) {
  const artifact::Tensor& t = p.tensors.at(name);
  std::vector<std::int32_t> v(t.bytes.size() / 4);
  std::memcpy(v.data(), t.bytes.data(), t.bytes.size());
  return v;
}

TEST(TextInvalid, Vocabulary) {
  Parsed p = parsed("text_tfidf_word");
  p.drop_verification();
  const std::vector<std::int64_t> offsets = p.int64_of("steps.0.vocabulary_offsets");
  std::vector<std::int64_t> bad = offsets;
  std::swap(bad[1], bad[2]);
  p.set_int64("steps.0.vocabulary_offsets", bad);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, kWhere + ": tensor role \"vocabulary_offsets\" decreases");
  bad = offsets;
  bad.back() += 1;
  p.set_int64("steps.0.vocabulary_offsets", bad);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "must rise from 0 to the length of \"vocabulary_bytes\"");
  bad = offsets;
  bad.pop_back();
  p.set_int64("steps.0.vocabulary_offsets", bad);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "has shape");

  // A hostile term: invalid UTF-8, and a duplicate.
  p = parsed("text_tfidf_word");
  p.drop_verification();
  artifact::Tensor& bytes = p.tensors.at("steps.0.vocabulary_bytes");
  bytes.bytes[0] = 0xff;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, kWhere + ": string 0 of \"vocabulary_bytes\" is not valid UTF-8");
  p = parsed("text_tfidf_word");
  p.drop_verification();
  const std::vector<std::int64_t> off = p.int64_of("steps.0.vocabulary_offsets");
  std::vector<std::uint8_t>& b = p.tensors.at("steps.0.vocabulary_bytes").bytes;
  // Make term 1 a copy of term 0 when both have the same length, else shorten to a 1-term clash.
  const auto len0 = off[1] - off[0], len1 = off[2] - off[1];
  if (len0 == len1) {
    std::copy(b.begin() + off[0], b.begin() + off[1], b.begin() + off[1]);
    EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "the vocabulary repeats a term");
  }
  // n_features_out no longer the number of terms.
  p = parsed("text_tfidf_word");
  p.drop_verification();
  p.step(0)["n_features_out"] = p.step(0)["n_features_out"].get<std::int64_t>() + 1;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, kWhere);
}

TEST(TextInvalid, UnicodeTables) {
  Parsed p = parsed("text_tfidf_word");
  p.drop_verification();
  std::vector<std::int32_t> r = int32_of(p, "steps.0.word_ranges");
  std::swap(r[0], r[2]);  // ranges out of order
  set_tensor(p, "steps.0.word_ranges", artifact::DType::kInt32, {static_cast<std::int64_t>(r.size() / 2), 2}, r.data(),
             r.size() * 4);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, kWhere + ": tensor role \"word_ranges\" must hold sorted, disjoint");
  p = parsed("text_tfidf_word");
  p.drop_verification();
  r = int32_of(p, "steps.0.word_ranges");
  r.back() = 0x110000;
  set_tensor(p, "steps.0.word_ranges", artifact::DType::kInt32, {static_cast<std::int64_t>(r.size() / 2), 2}, r.data(),
             r.size() * 4);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "word_ranges");
  // A lowercase image that is a surrogate.
  p = parsed("text_tfidf_word");
  p.drop_verification();
  r = int32_of(p, "steps.0.lower_to");
  r[0] = 0xD800;
  set_tensor(p, "steps.0.lower_to", artifact::DType::kInt32, {static_cast<std::int64_t>(r.size())}, r.data(), r.size() * 4);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor role \"lower_to\" holds 55296, which is not a Unicode scalar");
  // A table the parameters do not use, or one they need, missing.
  p = parsed("text_tfidf_word");
  p.drop_verification();
  p.params(0)["lowercase"] = false;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor role \"lower_from\" must be present exactly when");
  p = parsed("text_tfidf_word");
  p.drop_verification();
  p.step(0)["tensors"].erase("accent_from");
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "accent_from");
}

TEST(TextInvalid, Params) {
  Parsed p = parsed("text_tfidf_word");
  p.params(0)["ngram_range"] = nlohmann::json::array({2, 1});
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.ngram_range must be [min_n, max_n]");
  p = parsed("text_tfidf_word");
  p.params(0)["ngram_range"] = nlohmann::json::array({1, 65});
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.ngram_range");
  p = parsed("text_tfidf_word");
  p.params(0)["analyzer"] = "sentence";
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.analyzer \"sentence\"");
  p = parsed("text_tfidf_word");
  p.params(0)["token_min_length"] = 0;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.token_min_length");
  p = parsed("text_tfidf_word");
  p.params(0)["strip_accents"] = "greek";
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.strip_accents");
  p = parsed("text_tfidf_word");
  p.params(0)["norm"] = "max";
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.norm");
  p = parsed("text_tfidf_word");
  p.params(0)["use_idf"] = false;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor \"idf\" must be present exactly when params.use_idf");
  p = parsed("text_tfidf_word");
  p.drop_verification();
  std::vector<double> idf = p.float64_of("steps.0.idf");
  idf[3] = 0.0;
  p.set_float64("steps.0.idf", idf);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor \"idf\" holds a value that is not > 0");
  p = parsed("text_char_tfidf_transformer");
  p.params(1)["norm"] = "l3";
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "pipeline[1] (tfidf_transformer");
}

TEST(TextInvalid, FreeTextOnlyReachesAVectorizer) {
  // The document column as a categorical input: the vectorizer refuses it.
  Parsed p = parsed("text_tfidf_word");
  p.header["schema"]["inputs"][0] = {{"name", "text"}, {"kind", "categorical"}, {"nullable", true},
                                      {"categories", nlohmann::json::array()}};
  p.drop_verification();
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "a text_vectorizer takes exactly one column, of kind \"text\"");
  // A free-text input given straight to the estimator.
  p = parsed("text_char_wb_column_transformer");
  p.header["pipeline"][0]["params"]["transformers"][0]["steps"] = nlohmann::json::array();
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "");
  // Verification texts must match the rows.
  p = parsed("text_tfidf_word");
  p.header["verification"]["texts"]["text"].erase(0);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "verification.texts.text must hold the 16 rows' texts");
  p = parsed("text_tfidf_word");
  p.header["verification"]["texts"]["other"] = nlohmann::json::array();
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "verification.texts.other: no input of kind \"text\"");
}

}  // namespace
}  // namespace ferry::detail
