// Model::compute: one output into the caller's matrix, equal to what predict, predict_proba
// and decision_function give, whether the batch is read where it lies (tree ensembles without
// steps, float32 rows as they are) or taken through the pipeline.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "ferry/model.hpp"
#include "support/test_support.hpp"

namespace ferry::detail::test {
namespace {

using Output = Model::Output;

Model load_case(const std::string& dir) { return Model::load(source_path(dir + "/model.ferry")); }

// Every output of `input` through compute() equals the Prediction's (and the other entry
// points'), bit for bit, in a plain buffer and in a block of a wider matrix.
void expect_outputs_match(const Model& model, const Input& input, const Prediction& p) {
  const Index rows = p.rows();
  const bool classifier = model.schema().task == Task::kClassification;
  {
    std::vector<double> buffer(static_cast<std::size_t>(rows * model.output_width(Output::kPredict)));
    Eigen::Map<RowMatrixXd> out(buffer.data(), rows, model.output_width(Output::kPredict));
    model.compute(Output::kPredict, input, out);
    for (Index i = 0; i < rows; ++i) {
      if (classifier)
        ASSERT_EQ(out(i, 0), static_cast<double>(p.class_index[static_cast<std::size_t>(i)])) << "row " << i;
      else
        ASSERT_EQ(RowMatrixXd(out.row(i)), RowMatrixXd(p.values.row(i))) << "row " << i;
    }
  }
  if (const Index w = model.output_width(Output::kPredictProba)) {
    RowMatrixXd out(rows, w);
    model.compute(Output::kPredictProba, input, out);
    ASSERT_EQ(out, p.probabilities);
  }
  if (const Index w = model.output_width(Output::kDecisionFunction)) {
    RowMatrixXd wide = RowMatrixXd::Constant(rows, w + 3, -7.0);
    model.compute(Output::kDecisionFunction, input, wide.leftCols(w));
    ASSERT_EQ(RowMatrixXd(wide.leftCols(w)), p.scores);
    ASSERT_TRUE((wide.rightCols(3).array() == -7.0).all()) << "wrote outside the block";
    RowMatrixXd out(rows, w);
    model.compute(Output::kDecisionFunction, input, out);
    ASSERT_EQ(out, p.scores);
  }
}

TEST(ModelCompute, EveryOutputEqualsPredictOnTreeAndPipelineModels) {
  for (const char* dir : {"tests/data/tree_rf_classifier", "tests/data/xgb_multi_softprob", "tests/data/tree_gb_binary",
                          "tests/data/tree_hgb_regressor_nan", "tests/data/xgb_squarederror", "tests/data/tree_iforest",
                          "tests/data/tree_rf_regressor_scaled", "tests/data/linear_multioutput"}) {
    SCOPED_TRACE(dir);
    const Model model = load_case(dir);
    const RowMatrixXd X = case_input(dir, model);
    const Prediction p = model.predict(X);
    expect_outputs_match(model, X, p);
    // float32 rows: the same answers as the same values widened to double.
    const RowMatrixXf Xf = X.cast<float>();
    const RowMatrixXd widened = Xf.cast<double>();
    expect_outputs_match(model, Xf, model.predict(widened));
    const Prediction pf = model.predict(Xf);
    ASSERT_EQ(pf.scores, model.predict(widened).scores);
  }
}

// Rows read where they lie at the caller's stride (a block of a wider matrix), and batch
// sizes that leave every remainder of the row blocks and of the one-row path, give each row's
// own answer.
TEST(ModelCompute, StridedBlocksAndOddBatchSizesGiveEachRowsAnswer) {
  for (const char* dir : {"tests/data/xgb_multi_softprob", "tests/data/tree_hgb_regressor_nan",
                          "tests/data/xgb_squarederror", "tests/data/tree_rf_classifier"}) {
    SCOPED_TRACE(dir);
    const Model model = load_case(dir);
    const RowMatrixXd base = case_input(dir, model);
    const Index n_in = base.cols();
    for (const Index rows : {Index{2}, Index{5}, Index{7}, Index{130}, Index{135}}) {
      RowMatrixXd wide(rows, n_in + 3);
      for (Index i = 0; i < rows; ++i) {
        wide.row(i).head(n_in) = base.row(i % base.rows());
        wide.row(i).tail(3).setConstant(std::numeric_limits<double>::quiet_NaN());  // never read
      }
      const RowMatrixXd packed = wide.leftCols(n_in);
      const Prediction p = model.predict(packed);
      ASSERT_EQ(model.predict(wide.leftCols(n_in)).scores, p.scores) << rows << " rows";
      const RowMatrixXf wide_f = wide.cast<float>();
      ASSERT_EQ(model.predict(wide_f.leftCols(n_in)).scores, model.predict(RowMatrixXf(wide_f.leftCols(n_in))).scores);
      for (Index i = 0; i < rows; ++i) {
        const RowMatrixXd one = packed.row(i);
        ASSERT_EQ(model.predict(one).scores, RowMatrixXd(p.scores.row(i))) << "row " << i << " of " << rows;
      }
      expect_outputs_match(model, wide.leftCols(n_in), p);
    }
  }
}

TEST(ModelCompute, RefusesWrongShapesAndMissingOutputs) {
  const Model regressor = load_case("tests/data/xgb_squarederror");
  const RowMatrixXd X = case_input("tests/data/xgb_squarederror", regressor);
  EXPECT_EQ(regressor.output_width(Output::kPredictProba), 0);
  EXPECT_EQ(regressor.output_width(Output::kDecisionFunction), 0);
  RowMatrixXd out(X.rows(), 1);
  EXPECT_FERRY_ERROR(regressor.compute(Output::kPredictProba, X, out), ErrorCode::kUnsupported, "predict_proba");
  RowMatrixXd short_out(X.rows() - 1, 1);
  EXPECT_FERRY_ERROR(regressor.compute(Output::kPredict, X, short_out), ErrorCode::kShape, "the output is");
  const Model forest = load_case("tests/data/tree_rf_classifier");
  EXPECT_EQ(forest.output_width(Output::kDecisionFunction), 0);  // scikit-learn's forests have none
  RowMatrixXd two(1, 3);
  EXPECT_FERRY_ERROR(forest.compute(Output::kDecisionFunction, RowMatrixXd::Zero(1, 4), two), ErrorCode::kUnsupported,
                     "decision_function");
}

// The batch read where it lies is checked as the widened one is: the column count, and
// missing values or infinities, named by row and column.
TEST(ModelCompute, DirectReadsRefuseWhatTheWidenedPathRefuses) {
  const Model forest = load_case("tests/data/tree_rf_classifier");
  RowMatrixXf X = RowMatrixXf::Constant(3, 4, 1.0f);
  X(2, 1) = std::numeric_limits<float>::quiet_NaN();
  RowMatrixXd out(3, 1);
  EXPECT_FERRY_ERROR(forest.compute(Output::kPredict, X, out), ErrorCode::kValue, "row 2, column");
  EXPECT_FERRY_ERROR(forest.predict(X), ErrorCode::kValue, "row 2, column");
  X(2, 1) = std::numeric_limits<float>::infinity();
  EXPECT_FERRY_ERROR(forest.predict(X), ErrorCode::kValue, "infinity");
  EXPECT_FERRY_ERROR(forest.predict(RowMatrixXf::Zero(2, 5)), ErrorCode::kShape, "5 columns");
  // The same errors, word for word, as the paths that still widen the batch (predict_proba).
  RowMatrixXd Xd = RowMatrixXd::Constant(3, 4, 1.0);
  for (const double bad : {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(), 1e300}) {
    Xd(1, 2) = bad;
    std::string widened, direct;
    try {
      forest.predict_proba(Xd);
    } catch (const Error& e) {
      widened = e.what();
    }
    try {
      forest.predict(Xd);
    } catch (const Error& e) {
      direct = e.what();
    }
    EXPECT_FALSE(direct.empty()) << bad;
    EXPECT_EQ(direct, widened) << bad;
  }
}

}  // namespace
}  // namespace ferry::detail::test
