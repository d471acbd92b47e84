// SHAP interaction values of tree ensembles (models/tree_shap_interactions.hpp and
// Model::explain_interactions): the Shapley interaction index enumerated on random trees,
// row sums against TreeSHAP, XGBoost 1.7's own pred_interactions, grouping into raw columns
// through preprocessing, and the refusals.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <set>

#include "artifact/artifact.hpp"
#include "cli/csv.hpp"
#include "models/tree_shap_interactions.hpp"
#include "models/estimator.hpp"
#include "models/registry.hpp"
#include "pipeline/step_inputs.hpp"
#include "support/test_forest.hpp"
#include "support/test_support.hpp"

namespace ferry::detail {
namespace {

using test::random_forest;
using test::random_rows;
using test::random_tree;
using test::TestForest;

const double kNaN = std::numeric_limits<double>::quiet_NaN();

// The Shapley interaction index of the forest's game by enumerating all coalitions, laid out as
// tree_shap_interactions: ((M + 1) x (M + 1)) x k, the main effect φ_i − Σ_{j≠i} φ_ij on the
// diagonal and v(∅) at (M, M).
std::vector<double> brute_force_interactions(const TestForest& f, const double* x) {
  const Index M = f.n_features, k = f.k, n1 = M + 1;
  std::vector<double> out(static_cast<std::size_t>(n1 * n1 * k), 0.0);
  const std::vector<double> shapley = f.brute_force(x);
  std::vector<double> fact(static_cast<std::size_t>(M + 1), 1.0);
  for (Index i = 1; i <= M; ++i)
    fact[static_cast<std::size_t>(i)] = fact[static_cast<std::size_t>(i - 1)] * static_cast<double>(i);
  auto at = [&](Index i, Index j, Index c) -> double& { return out[static_cast<std::size_t>((i * n1 + j) * k + c)]; };
  for (Index c = 0; c < k; ++c) {
    std::vector<double> v(std::size_t{1} << M);
    for (unsigned S = 0; S < (1u << M); ++S) v[S] = f.game(x, S, c);
    for (Index i = 0; i < M; ++i)
      for (Index j = 0; j < M; ++j) {
        if (i == j) continue;
        const unsigned bi = 1u << i, bj = 1u << j;
        for (unsigned S = 0; S < (1u << M); ++S) {
          if ((S & (bi | bj)) != 0) continue;
          const int s = __builtin_popcount(S);
          const double weight = fact[static_cast<std::size_t>(s)] * fact[static_cast<std::size_t>(M - s - 2)] /
                                (2.0 * fact[static_cast<std::size_t>(M - 1)]);
          at(i, j, c) += weight * (v[S | bi | bj] - v[S | bi] - v[S | bj] + v[S]);
        }
      }
    for (Index i = 0; i < M; ++i) {
      double rest = 0.0;
      for (Index j = 0; j < M; ++j)
        if (j != i) rest += at(i, j, c);
      at(i, i, c) = shapley[static_cast<std::size_t>(i * k + c)] - rest;
    }
    at(M, M, c) = v[0];
  }
  return out;
}

RowMatrixXd interactions(const CompactForest& f, const RowMatrixXd& X) {
  const Index n1 = f.settings().n_features + 1;
  RowMatrixXd phi(X.rows(), n1 * n1 * f.n_scores());
  explain::tree_shap_interactions(f, explain::tree_shap_tables(f), X.data(), X.rows(), X.cols(), phi.data());
  return phi;
}

// Random forests as the TreeSHAP brute-force test builds them (repeated features, NaN routing,
// categorical splits, zero covers, several scores, mean aggregation), and rows with NaN and
// values at thresholds: every entry equals the enumerated index, each row of the matrix sums to
// TreeSHAP's value, the matrix is symmetric, and everything sums to the score.
TEST(TreeShapInteractions, MatchBruteForceEnumerationOnRandomTrees) {
  std::mt19937_64 rng(20261127);
  double worst = 0.0, worst_rows = 0.0, worst_symmetry = 0.0;
  for (int trial = 0; trial < 60; ++trial) {
    const TestForest f = random_forest(rng, trial, 45, 4);
    const CompactForest forest = f.build();
    const RowMatrixXd X = random_rows(rng, 6, f.n_features);
    const RowMatrixXd phi = interactions(forest, X);
    RowMatrixXd shap(X.rows(), (f.n_features + 1) * f.k), scores(X.rows(), f.k);
    explain::tree_shap(forest, explain::tree_shap_tables(forest), X.data(), X.rows(), X.cols(), shap.data());
    forest.predict(X.data(), X.rows(), X.cols(), scores.data());
    const Index n1 = f.n_features + 1, k = f.k;
    for (Index r = 0; r < X.rows(); ++r) {
      const std::vector<double> brute = brute_force_interactions(f, X.row(r).data());
      for (Index j = 0; j < phi.cols(); ++j) {
        const double b = brute[static_cast<std::size_t>(j)];
        ASSERT_NEAR(phi(r, j), b, 1e-9 * std::max(1.0, std::abs(b)))
            << "trial " << trial << " row " << r << " col " << j;
        worst = std::max(worst, std::abs(phi(r, j) - b));
      }
      for (Index c = 0; c < k; ++c) {
        double total = 0.0;
        for (Index a = 0; a < n1; ++a) {
          double row_sum = 0.0;
          for (Index b = 0; b < n1; ++b) {
            row_sum += phi(r, (a * n1 + b) * k + c);
            const double d = std::abs(phi(r, (a * n1 + b) * k + c) - phi(r, (b * n1 + a) * k + c));
            EXPECT_LE(d, 1e-11 * std::max(1.0, std::abs(phi(r, (a * n1 + b) * k + c))))
                << "trial " << trial << " (" << a << ", " << b << ")";
            worst_symmetry = std::max(worst_symmetry, d);
          }
          EXPECT_NEAR(row_sum, shap(r, a * k + c), 1e-12) << "trial " << trial << " feature " << a;
          worst_rows = std::max(worst_rows, std::abs(row_sum - shap(r, a * k + c)));
          total += row_sum;
        }
        EXPECT_NEAR(total, scores(r, c), 1e-9 * std::max(1.0, std::abs(scores(r, c)))) << "trial " << trial;
      }
    }
  }
  std::printf("max |interactions - brute force| = %.3g, |row sum - tree_shap| = %.3g, |asymmetry| = %.3g\n", worst,
              worst_rows, worst_symmetry);
}

// Two features that act only together: y = 1 when x0 and x1 are both set, the AND tree of
// XGBoost's own SHAP tests, whose interaction is known in closed form. With covers (4; 2, 2;
// 1, 1, 1, 1), v(∅) = 1/4, v({0}) = v({1}) = 1/2, v({0,1}) = 1, so φ_01 = (1 − 1/2 − 1/2 +
// 1/4)/2 = 1/8 on each side and the main effects are 3/8 − 1/8 = 1/4.
TEST(TreeShapInteractions, XgboostAndExample) {
  TestForest f;
  f.compare = TreeCompare::kLtFloat32;
  f.trees = {{{test::split(0, 0.5, 1, 2, 4), test::split(1, 0.5, 3, 4, 2), test::split(1, 0.5, 5, 6, 2),
               test::leaf(0, 1), test::leaf(0, 1), test::leaf(0, 1), test::leaf(1, 1)}}};
  RowMatrixXd X(1, 2);
  X << 1, 1;
  const RowMatrixXd phi = interactions(f.build(), X);
  const double expected[9] = {0.25, 0.125, 0, 0.125, 0.25, 0, 0, 0, 0.25};
  for (int j = 0; j < 9; ++j) EXPECT_DOUBLE_EQ(phi(0, j), expected[j]) << j;
}

TEST(TreeShapInteractions, RefuseRowsAsPredictDoes) {
  TestForest f;
  f.missing_error = true;
  f.trees = {{{test::split(1, 0.0, 1, 2, 4), test::leaf(-1, 2), test::leaf(1, 2)}}};
  const CompactForest forest = f.build();
  RowMatrixXd X(2, 2);
  X << 0, 0, kNaN, 1;
  EXPECT_FERRY_ERROR(interactions(forest, X), ErrorCode::kValue, "row 1, column \"x0\"");
}

std::unique_ptr<Estimator> case_estimator(const std::string& dir) {
  const std::vector<std::uint8_t> bytes = test::read_bytes(test::source_path(dir + "/model.ferry"));
  const artifact::Artifact a = artifact::read(bytes.data(), bytes.size());
  std::set<std::string> used;
  return make_estimator(StepInputs(a.header["estimator"], "estimator", a, used));
}

// XGBoost 1.7's pred_interactions(strict_shape=True) (scripts/make_shap_cases), elementwise, on
// regression, binary and multiclass models with NaN and rows at split thresholds.
TEST(TreeShapInteractions, MatchXgboostPredInteractions) {
  for (const char* name : {"shap_xgb_regression", "shap_xgb_binary", "shap_xgb_multiclass"}) {
    const std::string dir = std::string("tests/data/") + name;
    const Model model = Model::load(test::source_path(dir + "/model.ferry"));
    const RowMatrixXd X = model.transform(test::case_input(dir, model));
    const cli::CsvTable csv = test::read_csv_file(test::source_path(dir + "/interactions.csv"));
    const RowMatrixXd expected = test::numeric_columns(csv, csv.header);
    const std::unique_ptr<Estimator> est = case_estimator(dir);
    RowMatrixXd phi;
    est->shap_interactions(X, phi);
    ASSERT_EQ(phi.rows(), expected.rows()) << name;
    ASSERT_EQ(phi.cols(), expected.cols()) << name;
    double worst = 0.0;
    for (Index r = 0; r < phi.rows(); ++r)
      for (Index j = 0; j < phi.cols(); ++j) {
        // XGBoost's float32 arithmetic, as for pred_contribs: a few float32 ulps of the magnitude.
        EXPECT_NEAR(phi(r, j), expected(r, j), 2e-6 * std::max(1.0, std::abs(expected(r, j))))
            << name << " row " << r << " column " << csv.header[static_cast<std::size_t>(j)];
        worst = std::max(worst, std::abs(phi(r, j) - expected(r, j)));
      }
    RecordProperty(std::string(name) + "_max_abs_diff", std::to_string(worst));
    std::printf("%s: max |ferry - xgboost pred_interactions| = %.3g\n", name, worst);
  }
}

// Every shipped tree model but IsolationForest: the rows of the matrix sum to shap()'s values.
TEST(TreeShapInteractions, RowSumsAreTheShapValuesOnEveryShippedTreeModel) {
  int cases = 0;
  for (const std::string& dir : test::golden_cases()) {
    const std::string name = dir.substr(dir.find_last_of('/') + 1);
    if (name.rfind("tree_", 0) != 0 && name.rfind("xgb_", 0) != 0) continue;
    ++cases;
    const Model model = Model::load(test::source_path(dir + "/model.ferry"));
    RowMatrixXd Xt = model.transform(test::case_input(dir, model));
    Xt.conservativeResize(std::min<Index>(Xt.rows(), 12), Eigen::NoChange);
    const std::unique_ptr<Estimator> est = case_estimator(dir);
    RowMatrixXd shap, phi;
    est->shap(Xt, shap);
    est->shap_interactions(Xt, phi);
    const Index k = est->n_scores(), n1 = Xt.cols() + 1;
    ASSERT_EQ(phi.cols(), n1 * n1 * k) << dir;
    for (Index r = 0; r < Xt.rows(); ++r)
      for (Index c = 0; c < k; ++c)
        for (Index a = 0; a < n1; ++a) {
          double sum = 0.0, magnitude = 1.0;
          for (Index b = 0; b < n1; ++b) {
            sum += phi(r, (a * n1 + b) * k + c);
            magnitude += std::abs(phi(r, (a * n1 + b) * k + c));
          }
          EXPECT_NEAR(sum, shap(r, a * k + c), 1e-12 * magnitude) << dir << " row " << r << " feature " << a;
        }
  }
  EXPECT_GE(cases, 20);
}

// Threads split the rows without changing a value; only the path-dependent method has them.
TEST(ExplainInteractions, ThreadsAndMethods) {
  const std::string dir = "tests/data/shap_gb_pipeline";
  const Model model = Model::load(test::source_path(dir + "/model.ferry"));
  const Table table = cli::to_table(test::read_csv_file(test::source_path(dir + "/input.csv")));
  ExplainOptions two;
  two.threads = 2;
  const InteractionExplanation one = model.explain_interactions(table), split = model.explain_interactions(table, two);
  ASSERT_EQ(one.rows(), split.rows());
  EXPECT_EQ(one.base_values, split.base_values);
  EXPECT_EQ(one.values, split.values);
  ExplainOptions sampling;
  sampling.method = ExplainOptions::Method::kSampling;
  EXPECT_FERRY_ERROR(model.explain_interactions(table, sampling), ErrorCode::kUnsupported, "path-dependent");
  two.threads = 0;
  EXPECT_FERRY_ERROR(model.explain_interactions(table, two), ErrorCode::kValue, "threads must be >= 1");
}

// Named input through a ColumnTransformer with missing-indicator and one-hot columns: the
// grouped matrices are symmetric, their rows sum to explain()'s values and everything sums to
// the raw score; the dense overloads agree with the Table one.
TEST(ExplainInteractions, GroupedIntoRawColumnsThroughPreprocessing) {
  const std::string dir = "tests/data/shap_gb_pipeline";
  const Model model = Model::load(test::source_path(dir + "/model.ferry"));
  const Table table = cli::to_table(test::read_csv_file(test::source_path(dir + "/input.csv")));
  const InteractionExplanation ie = model.explain_interactions(table);
  const Explanation e = model.explain(table);
  const RowMatrixXd scores = model.predict(table).scores;
  ASSERT_GT(model.transformed_feature_names().size(), model.schema().inputs.size());
  EXPECT_EQ(ie.method, Explanation::Method::kTreePathDependent);
  EXPECT_EQ(ie.feature_names, e.feature_names);
  EXPECT_EQ(ie.output_names, e.output_names);
  ASSERT_EQ(ie.rows(), scores.rows());
  ASSERT_EQ(ie.values.size(), e.values.size());
  const auto n = static_cast<Index>(e.feature_names.size());
  double worst = 0.0;
  for (std::size_t o = 0; o < ie.values.size(); ++o) {
    ASSERT_EQ(ie.values[o].rows(), scores.rows());
    ASSERT_EQ(ie.values[o].cols(), n * n);  // contiguous, row-major
    for (Index r = 0; r < scores.rows(); ++r) {
      const Eigen::MatrixXd v = ie.matrix(o, r);
      ASSERT_EQ(v.rows(), n);
      ASSERT_EQ(v.cols(), n);
      EXPECT_LE((v - v.transpose()).cwiseAbs().maxCoeff(), 1e-12) << "row " << r;
      for (Index i = 0; i < n; ++i) {
        EXPECT_NEAR(v.row(i).sum(), e.values[o](r, i), 1e-12) << "row " << r << " column " << i;
        worst = std::max(worst, std::abs(v.row(i).sum() - e.values[o](r, i)));
      }
      EXPECT_EQ(ie.base_values(r, static_cast<Index>(o)), e.base_values(r, static_cast<Index>(o)));
      EXPECT_NEAR(ie.base_values(r, static_cast<Index>(o)) + v.sum(), scores(r, static_cast<Index>(o)), 1e-9);
    }
  }
  RecordProperty("max_row_sum_diff", std::to_string(worst));
  // The interaction the target was built from (b's effect depends on plan) is there.
  double plan_b = 0.0;
  for (Index r = 0; r < ie.rows(); ++r) plan_b = std::max(plan_b, std::abs(ie.matrix(0, r)(1, 2)));
  EXPECT_GT(plan_b, 1e-3);
}

TEST(ExplainInteractions, DenseFloatAndEmptyInput) {
  const Model model = Model::load(test::source_path("artifacts/xgboost_binary/model.ferry"));
  const RowMatrixXd X = test::case_input("artifacts/xgboost_binary", model);
  const InteractionExplanation dense = model.explain_interactions(X);
  const RowMatrixXf Xf = X.cast<float>();
  const InteractionExplanation single = model.explain_interactions(Xf);
  const InteractionExplanation widened = model.explain_interactions(RowMatrixXd(Xf.cast<double>()));
  ASSERT_EQ(single.rows(), X.rows());
  EXPECT_EQ(single.values[0], widened.values[0]);
  const Explanation e = model.explain(X);
  for (Index r = 0; r < X.rows(); ++r)
    for (Index i = 0; i < X.cols(); ++i)
      EXPECT_NEAR(dense.matrix(0, r).row(i).sum(), e.values[0](r, i), 1e-12);
  const InteractionExplanation none = model.explain_interactions(RowMatrixXd(0, X.cols()));
  EXPECT_EQ(none.rows(), 0);
  EXPECT_EQ(none.values.size(), 1u);
}

// More rows than one block: an input error names the row of the whole batch.
TEST(ExplainInteractions, ErrorsNameTheRowOfTheBatch) {
  const Model model = Model::load(test::source_path("tests/data/xgb_squarederror/model.ferry"));
  RowMatrixXd X = test::case_input("tests/data/xgb_squarederror", model);
  RowMatrixXd big(200, X.cols());
  for (Index r = 0; r < big.rows(); ++r) big.row(r) = X.row(r % X.rows());
  big(150, 0) = 1e300;  // beyond float32, which XGBoost refuses
  EXPECT_FERRY_ERROR(model.explain_interactions(big), ErrorCode::kValue, "row 150");
}

TEST(ExplainInteractions, UnsupportedWithoutATreeEnsemble) {
  const Model linear = Model::load(test::source_path("artifacts/iris/model.ferry"));
  EXPECT_FERRY_ERROR(linear.explain_interactions(test::case_input("artifacts/iris", linear)), ErrorCode::kUnsupported,
                     "has no interaction values");
  const Model iforest = Model::load(test::source_path("tests/data/tree_iforest/model.ferry"));
  EXPECT_FERRY_ERROR(iforest.explain_interactions(test::case_input("tests/data/tree_iforest", iforest)),
                     ErrorCode::kUnsupported, "IsolationForest");
  const Model pca = Model::load(test::source_path("tests/data/decomp_pca/model.ferry"));
  EXPECT_FERRY_ERROR(pca.explain_interactions(test::case_input("tests/data/decomp_pca", pca)), ErrorCode::kUnsupported,
                     "mixes several raw input columns");
}

}  // namespace
}  // namespace ferry::detail
