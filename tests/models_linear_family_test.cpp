// The links of the linear family (modified_huber, none, exp on a linear model) and the
// quadratic_discriminant estimator (docs/format.md §4.2, §4.22): what they compute where the
// golden cases do not reach, and the files the loader refuses.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "support/test_support.hpp"

namespace ferry::detail {
namespace {

using test::EditableArtifact;

// Every score at or below -1: scikit-learn's modified_huber probabilities are all 0 before
// normalising, and it returns 1/k each instead; predict stays the first maximum of the scores.
TEST(LinearFamily, ModifiedHuberRowsOfZerosAreUniform) {
  EditableArtifact a = EditableArtifact::from_case("tests/data/linear_sgd_modified_huber");
  a.drop_verification();
  std::vector<double> intercept = a.float64_of("estimator.intercept");
  for (double& b : intercept) b -= 1e6;
  a.set_float64("estimator.intercept", intercept);
  const Model model = a.load();
  const RowMatrixXd X = test::case_input("tests/data/linear_sgd_modified_huber", model);
  const Prediction p = model.predict(X);
  ASSERT_EQ(p.probabilities.cols(), 3);
  for (Index i = 0; i < X.rows(); ++i) {
    ASSERT_LE(p.scores.row(i).maxCoeff(), -1.0);
    for (Index j = 0; j < 3; ++j) EXPECT_EQ(p.probabilities(i, j), 1.0 / 3.0) << "row " << i;
    Index best = 0;
    p.scores.row(i).maxCoeff(&best);
    EXPECT_EQ(p.class_index[static_cast<std::size_t>(i)], best);
  }
}

// Clipped scores: a row with one score >= 1 and the others <= -1 gets probability 1 exactly.
TEST(LinearFamily, ModifiedHuberClipsAtBothEnds) {
  const Model model = Model::load(test::source_path("tests/data/linear_sgd_modified_huber/model.ferry"));
  const RowMatrixXd X = test::case_input("tests/data/linear_sgd_modified_huber", model);
  const Prediction p = model.predict(X);
  std::size_t certain = 0;
  for (Index i = 0; i < X.rows(); ++i) {
    const double sum = p.probabilities.row(i).sum();
    EXPECT_NEAR(sum, 1.0, 1e-15);
    if (p.probabilities.row(i).maxCoeff() == 1.0) ++certain;
  }
  EXPECT_GT(certain, 0u);
}

TEST(LinearFamily, LinkNoneHasNoProbabilities) {
  const Model model = Model::load(test::source_path("tests/data/linear_lda_transform_perceptron/model.ferry"));
  const RowMatrixXd X = test::case_input("tests/data/linear_lda_transform_perceptron", model);
  EXPECT_FERRY_ERROR(model.predict_proba(X), ErrorCode::kUnsupported, "has no predict_proba");
  const Prediction p = model.predict(X);
  EXPECT_EQ(p.probabilities.cols(), 0);
  EXPECT_EQ(model.decision_function(X), p.scores);
}

TEST(LinearFamily, ExpLinkOfALinearRegressor) {
  const Model model = Model::load(test::source_path("tests/data/linear_glm_poisson/model.ferry"));
  const RowMatrixXd X = test::case_input("tests/data/linear_glm_poisson", model);
  const Prediction p = model.predict(X);
  for (Index i = 0; i < X.rows(); ++i) EXPECT_EQ(p.values(i, 0), std::exp(p.scores(i, 0)));
}

TEST(LinearFamily, LoaderRefusesLinksThatDoNotFitTheTask) {
  {
    EditableArtifact a = EditableArtifact::from_case("tests/data/linear_glm_poisson");
    a.header["estimator"]["params"]["link"] = "modified_huber";
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "regressor");
  }
  {
    EditableArtifact a = EditableArtifact::from_case("tests/data/linear_sgd_modified_huber");
    a.header["estimator"]["params"]["link"] = "exp";
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "link");
  }
  {
    EditableArtifact a = EditableArtifact::from_case("tests/data/linear_sgd_modified_huber");
    a.header["estimator"]["params"]["link"] = "softmax_pair";
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "link");
  }
}

TEST(QuadraticDiscriminant, BinaryProbabilitiesAreTheSoftmaxOfZeroAndTheScore) {
  const Model model = Model::load(test::source_path("tests/data/qda_binary/model.ferry"));
  const RowMatrixXd X = test::case_input("tests/data/qda_binary", model);
  const Prediction p = model.predict(X);
  ASSERT_EQ(p.scores.cols(), 1);
  for (Index i = 0; i < X.rows(); ++i) {
    const double s = p.scores(i, 0), m = std::max(0.0, s);
    const double e0 = std::exp(0.0 - m), e1 = std::exp(s - m);
    EXPECT_EQ(p.probabilities(i, 0), e0 / (e0 + e1));
    EXPECT_EQ(p.probabilities(i, 1), e1 / (e0 + e1));
    EXPECT_EQ(p.class_index[static_cast<std::size_t>(i)], s > 0 ? 1 : 0);
  }
}

TEST(QuadraticDiscriminant, LoaderChecksItsStructure) {
  const std::string dir = "tests/data/qda_wine";
  {
    EditableArtifact a = EditableArtifact::from_case(dir);
    a.header["estimator"]["params"]["link"] = "softmax_pair";
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "link");
  }
  {
    EditableArtifact a = EditableArtifact::from_case(dir);
    a.header["estimator"]["params"]["rank"] = 5;  // more than the 4 inputs
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "rank");
  }
  {
    EditableArtifact a = EditableArtifact::from_case(dir);
    a.header["estimator"]["params"]["n_classes"] = 4;
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "n_features_out");
  }
  {
    EditableArtifact a = EditableArtifact::from_case(dir);
    a.set_float64_at("estimator.weights", 5, std::numeric_limits<double>::infinity());
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "weights");
  }
  {
    EditableArtifact a = EditableArtifact::from_case(dir);
    a.set_float64("estimator.log_det", {0.0, 1.0});  // 2 values for 3 classes
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "log_det");
  }
}

}  // namespace
}  // namespace ferry::detail
