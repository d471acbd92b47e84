// Missing values: simple_imputer and missing_indicator (docs/format.md §4), nullable inputs
// (§3.2) and the check that no missing value reaches the estimator. Parity with
// scikit-learn on whole batches is the golden tests' job (tests/data/impute_*); here: every
// load-time rule, one row at a time against the batch, float input, and the edge rows.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "artifact/artifact.hpp"
#include "artifact/tensor_data.hpp"
#include "ferry/model.hpp"
#include "support/test_support.hpp"

namespace ferry::detail {
namespace {

using nlohmann::json;
namespace fa = artifact;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

using Parsed = test::EditableArtifact;

Parsed parsed(const std::string& name) { return {test::EditableArtifact::from_case("tests/data/" + name)}; }

RowMatrixXd input_of(const std::string& name, const Model& model) { return test::case_input("tests/data/" + name, model); }

Model load_case(const std::string& name) { return Model::load(test::source_path("tests/data/" + name + "/model.ferry")); }

const std::map<std::string, std::string> kTypes = {
    {"impute_mean_indicator", "simple_imputer"},        {"impute_median", "simple_imputer"},
    {"impute_most_frequent", "simple_imputer"},         {"impute_constant", "simple_imputer"},
    {"impute_all_nan_column", "simple_imputer"},        {"impute_keep_empty", "simple_imputer"},
    {"impute_missing_indicator", "missing_indicator"},  {"impute_missing_indicator_all", "missing_indicator"},
};

const json* imputing_step(Parsed& p) {
  for (const json& s : p.header["pipeline"])
    if (s["type"] == "simple_imputer" || s["type"] == "missing_indicator") return &s;
  return nullptr;
}

// ---------------------------------------------------------------------------------------

TEST(Impute, ShippedCasesLoadVerifyAndAreNullable) {
  LoadOptions verify;
  verify.verify = true;
  for (const auto& [name, type] : kTypes) {
    SCOPED_TRACE(name);
    Parsed p = parsed(name);
    const json* s = imputing_step(p);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ((*s)["type"], type);
    const Model m = Model::load(test::source_path("tests/data/" + name + "/model.ferry"), verify);
    for (const auto& c : m.schema().inputs) EXPECT_TRUE(c.nullable) << c.name;
    // The inputs really hold missing values.
    EXPECT_TRUE(input_of(name, m).array().isNaN().any());
  }
}

TEST(Impute, FloatInputIsWidenedToDouble) {
  for (const auto& [name, type] : kTypes) {
    SCOPED_TRACE(name);
    const Model model = load_case(name);
    const RowMatrixXf Xf = input_of(name, model).cast<float>();
    const RowMatrixXd Xd = Xf.cast<double>();
    EXPECT_TRUE(Xf.array().isNaN().any());
    EXPECT_EQ(model.transform(Xf), model.transform(Xd));
    EXPECT_EQ(model.predict(Xf).scores, model.predict(Xd).scores);
  }
}

TEST(Impute, DroppedColumnAndIndicators) {
  // Column x5 was all-missing at fit: dropped from the imputed block, indicated after it.
  const Model model = load_case("impute_all_nan_column");
  const std::vector<std::string> want = {"x0", "x1", "x2", "x3", "x4", "x6",
                                         "missingindicator_x1", "missingindicator_x4", "missingindicator_x5"};
  EXPECT_EQ(model.transformed_feature_names(), want);
  RowMatrixXd X = RowMatrixXd::Constant(1, 7, kNaN);
  const RowMatrixXd all_missing = model.transform(X);
  ASSERT_EQ(all_missing.cols(), 9);
  EXPECT_TRUE(all_missing.allFinite());
  EXPECT_EQ(all_missing(0, 6), 1.0);
  EXPECT_EQ(all_missing(0, 8), 1.0);
  X << 1, 2, 3, 4, 5, 6, 7;
  RowMatrixXd expect(1, 9);
  expect << 1, 2, 3, 4, 5, 7, 0, 0, 0;
  EXPECT_EQ(model.transform(X), expect);
}

TEST(Impute, InfinityIsStillRefused) {
  const Model model = load_case("impute_mean_indicator");
  RowMatrixXd X = RowMatrixXd::Zero(1, static_cast<Index>(model.schema().inputs.size()));
  X(0, 1) = std::numeric_limits<double>::infinity();
  EXPECT_FERRY_ERROR(model.predict(X), ErrorCode::kValue, "row 0, column \"x1\": +infinity is not allowed here");
}

TEST(Impute, MissingIndicatorErrorOnNew) {
  // features_ = the columns missing at fit (1, 2); a NaN in column 0 is refused, like scikit-learn.
  const Model model = load_case("impute_missing_indicator");
  RowMatrixXd X(2, 4);
  X << 5.0, kNaN, 1.0, 2.0, kNaN, 1.0, 1.0, 2.0;
  EXPECT_FERRY_ERROR(model.predict(X), ErrorCode::kValue,
                     "row 1, column \"x0\": a missing value where MissingIndicator saw none at fit");
  // With error_on_new=False it is ignored.
  Parsed p = parsed("impute_missing_indicator");
  p.params()["error_on_new"] = false;
  const RowMatrixXd T = p.load().transform(X);
  RowMatrixXd want(2, 2);
  want << 1, 0, 0, 0;
  EXPECT_EQ(T, want);
}

TEST(Impute, NaNReachingTheEstimatorIsAValueError) {
  // A nullable model whose pipeline imputes nothing: the NaN reaches the estimator.
  Parsed p = parsed("scaler_maxabs");
  p.header["schema"]["inputs"][2]["nullable"] = true;
  const Model model = p.load();
  RowMatrixXd X = RowMatrixXd::Ones(4, static_cast<Index>(model.schema().inputs.size()));
  X(3, 2) = kNaN;
  const std::string col = model.transformed_feature_names()[2];
  EXPECT_FERRY_ERROR(model.predict(X), ErrorCode::kValue,
                     "row 3: a missing value reached the estimator in column \"" + col +
                         "\" (the pipeline has no imputer for it)");
  EXPECT_FERRY_ERROR(model.transform(X), ErrorCode::kValue, "row 3: a missing value reached the estimator");
  // A non-nullable column still refuses NaN on input.
  X(3, 2) = 1.0;
  X(1, 0) = kNaN;
  EXPECT_FERRY_ERROR(model.predict(X), ErrorCode::kValue, "row 1, column \"" + model.schema().inputs[0].name + "\"");
}

// ---------------------------------------------------------------------------------------
// Load-time validation.

TEST(ImputeInvalid, SimpleImputerParams) {
  Parsed p = parsed("impute_all_nan_column");
  p.params()["strategy"] = "mode";
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "unknown strategy \"mode\"");
  p = parsed("impute_all_nan_column");
  p.params().erase("add_indicator");
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "add_indicator");
  p = parsed("impute_all_nan_column");
  p.params()["add_indicator"] = false;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat,
                     "tensor \"indicator_features\" must be present exactly when add_indicator");
  p.step()["tensors"].erase("indicator_features");
  p.tensors.erase("steps.0.indicator_features");
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "n_features_out must equal the number of kept columns");
}

TEST(ImputeInvalid, SimpleImputerTensors) {
  const std::string keep = "steps.0.keep", stats = "steps.0.statistics", ind = "steps.0.indicator_features";
  Parsed p = parsed("impute_all_nan_column");
  std::vector<std::int64_t> k = p.int64_of(keep);
  k[2] = 2;
  p.set_int64(keep, k);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor role \"keep\" has 2 at [2], expected 0 or 1");
  p = parsed("impute_all_nan_column");
  k = p.int64_of(keep);
  k[2] = 0;  // one more column dropped: the width no longer adds up with 3 indicators
  p.set_int64(keep, k);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "indicator_features");
  p = parsed("impute_constant");
  k = p.int64_of(keep);
  k[0] = 0;
  p.set_int64(keep, k);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "strategy \"constant\" keeps every column");
  p = parsed("impute_all_nan_column");
  std::vector<double> s(7, 0.0);
  s[1] = kNaN;
  p.tensors[stats] = fa::make_float64({7}, s.data());
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor role \"statistics\" has a non-finite value at [1]");
  p = parsed("impute_all_nan_column");
  p.set_int64(ind, {1, 4, 7});
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor role \"indicator_features\" has 7 at [2], outside [0, 7)");
  p.set_int64(ind, {1, 4, 4});
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor role \"indicator_features\" is not strictly increasing at [2]");
  p.set_int64(ind, {-1, 4, 5});
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "has -1 at [0]");
  p = parsed("impute_all_nan_column");
  p.set_int64(keep, {1, 1, 1});
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "(keep) has shape [3], expected [7]");
}

TEST(ImputeInvalid, MissingIndicator) {
  const std::string f = "steps.0.features";
  Parsed p = parsed("impute_missing_indicator");
  p.params().erase("error_on_new");
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "error_on_new");
  p = parsed("impute_missing_indicator");
  p.set_int64(f, {2, 1});
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor role \"features\" is not strictly increasing at [1]");
  p.set_int64(f, {1, 4});
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor role \"features\" has 4 at [1], outside [0, 4)");
  p.set_int64(f, {1, 2, 3});
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "(features) has shape [3], expected [2]");
  p = parsed("impute_missing_indicator_all");
  p.step(1)["n_features_out"] = 6;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "n_features_out must not exceed n_features_in");
}

}  // namespace
}  // namespace ferry::detail
