// Path-dependent TreeSHAP (models/tree_shap.hpp): published golden vectors, brute-force
// Shapley enumeration on random trees, the fast path against the reference recursion, and
// additivity on every shipped tree model.
#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <cstdio>
#include <functional>
#include <limits>
#include <random>
#include <set>

#include "artifact/artifact.hpp"
#include "models/tree_shap.hpp"
#include "models/estimator.hpp"
#include "models/registry.hpp"
#include "pipeline/step_inputs.hpp"
#include "support/test_forest.hpp"
#include "support/test_support.hpp"

namespace ferry::detail {
namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

using test::leaf;
using test::random_forest;
using test::random_rows;
using test::random_tree;
using test::split;
using test::TestForest;

RowMatrixXd run(const CompactForest& f, const RowMatrixXd& X, bool reference) {
  RowMatrixXd phi(X.rows(), (f.settings().n_features + 1) * f.n_scores());
  if (reference)
    explain::tree_shap_reference(f, X.data(), X.rows(), X.cols(), phi.data());
  else
    explain::tree_shap(f, explain::tree_shap_tables(f), X.data(), X.rows(), X.cols(), phi.data());
  return phi;
}

// XGBoost's tests/python/test_shap.py: y = x0 AND x1 learnt in one depth-2 tree with eta 1,
// lambda 0 and base_score 0; the row (1, 1) gets exactly [0.375, 0.375, 0.25].
TEST(TreeShap, XgboostAndExample) {
  TestForest f;
  f.compare = TreeCompare::kLtFloat32;
  f.trees = {{{split(0, 0.5, 1, 2, 4), split(1, 0.5, 3, 4, 2), split(1, 0.5, 5, 6, 2), leaf(0, 1), leaf(0, 1),
               leaf(0, 1), leaf(1, 1)}}};
  const CompactForest forest = f.build();
  RowMatrixXd X(1, 2);
  X << 1, 1;
  for (bool reference : {false, true}) {
    const RowMatrixXd phi = run(forest, X, reference);
    EXPECT_EQ(phi(0, 0), 0.375);
    EXPECT_EQ(phi(0, 1), 0.375);
    EXPECT_EQ(phi(0, 2), 0.25);
  }
}

// GPUTreeShap's BasicPaths tree (tests/test_gpu_treeshap.cu), whose values were re-derived by
// enumeration: x = (1, 1, 0) and (1, 0, 0).
TEST(TreeShap, GpuTreeShapBasicPaths) {
  TestForest f;
  f.n_features = 3;
  f.compare = TreeCompare::kLtFloat32;
  f.trees = {{{split(0, 0.5, 1, 2, 5), leaf(-1, 2), split(1, 0.5, 3, 4, 3), leaf(-1, 1), split(2, 0.5, 5, 6, 2),
               leaf(1, 1), leaf(0.5, 1)}}};
  const CompactForest forest = f.build();
  RowMatrixXd X(2, 3);
  X << 1, 1, 0, 1, 0, 0;
  const double expected[2][4] = {{0.6277778, 0.5027778, 0.1694444, -0.3}, {0.2444444, -1.0055556, 0.0611111, -0.3}};
  for (bool reference : {false, true}) {
    const RowMatrixXd phi = run(forest, X, reference);
    for (int r = 0; r < 2; ++r)
      for (int j = 0; j < 4; ++j) EXPECT_NEAR(phi(r, j), expected[r][j], 1e-7) << r << ", " << j;
  }
}

TEST(TreeShap, MatchesBruteForceEnumerationOnRandomTrees) {
  std::mt19937_64 rng(20261126);
  double worst = 0.0, worst_fast = 0.0;
  for (int trial = 0; trial < 80; ++trial) {
    const TestForest f = random_forest(rng, trial, 60, 6);
    const CompactForest forest = f.build();
    const RowMatrixXd X = random_rows(rng, 8, f.n_features);
    const RowMatrixXd fast = run(forest, X, false), ref = run(forest, X, true);
    RowMatrixXd scores(X.rows(), f.k);
    forest.predict(X.data(), X.rows(), X.cols(), scores.data());
    for (Index r = 0; r < X.rows(); ++r) {
      const std::vector<double> brute = f.brute_force(X.row(r).data());
      for (Index j = 0; j < fast.cols(); ++j) {
        const double b = brute[static_cast<std::size_t>(j)];
        ASSERT_NEAR(ref(r, j), b, 1e-9 * std::max(1.0, std::abs(b)))
            << "trial " << trial << " row " << r << " col " << j;
        ASSERT_NEAR(fast(r, j), ref(r, j), 1e-10 * std::max(1.0, std::abs(b))) << "trial " << trial;
        worst = std::max(worst, std::abs(ref(r, j) - b));
        worst_fast = std::max(worst_fast, std::abs(fast(r, j) - ref(r, j)));
      }
      for (Index c = 0; c < f.k; ++c) {
        double sum = 0.0;
        for (Index j = 0; j <= f.n_features; ++j) sum += fast(r, j * f.k + c);
        EXPECT_NEAR(sum, scores(r, c), 1e-9 * std::max(1.0, std::abs(scores(r, c)))) << "trial " << trial;
      }
    }
  }
  std::printf("max |reference - brute force| = %.3g, max |fast - reference| = %.3g\n", worst, worst_fast);
}

// A feature whose value is NaN follows its default direction, so it can carry attribution.
TEST(TreeShap, MissingValueFollowsDefaultDirectionAndCanBeCredited) {
  TestForest f;
  f.trees = {{{split(0, 0.0, 1, 2, 4), leaf(-1, 2), leaf(1, 2)}}};
  f.trees[0].nodes[0].default_left = 1;
  const CompactForest forest = f.build();
  RowMatrixXd X(1, 2);
  X << kNaN, 5;
  const RowMatrixXd phi = run(forest, X, false);
  EXPECT_DOUBLE_EQ(phi(0, 0), -1.0);
  EXPECT_EQ(phi(0, 1), 0.0);
  EXPECT_EQ(phi(0, 2), 0.0);
}

TEST(TreeShap, RefusesRowsAsPredictDoes) {
  TestForest f;
  f.missing_error = true;
  f.trees = {{{split(1, 0.0, 1, 2, 4), leaf(-1, 2), leaf(1, 2)}}};
  const CompactForest forest = f.build();
  RowMatrixXd X(2, 2);
  X << 0, 0, kNaN, 1;
  RowMatrixXd phi(2, 3);
  EXPECT_FERRY_ERROR(explain::tree_shap(forest, explain::tree_shap_tables(forest), X.data(), 2, 2, phi.data()),
                     ErrorCode::kValue, "row 1, column \"x0\"");
}

// The estimator behind every shipped tree model: Σφ equals its raw scores on the case's rows
// (for the isolation link, once mapped through the link's score transform), to rounding
// relative to Σ|φ| (tree_dt_regressor_deep has leaf values up to 4e18 that cancel to tens).
// The fast path also agrees with the reference recursion there.
TEST(TreeShap, AdditiveOnEveryShippedTreeModel) {
  int cases = 0;
  for (const std::string& dir : test::golden_cases()) {
    const std::string name = dir.substr(dir.find_last_of('/') + 1);
    if (name.rfind("tree_", 0) != 0 && name.rfind("xgb_", 0) != 0) continue;
    ++cases;
    const Model model = Model::load(test::source_path(dir + "/model.ferry"));
    const RowMatrixXd Xt = model.transform(test::case_input(dir, model));
    const std::vector<std::uint8_t> bytes = test::read_bytes(test::source_path(dir + "/model.ferry"));
    const artifact::Artifact a = artifact::read(bytes.data(), bytes.size());
    std::set<std::string> used;
    const std::unique_ptr<Estimator> est = make_estimator(StepInputs(a.header["estimator"], "estimator", a, used));
    RowMatrixXd scores, phi;
    est->decision(Xt, scores);
    // Its tree methods attribute path lengths, which add up to no score: explain may not use them.
    const std::optional<Explanation::Method> exact = est->capabilities().exact_shap;
    EXPECT_EQ(exact, name == "tree_iforest" ? std::nullopt : std::optional(Explanation::Method::kTreePathDependent))
        << dir;
    EXPECT_EQ(est->capabilities().interactions, name != "tree_iforest") << dir;
    est->shap(Xt, phi);
    const Index k = est->n_scores(), nf = Xt.cols();
    ASSERT_EQ(phi.rows(), Xt.rows()) << dir;
    ASSERT_EQ(phi.cols(), (nf + 1) * k) << dir;
    // XGBoost's scores are float32 sums; everything else is double.
    const double rel = name.rfind("xgb_", 0) == 0 ? 1e-6 : 1e-12;
    RowMatrixXd sums(Xt.rows(), k), magnitude(Xt.rows(), k);
    for (Index r = 0; r < Xt.rows(); ++r)
      for (Index c = 0; c < k; ++c) {
        double sum = 0.0, abs_sum = 0.0;
        for (Index f = 0; f <= nf; ++f) {
          sum += phi(r, f * k + c);
          abs_sum += std::abs(phi(r, f * k + c));
        }
        sums(r, c) = sum;
        magnitude(r, c) = std::max(1.0, abs_sum);
      }
    if (est->link() == Link::kIsolation) {
      const auto& iso = a.header["estimator"]["params"]["isolation"];
      isolation_decision(iso["offset"].get<double>(), iso["scale"].get<double>(), sums.data(), sums.size());
    }
    for (Index r = 0; r < Xt.rows(); ++r)
      for (Index c = 0; c < k; ++c)
        EXPECT_NEAR(sums(r, c), scores(r, c), rel * magnitude(r, c)) << dir << " row " << r << " score " << c;

    // The oracle on the same forest.
    const CompactForest* forest = tree_ensemble_forest(*est);
    ASSERT_NE(forest, nullptr);
    const RowMatrixXd ref = run(*forest, Xt, true);
    for (Index r = 0; r < Xt.rows(); ++r)
      for (Index j = 0; j < phi.cols(); ++j)
        EXPECT_NEAR(phi(r, j), ref(r, j), 1e-9 * magnitude(r, j % k)) << dir << " row " << r << " column " << j;
  }
  EXPECT_GE(cases, 20);
}

// XGBoost 1.7's own pred_contribs (scripts/make_shap_cases): the same values up to XGBoost's
// float32 arithmetic, over regression, binary and multiclass models with NaN and rows at
// split thresholds.
TEST(TreeShap, MatchesXgboostPredContribs) {
  for (const char* name : {"shap_xgb_regression", "shap_xgb_binary", "shap_xgb_multiclass"}) {
    const std::string dir = std::string("tests/data/") + name;
    const Model model = Model::load(test::source_path(dir + "/model.ferry"));
    const RowMatrixXd X = model.transform(test::case_input(dir, model));
    const cli::CsvTable csv = test::read_csv_file(test::source_path(dir + "/contribs.csv"));
    const RowMatrixXd expected = test::numeric_columns(csv, csv.header);
    const std::vector<std::uint8_t> bytes = test::read_bytes(test::source_path(dir + "/model.ferry"));
    const artifact::Artifact a = artifact::read(bytes.data(), bytes.size());
    std::set<std::string> used;
    const std::unique_ptr<Estimator> est = make_estimator(StepInputs(a.header["estimator"], "estimator", a, used));
    RowMatrixXd phi;
    est->shap(X, phi);
    ASSERT_EQ(phi.rows(), expected.rows()) << name;
    ASSERT_EQ(phi.cols(), expected.cols()) << name;
    double worst = 0.0;
    for (Index r = 0; r < phi.rows(); ++r)
      for (Index j = 0; j < phi.cols(); ++j) {
        // float32 path arithmetic over ~20 trees: a few float32 ulps of the row's magnitude.
        EXPECT_NEAR(phi(r, j), expected(r, j), 2e-6 * std::max(1.0, std::abs(expected(r, j))))
            << name << " row " << r << " column " << csv.header[static_cast<std::size_t>(j)];
        worst = std::max(worst, std::abs(phi(r, j) - expected(r, j)));
      }
    RecordProperty(std::string(name) + "_max_abs_diff", std::to_string(worst));
    std::printf("%s: max |ferry - xgboost| = %.3g\n", name, worst);
  }
}

}  // namespace
}  // namespace ferry::detail
