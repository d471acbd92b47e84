// column_transformer (ColumnTransformer, FeatureUnion): load-time checks of its branches.
// Parity with scikit-learn is in golden_test (tests/data/compose_*).
#include <gtest/gtest.h>

#include "ferry/model.hpp"
#include "support/test_support.hpp"

namespace ferry::detail {
namespace {

test::EditableArtifact compose() { return test::EditableArtifact::from_case("tests/data/compose_column_transformer"); }

nlohmann::json& branch(test::EditableArtifact& a, std::size_t k) { return a.params()["transformers"][k]; }

TEST(ColumnTransformer, RefusesBadColumns) {
  auto a = compose();
  branch(a, 1)["columns"] = {4, 10};
  EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "pipeline[0].params.transformers[1].columns[1] is not a column index "
                                                   "below 10");
  branch(a, 1)["columns"] = nlohmann::json::array();
  EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "pipeline[0].params.transformers[1].columns is empty");
  branch(a, 1)["columns"] = {4, "5"};
  EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "columns[1] is not a column index");
}

TEST(ColumnTransformer, RefusesABadWeight) {
  auto a = compose();
  branch(a, 1)["weight"] = "2";
  EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "pipeline[0].params.transformers[1].weight");
}

TEST(ColumnTransformer, RefusesWidthsThatDoNotAddUp) {
  auto a = compose();
  a.params()["transformers"].erase(2);
  EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "its transformers give 9 columns but n_features_out is 12");
}

TEST(ColumnTransformer, ChecksNestedStepsLikeTopLevelOnes) {
  auto a = compose();
  branch(a, 0)["steps"][1]["n_features_in"] = 2;
  EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat,
                     "pipeline[0].params.transformers[0].steps[1] (standard_scaler, steps[0].transformers['num']."
                     "steps[1]: StandardScaler): n_features_in is 2 but its input has 3 columns");
  a = compose();
  branch(a, 0)["steps"][0]["type"] = "future_step";
  EXPECT_FERRY_ERROR(a.load(), ErrorCode::kUnsupported, "unknown step type \"future_step\"");
  a = compose();
  branch(a, 0)["steps"][1]["tensors"]["scale"] = "no.such.tensor";
  EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "refers to missing tensor \"no.such.tensor\"");
}

TEST(ColumnTransformer, FloatInputEqualsDoubleInput) {
  const Model model = compose().load();
  const auto csv = test::read_csv_file(test::source_path("tests/data/compose_column_transformer/input.csv"));
  RowMatrixXd X = test::numeric_columns(csv, csv.header);
  X = X.array().isNaN().select(0.0, X);
  const RowMatrixXf Xf = X.cast<float>();
  EXPECT_EQ(model.transform(Xf), model.transform(RowMatrixXd(Xf.cast<double>())));
}

}  // namespace
}  // namespace ferry::detail
