// The support_vector estimator and its links (docs/format.md §4.23): libsvm's votes, the tie
// rule, scikit-learn's ovr scores and binary sign, and the files the loader refuses.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "support/test_support.hpp"

namespace ferry::detail {
namespace {

using test::EditableArtifact;

std::vector<Index> votes_of_pairs(const RowMatrixXd& scores, Index row, Index c) {
  std::vector<Index> votes(static_cast<std::size_t>(c), 0);
  Index p = 0;
  for (Index i = 0; i < c; ++i)
    for (Index j = i + 1; j < c; ++j, ++p) ++votes[static_cast<std::size_t>(scores(row, p) > 0.0 ? i : j)];
  return votes;
}

Index first_max(const std::vector<Index>& v) {
  Index best = 0;
  for (std::size_t j = 1; j < v.size(); ++j)
    if (v[j] > v[static_cast<std::size_t>(best)]) best = static_cast<Index>(j);
  return best;
}

TEST(SupportVector, OvoScoresPredictByLibsvmVotes) {
  const Model model = Model::load(test::source_path("tests/data/svm_nusvc_poly_ovo/model.ferry"));
  const RowMatrixXd X = test::case_input("tests/data/svm_nusvc_poly_ovo", model);
  const Prediction p = model.predict(X);
  ASSERT_EQ(p.scores.cols(), 3);  // 3 classes, 3 pairs
  EXPECT_EQ(p.probabilities.cols(), 0);
  EXPECT_FERRY_ERROR(model.predict_proba(X), ErrorCode::kUnsupported, "has no predict_proba");
  EXPECT_EQ(model.decision_function(X), p.scores);
  for (Index i = 0; i < X.rows(); ++i)
    EXPECT_EQ(p.class_index[static_cast<std::size_t>(i)], first_max(votes_of_pairs(p.scores, i, 3))) << "row " << i;
}

// scikit-learn's ovr scores are votes plus confidences inside (-1/3, 1/3): the votes add up to
// the number of pairs and predict is their first maximum.
TEST(SupportVector, OvrScoresCarryTheVotes) {
  const Model model = Model::load(test::source_path("tests/data/svm_svc_rbf_ovr/model.ferry"));
  const RowMatrixXd X = test::case_input("tests/data/svm_svc_rbf_ovr", model);
  const Prediction p = model.predict(X);
  ASSERT_EQ(p.scores.cols(), 3);
  for (Index i = 0; i < X.rows(); ++i) {
    std::vector<Index> votes(3);
    Index total = 0;
    for (Index j = 0; j < 3; ++j) {
      const double v = std::round(p.scores(i, j));
      EXPECT_LT(std::abs(p.scores(i, j) - v), 1.0 / 3.0);
      votes[static_cast<std::size_t>(j)] = static_cast<Index>(v);
      total += votes[static_cast<std::size_t>(j)];
    }
    EXPECT_EQ(total, 3);
    EXPECT_EQ(p.class_index[static_cast<std::size_t>(i)], first_max(votes)) << "row " << i;
  }
}

// Pair decisions d01 = -2, d02 = 1, d12 = -1 on every row: each class gets one vote. libsvm
// predicts the first of those tied (class 0); break_ties (link none) the first maximum of the
// ovr scores, 1 + S/(3(|S|+1)) with S = (-1, 1, 0): class 1.
TEST(SupportVector, TiedVotesGoToTheFirstClassUnlessBreakTies) {
  EditableArtifact a = EditableArtifact::from_case("tests/data/svm_svc_rbf_ovr");
  a.drop_verification();
  const std::size_t n = a.float64_of("estimator.dual_coef").size();
  for (std::size_t i = 0; i < n; ++i) a.set_float64_at("estimator.dual_coef", i, 0.0);
  a.set_float64_at("estimator.intercept", 0, -2.0);
  a.set_float64_at("estimator.intercept", 1, 1.0);
  a.set_float64_at("estimator.intercept", 2, -1.0);
  {
    const Model model = a.load();
    const RowMatrixXd X = test::case_input("tests/data/svm_svc_rbf_ovr", model);
    const Prediction p = model.predict(X);
    for (Index i = 0; i < X.rows(); ++i) {
      EXPECT_EQ(p.scores(i, 0), 1.0 + -1.0 / 6.0);
      EXPECT_EQ(p.scores(i, 1), 1.0 + 1.0 / 6.0);
      EXPECT_EQ(p.scores(i, 2), 1.0);
      EXPECT_EQ(p.class_index[static_cast<std::size_t>(i)], 0);
    }
  }
  a.header["estimator"]["params"]["link"] = "none";
  const Model model = a.load();
  const RowMatrixXd X = test::case_input("tests/data/svm_svc_rbf_ovr", model);
  const Prediction p = model.predict(X);
  for (Index i = 0; i < X.rows(); ++i) EXPECT_EQ(p.class_index[static_cast<std::size_t>(i)], 1);
}

// Two classes: the score is libsvm's decision negated; class 1 iff it is >= 0.
TEST(SupportVector, BinaryScoreIsLibsvmsNegated) {
  EditableArtifact a = EditableArtifact::from_case("tests/data/svm_svc_sigmoid_binary");
  a.drop_verification();
  const std::size_t n = a.float64_of("estimator.dual_coef").size();
  for (std::size_t i = 0; i < n; ++i) a.set_float64_at("estimator.dual_coef", i, 0.0);
  a.set_float64_at("estimator.intercept", 0, 0.0);  // libsvm decision 0: class 1
  const Model model = a.load();
  const RowMatrixXd X = test::case_input("tests/data/svm_svc_sigmoid_binary", model);
  Prediction p = model.predict(X);
  for (Index i = 0; i < X.rows(); ++i) EXPECT_EQ(p.class_index[static_cast<std::size_t>(i)], 1);
  EditableArtifact b = EditableArtifact::from_case("tests/data/svm_svc_sigmoid_binary");
  const Model real = b.load();
  p = real.predict(X);
  for (Index i = 0; i < X.rows(); ++i)
    EXPECT_EQ(p.class_index[static_cast<std::size_t>(i)], p.scores(i, 0) >= 0.0 ? 1 : 0);
}

TEST(SupportVector, OneClassPredictsMinusOneOrOne) {
  const Model model = Model::load(test::source_path("tests/data/svm_oneclass_rbf/model.ferry"));
  const RowMatrixXd X = test::case_input("tests/data/svm_oneclass_rbf", model);
  const Prediction p = model.predict(X);
  std::size_t outliers = 0;
  for (Index i = 0; i < X.rows(); ++i) {
    EXPECT_EQ(p.class_index[static_cast<std::size_t>(i)], p.scores(i, 0) >= 0.0 ? 1 : 0);
    outliers += p.class_index[static_cast<std::size_t>(i)] == 0;
  }
  EXPECT_GT(outliers, 5u);  // the adversarial rows at least
}

// Each row alone gives exactly its row of the batch (the kernel rows are blocked, each entry
// summed over the features in order).
TEST(SupportVector, ARowAloneGivesItsRowOfTheBatch) {
  for (const char* dir : {"tests/data/svm_svc_rbf_ovr", "tests/data/svm_nusvc_poly_ovo", "tests/data/svm_oneclass_rbf"}) {
    const Model model = Model::load(test::source_path(std::string(dir) + "/model.ferry"));
    const RowMatrixXd X = test::case_input(dir, model);
    const RowMatrixXd all = model.decision_function(X);
    for (Index i = 0; i < X.rows(); ++i) {
      const RowMatrixXd row = X.row(i);
      const RowMatrixXd one = model.decision_function(row);
      ASSERT_EQ(one.row(0), all.row(i)) << dir << " row " << i;
    }
  }
}

TEST(SupportVector, LoaderChecksItsStructure) {
  const std::string dir = "tests/data/svm_nusvc_poly_ovo";
  {
    EditableArtifact a = EditableArtifact::from_case(dir);
    a.header["estimator"]["params"]["kernel"] = "precomputed";
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "kernel");
  }
  {
    EditableArtifact a = EditableArtifact::from_case(dir);
    a.header["estimator"]["params"]["link"] = "identity";
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "link");
  }
  {
    EditableArtifact a = EditableArtifact::from_case(dir);
    a.header["estimator"]["params"]["n_classes"] = 4;
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "n_features_out");
  }
  {
    EditableArtifact a = EditableArtifact::from_case(dir);
    std::vector<std::int64_t> counts = a.int64_of("estimator.n_support");
    counts[0] += 1;
    a.set_int64("estimator.n_support", counts);
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "n_support");
  }
  {
    EditableArtifact a = EditableArtifact::from_case(dir);
    a.set_float64_at("estimator.support_vectors", 3, std::numeric_limits<double>::quiet_NaN());
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "support_vectors");
  }
  {
    EditableArtifact a = EditableArtifact::from_case(dir);
    a.header["estimator"]["params"]["degree"] = 65;
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "degree");
  }
  {
    EditableArtifact a = EditableArtifact::from_case("tests/data/svm_oneclass_rbf");
    a.header["schema"]["classes"]["values"] = {0, 1};
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "isolation");
  }
}

}  // namespace
}  // namespace ferry::detail
