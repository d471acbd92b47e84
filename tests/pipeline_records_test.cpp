// Records steps: dict_vectorizer and feature_hasher (docs/format.md §4.55, §4.56). Parity with
// scikit-learn on realistic records is tests/python/test_records.py's job; here: MurmurHash3's
// known values, the rows on small hand-made models (absent keys, unseen values, explicit zeros,
// cancelled collisions), and every load-time rule as a typed format error naming the role.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "artifact/tensor_data.hpp"
#include "ferry/model.hpp"
#include "pipeline/feature_hashing.hpp"
#include "support/test_support.hpp"

namespace ferry::detail {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

artifact::Tensor bytes_tensor(const std::string& s) {
  artifact::Tensor t;
  t.dtype = artifact::DType::kUInt8;
  t.shape = {static_cast<std::int64_t>(s.size())};
  t.bytes.assign(s.begin(), s.end());
  return t;
}

// Inputs a (numeric) and c (categorical, seen values x and y) -> the step -> a linear model
// with weights `coef` and intercept 0.
test::EditableArtifact records_model(const nlohmann::json& step, const std::vector<double>& coef) {
  test::EditableArtifact m;
  m.header = nlohmann::json::parse(R"({
    "metadata": {"name": "records", "version": "1"},
    "schema": {"inputs": [{"kind": "numeric", "name": "a", "nullable": true, "range": null},
                          {"kind": "categorical", "name": "c", "nullable": true, "categories": ["x", "y"]}],
               "task": "regression", "n_outputs": 1, "classes": null, "target": null},
    "estimator": {"type": "linear", "name": "linear", "n_features_out": 1, "params": {"link": "identity"},
                  "tensors": {"coef": "coef", "intercept": "intercept"}}})");
  m.header["pipeline"] = nlohmann::json::array({step});
  const auto n = static_cast<std::int64_t>(coef.size());
  m.header["estimator"]["n_features_in"] = n;
  m.tensors["coef"] = artifact::make_float64({1, n}, coef.data());
  const double zero = 0.0;
  m.tensors["intercept"] = artifact::make_float64({1}, &zero);
  return m;
}

nlohmann::json step_entry(const std::string& type, nlohmann::json params, nlohmann::json tensors, int n_out) {
  nlohmann::json names = nlohmann::json::array();
  for (int j = 0; j < n_out; ++j) names.push_back("f" + std::to_string(j));
  return {{"type", type},          {"name", type},       {"n_features_in", 2},         {"n_features_out", n_out},
          {"params", std::move(params)}, {"tensors", std::move(tensors)}, {"feature_names_out", names}};
}

// a -> column 0, c = x -> column 1, c = y -> column 2.
test::EditableArtifact dict_model() {
  test::EditableArtifact m = records_model(
      step_entry("dict_vectorizer", {{"sparse", true}},
                 {{"outputs", "outputs"}, {"value_columns", "value_columns"}, {"value_bytes", "value_bytes"},
                  {"value_offsets", "value_offsets"}, {"value_outputs", "value_outputs"}},
                 3),
      {1.0, 10.0, 100.0});
  m.set_int64("outputs", {0, -1});
  m.set_int64("value_columns", {0, 0, 2});
  m.tensors["value_bytes"] = bytes_tensor("xy");
  m.set_int64("value_offsets", {0, 1, 2});
  m.set_int64("value_outputs", {1, 2});
  return m;
}

test::EditableArtifact hasher_model(int n_features, bool alternate_sign) {
  std::vector<double> coef(static_cast<std::size_t>(n_features));
  for (int j = 0; j < n_features; ++j) coef[static_cast<std::size_t>(j)] = std::pow(10.0, j);
  test::EditableArtifact m = records_model(
      step_entry("feature_hasher", {{"input_type", "dict"}, {"alternate_sign", alternate_sign}},
                 {{"key_bytes", "key_bytes"}, {"key_offsets", "key_offsets"}}, n_features),
      coef);
  m.tensors["key_bytes"] = bytes_tensor("ac");
  m.set_int64("key_offsets", {0, 1, 2});
  return m;
}

Table rows(std::vector<double> a, std::vector<std::optional<std::string>> c) {
  Table t;
  t.add_numeric("a", std::move(a));
  t.add_text("c", std::move(c));
  return t;
}

TEST(Records, DictVectorizerRows) {
  const Model m = dict_model().load();
  // a=2, c=x | c=y only | a=0 (a stored 0) | unseen c | nothing
  const Prediction p = m.predict(rows({2.0, kNaN, 0.0, 5.0, kNaN}, {"x", "y", std::nullopt, "z", std::nullopt}));
  EXPECT_EQ(p.values, (RowMatrixXd(5, 1) << 12.0, 100.0, 0.0, 5.0, 0.0).finished());
}

TEST(Records, FeatureHasherCancelledCollisions) {
  // One column: a=1 and c=x collide; with alternate_sign their signs decide the sum.
  const double sign_a = murmurhash3_32("a") < 0 ? -1.0 : 1.0, sign_c = murmurhash3_32("c=x") < 0 ? -1.0 : 1.0;
  const Model m = hasher_model(1, true).load();
  const Prediction p = m.predict(rows({1.0, 0.0, kNaN}, {"x", "x", std::nullopt}));
  EXPECT_EQ(p.values(0, 0), sign_a + sign_c);
  EXPECT_EQ(p.values(1, 0), sign_c);  // a value 0 is skipped
  EXPECT_EQ(p.values(2, 0), 0.0);     // both keys absent
}

TEST(Records, FeatureHasherRefusesAStringItCannotHash) {
  const Model m = hasher_model(4, false).load();
  EXPECT_FERRY_ERROR(m.predict(rows({1.0}, {"unseen"})), ErrorCode::kValue, "column \"c\"");
}

TEST(Records, DictVectorizerLoadRules) {
  struct Case {
    const char* what;
    void (*edit)(test::EditableArtifact&);
    const char* names;
  };
  const Case cases[] = {
      {"outputs out of range", [](test::EditableArtifact& m) { m.set_int64("outputs", {3, -1}); }, "\"outputs\""},
      {"text column with an output", [](test::EditableArtifact& m) { m.set_int64("outputs", {0, 1}); }, "\"outputs\""},
      {"two sources", [](test::EditableArtifact& m) { m.set_int64("value_outputs", {1, 1}); }, "\"value_outputs\""},
      {"uncovered output", [](test::EditableArtifact& m) { m.set_int64("outputs", {-1, -1}); }, "output column 0"},
      {"values decrease", [](test::EditableArtifact& m) { m.set_int64("value_columns", {0, 2, 1}); }, "\"value_columns\""},
      {"too many values", [](test::EditableArtifact& m) { m.set_int64("value_columns", {0, 0, 9}); }, "\"value_columns\""},
      {"numeric column with values", [](test::EditableArtifact& m) { m.set_int64("value_columns", {0, 1, 2}); }, "numeric"},
      {"offsets past the bytes", [](test::EditableArtifact& m) { m.set_int64("value_offsets", {0, 1, 5}); }, "value_offsets"},
      {"invalid UTF-8", [](test::EditableArtifact& m) { m.tensors["value_bytes"] = bytes_tensor("x\xff"); }, "UTF-8"},
      {"repeated value", [](test::EditableArtifact& m) { m.tensors["value_bytes"] = bytes_tensor("xx"); }, "repeats"},
      {"wrong dtype", [](test::EditableArtifact& m) { m.set_float64("outputs", {0.0, -1.0}); }, "outputs"},
      {"sparse not boolean", [](test::EditableArtifact& m) { m.params()["sparse"] = 1; }, "sparse"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    test::EditableArtifact m = dict_model();
    c.edit(m);
    EXPECT_FERRY_ERROR(m.load(), ErrorCode::kFormat, c.names);
  }
}

TEST(Records, FeatureHasherLoadRules) {
  struct Case {
    const char* what;
    void (*edit)(test::EditableArtifact&);
    const char* names;
  };
  const Case cases[] = {
      {"unknown input_type", [](test::EditableArtifact& m) { m.params()["input_type"] = "pair"; }, "input_type"},
      {"keys with strings", [](test::EditableArtifact& m) { m.params()["input_type"] = "string"; }, "key_bytes"},
      {"keys missing", [](test::EditableArtifact& m) { m.step()["tensors"].erase("key_offsets"); }, "key_"},
      {"keys short", [](test::EditableArtifact& m) { m.set_int64("key_offsets", {0, 2}); }, "key_offsets"},
      {"keys past the bytes", [](test::EditableArtifact& m) { m.set_int64("key_offsets", {0, 1, 3}); }, "key_offsets"},
      {"alternate_sign not boolean", [](test::EditableArtifact& m) { m.params()["alternate_sign"] = "yes"; },
       "alternate_sign"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    test::EditableArtifact m = hasher_model(4, true);
    c.edit(m);
    EXPECT_FERRY_ERROR(m.load(), ErrorCode::kFormat, c.names);
  }
}

}  // namespace
}  // namespace ferry::detail
