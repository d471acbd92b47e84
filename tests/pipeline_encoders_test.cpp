// Encoders: one_hot_encoder and ordinal_encoder (docs/format.md §4.18, §4.19), and the text
// columns they and simple_imputer take (§4.15). Parity with scikit-learn on whole batches is
// the golden tests' job (tests/data/enc_*); here: every load-time rule, the errors for unknown
// categories (code, column, row), one row against the batch, float input, and text columns
// against the numeric encoding of the same categories.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "artifact/artifact.hpp"
#include "artifact/tensor_data.hpp"
#include "ferry/model.hpp"
#include "ferry/table.hpp"
#include "support/test_support.hpp"

namespace ferry::detail {
namespace {

using nlohmann::json;
namespace fa = artifact;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

using Parsed = test::EditableArtifact;

Parsed parsed(const std::string& name) { return {test::EditableArtifact::from_case("tests/data/" + name)}; }

Model load_case(const std::string& name) { return Model::load(test::source_path("tests/data/" + name + "/model.ferry")); }

RowMatrixXd input_of(const std::string& name, const Model& model) { return test::case_input("tests/data/" + name, model); }

const std::vector<std::string> kCases = {"enc_onehot_ignore",        "enc_onehot_infrequent", "enc_onehot_drop_first",
                                         "enc_onehot_drop_explicit", "enc_ordinal_encoded",   "enc_ordinal_nan_imputed"};

// Column j of the first step as the numeric categories it holds: the values and where they
// start in numeric_categories.
std::vector<double> numeric_categories_of(Parsed& p, std::size_t j, std::size_t* start) {
  const std::vector<double> all = p.float64_of("steps.0.numeric_categories");
  std::size_t at = 0;
  for (std::size_t k = 0; k < j; ++k) at += p.params()["categories"][k].get<std::size_t>();
  const std::size_t m = p.params()["categories"][j].get<std::size_t>();
  *start = at;
  return {all.begin() + static_cast<std::ptrdiff_t>(at), all.begin() + static_cast<std::ptrdiff_t>(at + m)};
}

// The text twin of numeric category v: "v<v>", and the empty string for 0 (a category like any
// other; input.csv cannot hold one, since an empty cell is a missing value there).
std::string text_of(double v) { return v == 0.0 ? std::string() : "v" + std::to_string(static_cast<long long>(v)); }

// Turns numeric input column j of an encoder case into a text column: the category with value
// v becomes the string text_of(v); a one-hot encoder lists them in reverse order (text categories
// need not be sorted; its outputs follow them), an ordinal encoder in order (its output is the
// position). The schema lists them sorted, as the exporter does.
std::vector<double> textify(Parsed& p, std::size_t j) {
  std::size_t start = 0;
  const std::vector<double> values = numeric_categories_of(p, j, &start);
  std::vector<std::string> names;
  for (double v : values) names.push_back(text_of(v));
  // outputs are per category in step order: reverse column j's part with the strings.
  const bool one_hot = p.step()["type"] == "one_hot_encoder";
  if (one_hot) {
    std::vector<std::int64_t> outputs = p.int64_of("steps.0.outputs");
    std::size_t first = 0;
    for (std::size_t k = 0; k < j; ++k)
      first += p.params()["categories"][k].get<std::size_t>() + (p.params()["missing"][k].is_null() ? 0 : 1);
    std::reverse(outputs.begin() + static_cast<std::ptrdiff_t>(first),
                 outputs.begin() + static_cast<std::ptrdiff_t>(first + values.size()));
    p.set_int64("steps.0.outputs", outputs);
  }
  std::vector<double> rest = p.float64_of("steps.0.numeric_categories");
  rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(start),
             rest.begin() + static_cast<std::ptrdiff_t>(start + values.size()));
  p.set_float64("steps.0.numeric_categories", rest);
  p.params()["categories"][j] = one_hot ? json(std::vector<std::string>(names.rbegin(), names.rend())) : json(names);
  std::vector<std::string> sorted = names;
  std::sort(sorted.begin(), sorted.end());
  // The background holds column j's numbers, not category indices: the twin goes without.
  if (p.header.contains("explain"))
    for (const char* key : {"background", "background_weights"}) {
      p.tensors.erase(p.header["explain"].value(key, ""));
      p.header["explain"].erase(key);
    }
  json& input = p.header["schema"]["inputs"][j];
  input["kind"] = "categorical";
  input["categories"] = sorted;
  input["range"] = nullptr;
  p.drop_verification();
  return values;
}

// The rows of X as a Table, column j as text (text_of(value), missing for NaN, "nope" for a
// value that is no category).
Table as_table(const Model& numeric, const RowMatrixXd& X, Index j, const std::vector<double>& categories) {
  Table t;
  const auto& inputs = numeric.schema().inputs;
  for (Index c = 0; c < X.cols(); ++c) {
    const std::string& name = inputs[static_cast<std::size_t>(c)].name;
    if (c != j) {
      std::vector<double> numbers(static_cast<std::size_t>(X.rows()));
      for (Index i = 0; i < X.rows(); ++i) numbers[static_cast<std::size_t>(i)] = X(i, c);  // X is row-major
      t.add_numeric(name, numbers);
      continue;
    }
    std::vector<std::optional<std::string>> text;
    for (Index i = 0; i < X.rows(); ++i) {
      const double v = X(i, c);
      if (std::isnan(v))
        text.emplace_back(std::nullopt);
      else if (std::find(categories.begin(), categories.end(), v) != categories.end())
        text.emplace_back(text_of(v));
      else
        text.emplace_back("nope");
    }
    t.add_text(name, text);
  }
  return t;
}

// ---------------------------------------------------------------------------------------

TEST(Encoders, ShippedCasesLoadVerifyAndAreNullable) {
  LoadOptions verify;
  verify.verify = true;
  for (const std::string& name : kCases) {
    SCOPED_TRACE(name);
    const Model m = Model::load(test::source_path("tests/data/" + name + "/model.ferry"), verify);
    for (const auto& c : m.schema().inputs) EXPECT_TRUE(c.nullable) << c.name;
  }
}

TEST(Encoders, FloatInputIsWidenedToDouble) {
  for (const std::string& name : kCases) {
    SCOPED_TRACE(name);
    const Model model = load_case(name);
    // 1e300 (an unseen value) is no float: use another unseen value there.
    const RowMatrixXd X = input_of(name, model).unaryExpr([](double v) { return std::abs(v) > 1e30 ? 17.0 : v; });
    const RowMatrixXd Xd = X.cast<float>().cast<double>();
    EXPECT_EQ(model.transform(RowMatrixXf(Xd.cast<float>())), model.transform(Xd));
  }
}

TEST(Encoders, EachRowAloneEqualsTheBatch) {
  for (const std::string& name : kCases) {
    SCOPED_TRACE(name);
    const Model model = load_case(name);
    const RowMatrixXd X = input_of(name, model);
    const RowMatrixXd batch = model.transform(X);
    for (Index i = 0; i < X.rows(); ++i) {
      const RowMatrixXd one = model.transform(RowMatrixXd(X.row(i)));
      ASSERT_EQ(one.row(0), batch.row(i)) << "row " << i;
    }
  }
}

TEST(Encoders, OneHotIgnoreAndInfrequent) {
  // x0 = 17 was never seen: all zeros with ignore; the infrequent column with infrequent_if_exist.
  const Model ignore = load_case("enc_onehot_ignore");
  RowMatrixXd X(2, 3);
  X << 17.0, 0.0, kNaN, 0.0, 0.0, 0.0;
  const RowMatrixXd T = ignore.transform(X);
  const auto& names = ignore.transformed_feature_names();
  for (Index c = 0; c < T.cols(); ++c) {
    const bool x0 = names[static_cast<std::size_t>(c)].rfind("x0_", 0) == 0;
    const bool x2 = names[static_cast<std::size_t>(c)].rfind("x2_", 0) == 0;
    if (x0 || x2) {
      EXPECT_EQ(T(0, c), 0.0) << names[static_cast<std::size_t>(c)];
    }
    EXPECT_EQ(T(1, c), names[static_cast<std::size_t>(c)] == "x0_0.0" || names[static_cast<std::size_t>(c)] == "x1_0.0" ||
                               names[static_cast<std::size_t>(c)] == "x2_0.0"
                           ? 1.0
                           : 0.0)
        << names[static_cast<std::size_t>(c)];
  }
  const Model infrequent = load_case("enc_onehot_infrequent");
  const RowMatrixXd U = infrequent.transform(RowMatrixXd::Constant(1, 3, 17.0));
  const auto& inames = infrequent.transformed_feature_names();
  for (Index c = 0; c < U.cols(); ++c) {
    const std::string& n = inames[static_cast<std::size_t>(c)];
    EXPECT_EQ(U(0, c), n.size() > 19 && n.substr(n.size() - 19) == "_infrequent_sklearn" ? 1.0 : 0.0) << n;
  }
}

// ---------------------------------------------------------------------------------------
// Unknown categories with handle_unknown='error': a value error naming step, column and row.

TEST(Encoders, UnknownCategoryIsAValueErrorNamingColumnAndRow) {
  const Model one_hot = load_case("enc_onehot_drop_first");
  RowMatrixXd X = input_of("enc_onehot_drop_first", one_hot).topRows(4);
  ASSERT_NO_THROW(one_hot.predict(X));
  X(2, 1) = 7.0;
  EXPECT_FERRY_ERROR(one_hot.predict(X), ErrorCode::kValue, "row 2, column \"x1\": unknown category: 7 (pipeline[0]");
  EXPECT_FERRY_ERROR(one_hot.transform(X), ErrorCode::kValue, "handle_unknown='error'");
  X(2, 1) = 1e300;
  EXPECT_FERRY_ERROR(one_hot.predict(X), ErrorCode::kValue, "unknown category: 1e+300");
  // Column x1 had no missing value at fit: NaN is unknown there, a category in x0.
  X(2, 1) = kNaN;
  X(3, 0) = kNaN;
  EXPECT_FERRY_ERROR(one_hot.predict(X), ErrorCode::kValue, "row 2, column \"x1\": unknown category: a missing value");

  const Model ordinal = load_case("enc_ordinal_nan_imputed");
  RowMatrixXd Y(3, 2);
  Y << 0.0, 16.0, kNaN, kNaN, 0.0, 99.0;
  EXPECT_FERRY_ERROR(ordinal.predict(Y), ErrorCode::kValue,
                     "row 2, column \"x1\": unknown category: 99 (pipeline[0] (ordinal_encoder");
}

TEST(Encoders, OrdinalEncodedValues) {
  // unknown_value -1, encoded_missing_value -2 (x0, x1 had NaN at fit; x2 did not: unknown).
  Parsed p = parsed("enc_ordinal_encoded");
  p.header["pipeline"].erase(1);  // keep the encoder alone
  p.tensors.erase("steps.1.mean");
  p.tensors.erase("steps.1.scale");
  p.header["estimator"]["n_features_in"] = 3;
  const Model model = p.load();
  RowMatrixXd X(2, 3);
  X << kNaN, kNaN, kNaN, 2.5, 0.0, 16.0;
  const RowMatrixXd T = model.transform(X);
  EXPECT_EQ(T(0, 0), -2.0);
  EXPECT_EQ(T(0, 1), -2.0);
  EXPECT_EQ(T(0, 2), -1.0);
  EXPECT_EQ(T(1, 0), -1.0);
  EXPECT_EQ(T(1, 1), 0.0);  // 0 is the smallest category
  const std::size_t n2 = p.params()["categories"][2].get<std::size_t>();
  EXPECT_EQ(T(1, 2), static_cast<double>(n2 - 1));  // 16 the largest
}

// ---------------------------------------------------------------------------------------
// Text columns: the same categories as strings give the same output as the numbers.

TEST(EncodersText, TextCategoriesEqualTheirNumericTwins) {
  for (const char* name : {"enc_onehot_ignore", "enc_onehot_infrequent", "enc_onehot_drop_explicit",
                           "enc_ordinal_encoded"}) {
    SCOPED_TRACE(name);
    const Model numeric = load_case(name);
    Parsed p = parsed(name);
    const std::vector<double> categories = textify(p, 0);
    const Model text = p.load();
    EXPECT_EQ(text.schema().inputs[0].kind, ColumnKind::kCategorical);
    const RowMatrixXd X = input_of(name, numeric);
    const Table table = as_table(numeric, X, 0, categories);
    const RowMatrixXd got = text.transform(table), want = numeric.transform(X);
    for (Index i = 0; i < X.rows(); ++i) ASSERT_EQ(got.row(i), want.row(i)) << "row " << i << " x0 = " << X(i, 0);
    for (Index i = 0; i < X.rows(); ++i) {
      const Table one = as_table(numeric, RowMatrixXd(X.row(i)), 0, categories);
      ASSERT_EQ(text.transform(one), numeric.transform(RowMatrixXd(X.row(i)))) << "row " << i;
    }
  }
}

TEST(EncodersText, UnknownTextWithErrorNamesColumnAndRow) {
  Parsed p = parsed("enc_onehot_drop_first");
  const std::vector<double> categories = textify(p, 0);
  const Model text = p.load();
  Table t;
  t.add_text("x0", {std::string(""), std::string("nope"), std::nullopt})
      .add_numeric("x1", {0.0, 0.0, 0.0})
      .add_numeric("x2", {0.0, 0.0, 0.0});
  EXPECT_FERRY_ERROR(text.predict(t), ErrorCode::kValue, "x0");
  EXPECT_FERRY_ERROR(text.predict(t), ErrorCode::kValue, "row 1");
  Table ok;
  ok.add_text("x0", {std::string(""), std::nullopt}).add_numeric("x1", {0.0, 16.0}).add_numeric("x2", {0.0, kNaN});
  EXPECT_EQ(text.predict(ok).rows(), 2);
}

TEST(EncodersText, TextAndNumericCategoriesMustMatchTheColumn) {
  Parsed p = parsed("enc_onehot_ignore");
  p.params()["categories"][1] = json::array({"a", "b"});
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.categories[1] holds text categories but input column 1 is numeric");
  p = parsed("enc_onehot_ignore");
  textify(p, 0);
  p.params()["categories"][0] = 3;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.categories[0] holds numeric categories but input column 0 is text");
  p = parsed("enc_onehot_ignore");
  textify(p, 0);
  json& c = p.params()["categories"][0];
  c[1] = c[0];
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.categories[0] repeats the category at [1]");
  p = parsed("enc_onehot_ignore");
  textify(p, 0);
  p.params()["categories"][0][0] = 5;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.categories[0][0] is not a string");
}

TEST(EncodersText, ImputerFillsTextAndKeepsItText) {
  // A most_frequent imputer in front of the text one-hot encoder: a missing value becomes the
  // fill string, which the encoder then knows.
  Parsed p = parsed("enc_onehot_ignore");
  const std::vector<double> categories = textify(p, 0);
  json imputer = {{"type", "simple_imputer"}, {"name", "steps[0]: SimpleImputer"}, {"n_features_in", 3},
                  {"n_features_out", 3},
                  {"params", {{"strategy", "most_frequent"}, {"add_indicator", false},
                              {"text_fill", {"v16", nullptr, nullptr}}}},
                  {"tensors", {{"keep", "imp.keep"}, {"statistics", "imp.statistics"}}},
                  {"feature_names_out", {"x0", "x1", "x2"}}};
  p.set_int64("imp.keep", {1, 1, 1});
  p.set_float64("imp.statistics", {0.0, 0.0, 0.0});
  p.header["pipeline"].insert(p.header["pipeline"].begin(), imputer);
  const Model model = p.load();
  Table t;
  t.add_text("x0", {std::nullopt, std::string("v16")}).add_numeric("x1", {kNaN, kNaN}).add_numeric("x2", {1.0, 1.0});
  const RowMatrixXd T = model.transform(t);
  EXPECT_EQ(T.row(0), T.row(1));  // missing x0 was filled with v16; x1 NaN -> 0.0
  // The fill string is checked against the column kind.
  p.header["pipeline"][0]["params"]["text_fill"] = {"v16", "z", nullptr};
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.text_fill[1] is a string but input column 1 is numeric");
  p.header["pipeline"][0]["params"]["text_fill"] = {nullptr, nullptr, nullptr};
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "input column 0 holds text but params.text_fill[0] gives no text");
  p.header["pipeline"][0]["params"]["text_fill"] = {1, nullptr, nullptr};
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.text_fill[0] is not a string or null");
  p.header["pipeline"][0]["params"]["text_fill"] = {"v16"};
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.text_fill must hold one entry per input column");
}

// ---------------------------------------------------------------------------------------
// Load-time validation.

TEST(EncodersInvalid, CategoryParams) {
  for (const char* name : {"enc_onehot_infrequent", "enc_ordinal_encoded"}) {
    SCOPED_TRACE(name);
    Parsed p = parsed(name);
    p.params()["categories"].erase(0);
    EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.categories must hold one entry per input column");
    p = parsed(name);
    p.params()["missing"] = {nullptr, "NaN", nullptr};
    EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.missing[1] is not null, \"nan\" or \"none\"");
    p = parsed(name);
    p.params()["missing"].erase(0);
    EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.missing must hold one entry per input column");
    p = parsed(name);
    p.params()["categories"][0] = -1;
    EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.categories[0] is neither an array of strings nor an integer");
    p = parsed(name);
    p.params()["categories"][0] = 1.5;
    EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.categories[0] is neither");
    p = parsed(name);
    p.params().erase("categories");
    EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "categories");
    // numeric_categories: order, finiteness, shape, presence
    p = parsed(name);
    std::vector<double> v = p.float64_of("steps.0.numeric_categories");
    std::swap(v[0], v[1]);
    p.set_float64("steps.0.numeric_categories", v);
    EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor role \"numeric_categories\" is not strictly increasing at [1] (column 0)");
    v[1] = v[0];
    p.set_float64("steps.0.numeric_categories", v);
    EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "is not strictly increasing at [1]");
    v[1] = kNaN;
    p.set_float64("steps.0.numeric_categories", v);
    EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor role \"numeric_categories\" has a non-finite value at [1]");
    v.pop_back();
    p.set_float64("steps.0.numeric_categories", v);
    EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "(numeric_categories) has shape");
    p = parsed(name);
    p.step()["tensors"].erase("numeric_categories");
    p.tensors.erase("steps.0.numeric_categories");
    EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor \"numeric_categories\" must be present exactly when");
    // a column with no category at all
    p = parsed(name);
    std::size_t start = 0;
    const std::size_t m0 = numeric_categories_of(p, 0, &start).size();
    v = p.float64_of("steps.0.numeric_categories");
    v.erase(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(m0));
    p.set_float64("steps.0.numeric_categories", v);
    p.params()["categories"][0] = 0;
    p.params()["missing"][0] = nullptr;
    EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "column 0 has no category");
  }
}

TEST(EncodersInvalid, OneHotParamsAndTensors) {
  Parsed p = parsed("enc_onehot_infrequent");
  p.params()["handle_unknown"] = "skip";
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.handle_unknown \"skip\" is not");
  p = parsed("enc_onehot_infrequent");
  p.params().erase("handle_unknown");
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "handle_unknown");
  // unknown must be -1 unless infrequent_if_exist
  p = parsed("enc_onehot_infrequent");
  p.params()["handle_unknown"] = "ignore";
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor role \"unknown\" must be -1 at [0] with handle_unknown \"ignore\"");
  const std::vector<std::int64_t> outputs = p.int64_of("steps.0.outputs");
  std::vector<std::int64_t> o = outputs;
  o[0] = -2;
  p = parsed("enc_onehot_infrequent");
  p.set_int64("steps.0.outputs", o);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor role \"outputs\" has -2 at [0], below -1");
  o[0] = std::numeric_limits<std::int64_t>::max();
  p.set_int64("steps.0.outputs", o);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "would output more columns than n_features_out leaves");
  p = parsed("enc_onehot_infrequent");
  p.set_int64("steps.0.unknown", {std::numeric_limits<std::int64_t>::min(), 0, 0});
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor role \"unknown\" has");
  // an output column no category reaches
  p = parsed("enc_onehot_infrequent");
  o = outputs;
  for (auto& k : o)
    if (k == 0) k = -1;
  p.set_int64("steps.0.outputs", o);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "output column 0 is the output of no category");
  p = parsed("enc_onehot_infrequent");
  p.step()["n_features_out"] = p.step()["n_features_out"].get<int>() + 1;
  p.step()["feature_names_out"].push_back("extra");
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "output columns, n_features_out is");
  p = parsed("enc_onehot_infrequent");
  o = outputs;
  o.pop_back();
  p.set_int64("steps.0.outputs", o);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "(outputs) has shape");
  p = parsed("enc_onehot_infrequent");
  p.set_int64("steps.0.unknown", {0, 0});
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "(unknown) has shape [2], expected [3]");
}

TEST(EncodersInvalid, OrdinalParams) {
  Parsed p = parsed("enc_ordinal_encoded");
  p.params()["handle_unknown"] = "ignore";
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.handle_unknown \"ignore\" is not \"error\" or \"use_encoded_value\"");
  p = parsed("enc_ordinal_encoded");
  p.params()["handle_unknown"] = "error";
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.unknown_value must be null with handle_unknown \"error\"");
  p = parsed("enc_ordinal_encoded");
  p.params()["unknown_value"] = "x";
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.unknown_value is not a number or null");
  p = parsed("enc_ordinal_encoded");
  p.params().erase("encoded_missing_value");
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "encoded_missing_value");
  p = parsed("enc_ordinal_encoded");
  p.params()["encoded_missing_value"] = true;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.encoded_missing_value is not a number or null");
  p = parsed("enc_ordinal_encoded");
  p.step()["n_features_out"] = 4;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "n_features_out must equal n_features_in");
}

}  // namespace
}  // namespace ferry::detail
