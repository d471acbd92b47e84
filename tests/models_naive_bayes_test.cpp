// The naive Bayes estimators (docs/format.md §4.24 - §4.26): the implied logsumexp link, the
// absence of decision_function, and the files the loader refuses. Parity with scikit-learn on
// every class and option is in tests/python/test_naive_bayes.py; category indices out of range
// (value errors naming row and column) are checked there through the CLI.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "support/test_support.hpp"

namespace ferry::detail {
namespace {

using test::EditableArtifact;

const char* const kCases[] = {"tests/data/nb_gaussian", "tests/data/nb_bernoulli", "tests/data/nb_categorical"};

// predict_proba = exp(s - (log(Σ exp(s - max)) + max)), predict = the first maximum of the scores.
TEST(NaiveBayes, ProbabilitiesAreExpOfScoresMinusLogSumExp) {
  for (const char* dir : kCases) {
    const Model model = Model::load(test::source_path(std::string(dir) + "/model.ferry"));
    const RowMatrixXd X = test::case_input(dir, model);
    const Prediction p = model.predict(X);
    ASSERT_EQ(p.scores.cols(), p.probabilities.cols()) << dir;
    for (Index i = 0; i < X.rows(); ++i) {
      const double m = p.scores.row(i).maxCoeff();
      double sum = 0.0;
      for (Index j = 0; j < p.scores.cols(); ++j) sum += std::exp(p.scores(i, j) - m);
      const double lse = std::log(sum) + m;
      for (Index j = 0; j < p.scores.cols(); ++j)
        EXPECT_EQ(p.probabilities(i, j), std::exp(p.scores(i, j) - lse)) << dir << " row " << i;
      Index best = 0;
      p.scores.row(i).maxCoeff(&best);
      EXPECT_EQ(p.class_index[static_cast<std::size_t>(i)], best) << dir << " row " << i;
    }
  }
}

// The adversarial rows of nb_gaussian lie far outside the training range: their scores are far
// below 0, and the normalisation still gives probabilities that sum to 1.
TEST(NaiveBayes, FarRowsStillNormalise) {
  const Model model = Model::load(test::source_path("tests/data/nb_gaussian/model.ferry"));
  const RowMatrixXd X = test::case_input("tests/data/nb_gaussian", model);
  const Prediction p = model.predict(X);
  EXPECT_LT(p.scores.minCoeff(), -1000.0);
  for (Index i = 0; i < X.rows(); ++i) EXPECT_NEAR(p.probabilities.row(i).sum(), 1.0, 4e-15);
}

TEST(NaiveBayes, HasNoDecisionFunction) {
  const Model model = Model::load(test::source_path("tests/data/nb_bernoulli/model.ferry"));
  const RowMatrixXd X = test::case_input("tests/data/nb_bernoulli", model);
  EXPECT_FERRY_ERROR(model.decision_function(X), ErrorCode::kUnsupported, "decision_function");
  EXPECT_EQ(model.predict_proba(X).cols(), 2);
}

// binarize: only whether x > threshold matters, so moving every value to the same side of the
// threshold changes nothing.
TEST(NaiveBayes, BinarizeUsesOnlyTheSideOfTheThreshold) {
  const Model model = Model::load(test::source_path("tests/data/nb_bernoulli/model.ferry"));
  const RowMatrixXd X = test::case_input("tests/data/nb_bernoulli", model);
  const RowMatrixXd Z = model.transform(X);
  const Prediction p = model.predict(X);
  EditableArtifact a = EditableArtifact::from_case("tests/data/nb_bernoulli");
  a.drop_verification();
  a.header["estimator"]["params"]["threshold"] = -1e300;  // every value above: all ones
  const Prediction ones = a.load().predict(X);
  for (Index i = 1; i < X.rows(); ++i) EXPECT_EQ(ones.scores.row(i), ones.scores.row(0));
  EXPECT_GT((Z.array() > 0.25).count(), 0);
  EXPECT_NE(p.scores, ones.scores);
}

TEST(NaiveBayes, LoaderChecksItsStructure) {
  {
    EditableArtifact a = EditableArtifact::from_case("tests/data/nb_gaussian");
    a.header["estimator"]["params"]["n_classes"] = 4;
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "n_features_out");
  }
  {
    EditableArtifact a = EditableArtifact::from_case("tests/data/nb_gaussian");
    a.set_float64_at("estimator.var", 3, 0.0);
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "var");
  }
  {
    EditableArtifact a = EditableArtifact::from_case("tests/data/nb_gaussian");
    a.set_float64_at("estimator.theta", 2, std::numeric_limits<double>::quiet_NaN());
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "theta");
  }
  {
    EditableArtifact a = EditableArtifact::from_case("tests/data/nb_bernoulli");
    a.header["estimator"]["params"]["binarize"] = "yes";
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "binarize");
  }
  {
    EditableArtifact a = EditableArtifact::from_case("tests/data/nb_bernoulli");
    a.set_float64("estimator.bias", {0.0, 1.0, 2.0});  // 3 values for 2 classes
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "bias");
  }
  {
    EditableArtifact a = EditableArtifact::from_case("tests/data/nb_categorical");
    a.set_int64("estimator.n_categories", {5, 5, 5, 6});  // log_prob has 20 columns, not 21
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "log_prob");
  }
  {
    EditableArtifact a = EditableArtifact::from_case("tests/data/nb_categorical");
    a.set_int64("estimator.n_categories", {5, 5, 10, 0});
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "n_categories");
  }
}

}  // namespace
}  // namespace ferry::detail
