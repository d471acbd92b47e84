// Feature selection: select_columns (docs/format.md §4.21). Parity with scikit-learn on whole
// batches is the golden tests' job (tests/data/select_*); here: every load-time rule of the step
// as a typed format error naming it, NaN as scikit-learn's allow_nan tag decides, and that
// explanations still see each kept column as coming from its one raw column.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ferry/model.hpp"
#include "support/test_support.hpp"

namespace ferry::detail {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

using Parsed = test::EditableArtifact;

Parsed parsed(const std::string& name) { return Parsed::from_case("tests/data/" + name); }

Model load_case(const std::string& name, const LoadOptions& options = {}) {
  return Model::load(test::source_path("tests/data/" + name + "/model.ferry"), options);
}

const std::vector<std::string> kCases = {"select_kbest_onehot", "select_variance_threshold_hgb",
                                         "select_from_model_trees", "select_percentile_pipeline"};

TEST(Select, ShippedCasesLoadAndVerify) {
  LoadOptions verify;
  verify.verify = true;
  for (const std::string& name : kCases) {
    SCOPED_TRACE(name);
    EXPECT_NO_THROW(load_case(name, verify));
  }
}

TEST(Select, VarianceThresholdPassesNaN) {
  const Model model = load_case("select_variance_threshold_hgb");
  RowMatrixXd X = test::case_input("tests/data/select_variance_threshold_hgb", model);
  ASSERT_TRUE(X.array().isNaN().any());
  const RowMatrixXd Z = model.transform(X);
  ASSERT_EQ(Z.cols(), 6);
  // A copy of the first six columns, NaN included: the constant and low-variance ones are gone.
  for (Index i = 0; i < X.rows(); ++i)
    for (Index j = 0; j < 6; ++j)
      EXPECT_TRUE(Z(i, j) == X(i, j) || (std::isnan(Z(i, j)) && std::isnan(X(i, j))));
}

TEST(Select, UnivariateSelectorRefusesNaNAsScikitLearnDoes) {
  // Make the inputs nullable so that a NaN gets past validation and the scaler (which passes it)
  // and reaches the selector, whose allow_nan is false: a value error naming row, column, step.
  Parsed p = parsed("select_percentile_pipeline");
  for (auto& input : p.header["schema"]["inputs"]) input["nullable"] = true;
  const Model model = p.load();
  RowMatrixXd X = test::case_input("tests/data/select_percentile_pipeline", model).topRows(2);
  X(1, 1) = kNaN;  // x1 is dropped by the selector: scikit-learn refuses the batch all the same
  EXPECT_FERRY_ERROR(model.predict(X), ErrorCode::kValue,
                     "row 1, column \"x1\": a missing value reaches pipeline[1] (select_columns, steps[1]: "
                     "SelectPercentile), which refuses NaN");
}

TEST(Select, ExplainSeesEachKeptColumnAsItsRawColumn) {
  // Linear: exact SHAP through scaler and three selectors; a dropped raw column gets nothing.
  const Model linear = load_case("select_percentile_pipeline");
  const RowMatrixXd X = test::case_input("tests/data/select_percentile_pipeline", linear);
  const Explanation e = linear.explain(X);
  EXPECT_EQ(e.method, Explanation::Method::kLinearExact);
  ASSERT_EQ(e.values[0].cols(), 30);
  EXPECT_EQ(e.values[0].col(1).cwiseAbs().maxCoeff(), 0.0);  // x1 not kept (steps.1.columns)
  const RowMatrixXd scores = linear.decision_function(X);
  for (Index i = 0; i < X.rows(); ++i)
    EXPECT_NEAR(e.base_values(i, 0) + e.values[0].row(i).sum(), scores(i, 0), 1e-9);

  // Trees in a FeatureUnion of two selectors: path-dependent TreeSHAP summed per raw column.
  const Model trees = load_case("select_from_model_trees");
  const RowMatrixXd Xt = test::case_input("tests/data/select_from_model_trees", trees);
  const Explanation et = trees.explain(Xt);
  EXPECT_EQ(et.method, Explanation::Method::kTreePathDependent);
  EXPECT_EQ(et.feature_names.size(), 13u);
  // x2 is in neither branch (sfm keeps 0 1 5 9 10 11 12, vt keeps 1 3 4 9 12).
  for (const RowMatrixXd& v : et.values) EXPECT_EQ(v.col(2).cwiseAbs().maxCoeff(), 0.0);
}

// ------------------------------------------------------------------ corruption: format errors

TEST(SelectInvalid, ColumnsTensor) {
  const std::string where = "pipeline[1] (select_columns, steps[1]: SelectPercentile)";
  const std::string c = "steps.1.columns";
  Parsed p = parsed("select_percentile_pipeline");
  std::vector<std::int64_t> good = p.int64_of(c);
  ASSERT_EQ(good.size(), 15u);

  std::vector<std::int64_t> bad = good;
  bad[14] = 30;  // n_features_in is 30
  p.set_int64(c, bad);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, where + ": tensor role \"columns\" has 30 at [14], outside [0, 30)");
  bad = good;
  bad[0] = -1;
  p.set_int64(c, bad);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, where + ": tensor role \"columns\" has -1 at [0]");
  bad = good;
  std::swap(bad[3], bad[4]);
  p.set_int64(c, bad);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, where + ": tensor role \"columns\" is not strictly increasing at [4]");
  bad = good;
  bad[5] = bad[4];
  p.set_int64(c, bad);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, where + ": tensor role \"columns\" is not strictly increasing at [5]");
  bad = good;
  bad.pop_back();
  p.set_int64(c, bad);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "(columns) has shape [14], expected [15]");
  p.set_float64(c, std::vector<double>(good.begin(), good.end()));
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, where + ": tensor \"steps.1.columns\" (columns) has dtype float64, expected int64");
  p = parsed("select_percentile_pipeline");
  p.step(1)["tensors"].erase("columns");
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor role \"columns\" is missing");
}

TEST(SelectInvalid, ParamsAndWidths) {
  Parsed p = parsed("select_percentile_pipeline");
  p.params(1).erase("allow_nan");
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "allow_nan");
  p = parsed("select_percentile_pipeline");
  p.params(1)["allow_nan"] = "yes";
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "allow_nan");
  p = parsed("select_percentile_pipeline");
  p.step(1)["n_features_out"] = 31;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "n_features_out must be between 1 and n_features_in");
  // Inside a FeatureUnion branch the step is named by its path.
  p = parsed("select_from_model_trees");
  std::vector<std::int64_t> cols = p.int64_of("steps.0.transformers.1.steps.0.columns");
  cols.back() = 13;
  p.set_int64("steps.0.transformers.1.steps.0.columns", cols);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "pipeline[0].params.transformers[1].steps[0] (select_columns");
}

}  // namespace
}  // namespace ferry::detail
