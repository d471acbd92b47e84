// Agreement between two models' predictions of the same rows (shadow mode, `ferry compare`).
#include <gtest/gtest.h>

#include <cmath>

#include "ferry/shadow.hpp"
#include "support/test_support.hpp"

namespace ferry::detail {
namespace {

// The iris model with its first class's intercept moved: it predicts some rows otherwise.
Model shifted_iris(double shift) {
  test::EditableArtifact a = test::EditableArtifact::from_case("artifacts/iris");
  a.set_float64_at("estimator.intercept", 0, a.float64_of("estimator.intercept")[0] + shift);
  a.drop_verification();
  return a.load();
}

TEST(Agreement, CountsLabelsConfusionAndScoreDifferencesAsComputedDirectly) {
  const Model a = Model::load(test::source_path("artifacts/iris/model.ferry"));
  const Model b = shifted_iris(4.0);
  const RowMatrixXd X = test::case_input("artifacts/iris", a);
  const Prediction pa = a.predict(X);
  const Prediction pb = b.predict(X);
  ShadowModel shadow(b);
  shadow.observe(X, pa);
  const Agreement got = shadow.agreement();

  std::uint64_t same = 0;
  std::map<std::string, std::map<std::string, std::uint64_t>> confusion;
  for (Index i = 0; i < X.rows(); ++i) {
    same += pa.label_text(i) == pb.label_text(i) ? 1 : 0;
    ++confusion[pa.label_text(i)][pb.label_text(i)];
  }
  const RowMatrixXd diff = (pa.probabilities - pb.probabilities).cwiseAbs();
  EXPECT_EQ(got.rows, 150u);
  EXPECT_EQ(got.same_label, same);
  EXPECT_LT(same, 150u);  // the shift does change some answers
  EXPECT_GT(same, 0u);
  EXPECT_EQ(got.confusion, confusion);
  EXPECT_EQ(got.score, "probabilities");
  EXPECT_EQ(got.score_entries, 450u);
  EXPECT_EQ(got.max_abs_score_difference, diff.maxCoeff());
  // The sum is taken per batch then added, so the mean may differ from one global sum in the
  // last bits.
  EXPECT_NEAR(got.mean_abs_score_difference, diff.mean(), 1e-15);
  EXPECT_DOUBLE_EQ(got.label_agreement(), static_cast<double>(same) / 150.0);
}

TEST(Agreement, RegressorsCompareValuesAndAFailingCandidateIsCounted) {
  const Model a = Model::load(test::source_path("artifacts/diabetes/model.ferry"));
  const RowMatrixXd X = test::case_input("artifacts/diabetes", a).topRows(20);
  const Prediction pa = a.predict(X);
  ShadowModel same(a);
  same.observe(X, pa);
  EXPECT_EQ(same.agreement().score, "values");
  EXPECT_EQ(same.agreement().max_abs_score_difference, 0.0);
  EXPECT_TRUE(std::isnan(same.agreement().label_agreement()));  // no labels to agree on

  // A candidate with other columns refuses the batch: counted, never thrown.
  ShadowModel other(Model::load(test::source_path("artifacts/iris/model.ferry")));
  other.observe(X, pa);
  EXPECT_EQ(other.agreement().rows, 0u);
  EXPECT_EQ(other.agreement().candidate_failed_rows, 20u);
  EXPECT_NE(other.agreement().last_candidate_error.find("shape"), std::string::npos)
      << other.agreement().last_candidate_error;
}

TEST(Agreement, RowCountsMustMatch) {
  const Model a = Model::load(test::source_path("artifacts/iris/model.ferry"));
  const RowMatrixXd X = test::case_input("artifacts/iris", a);
  AgreementCounter counter;
  EXPECT_FERRY_ERROR(counter.add(a.predict(X.topRows(3)), a.predict(X.topRows(4))), ErrorCode::kShape, "3 rows");
}

}  // namespace
}  // namespace ferry::detail
