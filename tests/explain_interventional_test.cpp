// Interventional SHAP against a weighted background with columns played in groups
// (Estimator::shap_interventional): the tree kernel (models/tree_shap_interventional.hpp) and
// the linear closed form against Shapley values enumerated over all 2^G coalitions of hybrid
// rows scored by the model's own prediction, on random forests and on shipped models.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <numeric>
#include <random>
#include <set>

#include "artifact/artifact.hpp"
#include "models/tree_shap_interventional.hpp"
#include "models/estimator.hpp"
#include "models/registry.hpp"
#include "pipeline/step_inputs.hpp"
#include "support/test_forest.hpp"
#include "support/test_support.hpp"

namespace ferry::detail {
namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

using Scorer = std::function<RowMatrixXd(const RowMatrixXd&)>;

// Shapley values of v(S) = Σ_b w_b · score(x_S, background_b rest) by enumeration:
// (G + 1) x k, row-major like phi, base at g = G.
std::vector<double> brute_force(const Scorer& score, const double* x, const RowMatrixXd& background,
                                const Eigen::VectorXd& weights, const std::vector<Index>& group, Index G, Index k) {
  const Index nb = background.rows(), nf = background.cols();
  std::vector<double> v(std::size_t{1} << G);
  RowMatrixXd hybrid(nb, nf);
  std::vector<double> phi(static_cast<std::size_t>((G + 1) * k), 0.0);
  std::vector<double> fact(static_cast<std::size_t>(G + 1), 1.0);
  for (Index i = 1; i <= G; ++i)
    fact[static_cast<std::size_t>(i)] = fact[static_cast<std::size_t>(i - 1)] * static_cast<double>(i);
  std::vector<RowMatrixXd> scores(std::size_t{1} << G);
  for (unsigned S = 0; S < (1u << G); ++S) {
    for (Index b = 0; b < nb; ++b)
      for (Index f = 0; f < nf; ++f)
        hybrid(b, f) = ((S >> group[static_cast<std::size_t>(f)]) & 1u) != 0 ? x[f] : background(b, f);
    scores[S] = score(hybrid);
  }
  for (Index c = 0; c < k; ++c) {
    for (unsigned S = 0; S < (1u << G); ++S) {
      double sum = 0.0;
      for (Index b = 0; b < nb; ++b) sum += weights[b] * scores[S](b, c);
      v[S] = sum;
    }
    for (Index g = 0; g < G; ++g)
      for (unsigned S = 0; S < (1u << G); ++S) {
        if ((S >> g) & 1u) continue;
        const int s = __builtin_popcount(S);
        const double weight = fact[static_cast<std::size_t>(s)] * fact[static_cast<std::size_t>(G - s - 1)] /
                              fact[static_cast<std::size_t>(G)];
        phi[static_cast<std::size_t>(g * k + c)] += weight * (v[S | (1u << g)] - v[S]);
      }
    phi[static_cast<std::size_t>(G * k + c)] = v[0];
  }
  return phi;
}

Scorer forest_scorer(const CompactForest& forest) {
  return [&forest](const RowMatrixXd& X) {
    RowMatrixXd s(X.rows(), forest.n_scores());
    forest.predict(X.data(), X.rows(), X.cols(), s.data());
    return s;
  };
}
Scorer estimator_scorer(const Estimator& est) {
  return [&est](const RowMatrixXd& X) {
    RowMatrixXd s;
    est.decision(X, s);
    return s;
  };
}

RowMatrixXd run(const CompactForest& f, const RowMatrixXd& X, const RowMatrixXd& background,
                const Eigen::VectorXd& weights, const std::vector<Index>& group, Index G) {
  RowMatrixXd phi(X.rows(), (G + 1) * f.n_scores());
  explain::tree_shap_interventional(f, X.data(), X.rows(), X.cols(), background.data(), background.rows(),
                                    background.cols(), weights.data(), group.data(), G, phi.data());
  return phi;
}

Eigen::VectorXd random_weights(std::mt19937_64& rng, Index n) {
  Eigen::VectorXd w(n);
  for (Index b = 0; b < n; ++b) w[b] = std::uniform_real_distribution<double>(0.1, 1.0)(rng);
  return w / w.sum();
}

// Columns dealt into G non-empty groups in random order.
std::vector<Index> random_groups(std::mt19937_64& rng, Index n_features, Index G) {
  std::vector<Index> group(static_cast<std::size_t>(n_features));
  for (Index f = 0; f < n_features; ++f) group[static_cast<std::size_t>(f)] = f % G;
  std::shuffle(group.begin(), group.end(), rng);
  return group;
}

double relative_scale(double v) { return std::max(1.0, std::abs(v)); }

// Random forests with every awkward feature (repeated columns on a path, NaN in rows and in
// background rows, categorical splits, several trees per score, several scores, mean
// aggregation, each comparison rule, thresholds float32 cannot hold), columns in random groups.
TEST(InterventionalTreeShap, MatchesBruteForceEnumerationOnRandomForests) {
  std::mt19937_64 rng(20261127);
  std::uniform_int_distribution<int> pct(0, 99);
  const TreeCompare compares[] = {TreeCompare::kLeFloat64, TreeCompare::kLeFloat32, TreeCompare::kLtFloat32};
  double worst = 0.0;
  int trials_with_nan = 0;
  for (int trial = 0; trial < 120; ++trial) {
    test::TestForest f;
    f.n_features = trial >= 100 ? 1 + trial % 3 : 1 + trial % 7;
    f.compare = compares[trial % 3];
    f.missing_error = trial % 11 == 5;
    f.w = trial % 4 == 0 ? 2 : 1;
    const Index score_groups = trial % 5 == 1 ? 3 : 1;
    f.k = f.w * score_groups;
    f.mean = trial % 6 == 2;
    f.base.clear();
    for (Index c = 0; c < f.k; ++c) f.base.push_back(0.25 * static_cast<double>(c) - 0.5);
    if (trial % 2 == 0 && !f.missing_error) f.sets = {{0x05}, {0xff, 0x01}, {}};
    const int n_trees = 1 + trial % 5;
    for (int t = 0; t < n_trees; ++t) {
      // Beyond 6 levels only with few columns: long paths of one column repeated.
      test::TestTree tree =
          test::random_tree(rng, trial >= 100 ? 7 + trial % 4 : 1 + (trial + t) % 6, f.n_features, f.w,
                            static_cast<std::int64_t>(f.sets.size()), t % static_cast<int>(score_groups));
      if (trial % 3 != 0)
        for (test::TestNode& n : tree.nodes) n.threshold += 0.1;  // not a float32: rounding matters
      f.trees.push_back(tree);
    }
    const CompactForest forest = f.build();
    const Index G = 1 + trial % f.n_features;
    const std::vector<Index> group = random_groups(rng, f.n_features, G);
    auto draw = [&](Index rows) {
      RowMatrixXd X(rows, f.n_features);
      for (Index r = 0; r < rows; ++r)
        for (Index j = 0; j < f.n_features; ++j) {
          const int p = pct(rng);
          X(r, j) = p < 15 && !f.missing_error ? kNaN
                    : p < 40                   ? static_cast<double>(pct(rng) % 12)
                    : p < 55 ? std::round(std::uniform_real_distribution<double>(-2.5, 2.5)(rng) * 2) / 2 + 0.1
                             : std::round(std::uniform_real_distribution<double>(-2.5, 2.5)(rng) * 4) / 4;
        }
      return X;
    };
    const RowMatrixXd X = draw(6), background = draw(1 + trial % 5);
    trials_with_nan += X.hasNaN() || background.hasNaN();
    const Eigen::VectorXd weights = random_weights(rng, background.rows());
    const RowMatrixXd phi = run(forest, X, background, weights, group, G);
    RowMatrixXd scores(X.rows(), f.k), bg_scores(background.rows(), f.k);
    forest.predict(X.data(), X.rows(), X.cols(), scores.data());
    forest.predict(background.data(), background.rows(), background.cols(), bg_scores.data());
    for (Index r = 0; r < X.rows(); ++r) {
      const std::vector<double> brute =
          brute_force(forest_scorer(forest), X.row(r).data(), background, weights, group, G, f.k);
      for (Index j = 0; j < phi.cols(); ++j) {
        const double b = brute[static_cast<std::size_t>(j)];
        ASSERT_NEAR(phi(r, j), b, 1e-9 * relative_scale(b)) << "trial " << trial << " row " << r << " col " << j;
        worst = std::max(worst, std::abs(phi(r, j) - b));
      }
      for (Index c = 0; c < f.k; ++c) {
        double sum = 0.0;
        for (Index g = 0; g <= G; ++g) sum += phi(r, g * f.k + c);
        EXPECT_NEAR(sum, scores(r, c), 1e-9 * relative_scale(scores(r, c))) << "trial " << trial;
        const double base = weights.dot(bg_scores.col(c));
        EXPECT_NEAR(phi(r, G * f.k + c), base, 1e-12 * relative_scale(base)) << "trial " << trial;
      }
    }
  }
  EXPECT_GE(trials_with_nan, 50);
  RecordProperty("max_abs_diff", std::to_string(worst));
  std::printf("max |interventional - brute force| = %.3g\n", worst);
}

// XGBoost's float32 accumulation: the values are of the float64 sum of the same leaves, so they
// equal the float64 forest's values and add up to the float32 scores to float32 precision.
TEST(InterventionalTreeShap, Float32AccumulationAddsUpToFloat32Precision) {
  std::mt19937_64 rng(7);
  test::TestForest f;
  f.n_features = 4;
  f.compare = TreeCompare::kLtFloat32;
  f.base = {0.5};
  for (int t = 0; t < 30; ++t) f.trees.push_back(test::random_tree(rng, 4, f.n_features, 1, 0, 0));
  const CompactForest exact = f.build();
  f.float32_sum = true;
  const CompactForest float32 = f.build();
  RowMatrixXd X(5, 4), background(3, 4);
  for (Index i = 0; i < X.size(); ++i) X.data()[i] = std::uniform_real_distribution<double>(-2, 2)(rng);
  for (Index i = 0; i < background.size(); ++i)
    background.data()[i] = std::uniform_real_distribution<double>(-2, 2)(rng);
  const Eigen::VectorXd weights = random_weights(rng, 3);
  const std::vector<Index> group{0, 1, 1, 2};
  const RowMatrixXd phi = run(float32, X, background, weights, group, 3);
  EXPECT_EQ(phi, run(exact, X, background, weights, group, 3));
  RowMatrixXd scores(5, 1);
  float32.predict(X.data(), 5, 4, scores.data());
  for (Index r = 0; r < 5; ++r) EXPECT_NEAR(phi.row(r).sum(), scores(r, 0), 1e-6 * relative_scale(scores(r, 0)));
}

// Every column its own group gives the per-column values, whatever the groups' numbering; and
// when each tree splits on the columns of one group only (the game is additive over groups), a
// group's value is the sum of its columns' values.
TEST(InterventionalTreeShap, GroupsOfSingleColumnsAndAdditiveGroups) {
  std::mt19937_64 rng(11);
  const std::vector<Index> owner{0, 1, 0, 2, 1};  // column -> group for the additive forest
  test::TestForest f;
  f.n_features = 5;
  f.k = 2;
  f.w = 1;
  f.base = {0.0, 1.0};
  for (int t = 0; t < 9; ++t) {
    test::TestTree tree = test::random_tree(rng, 5, 2, 1, 0, t % 2);
    const Index g = t % 3;
    std::vector<Index> cols;
    for (Index c = 0; c < 5; ++c)
      if (owner[static_cast<std::size_t>(c)] == g) cols.push_back(c);
    for (test::TestNode& n : tree.nodes)
      if (n.feature >= 0) n.feature = cols[static_cast<std::size_t>(n.feature) % cols.size()];
    f.trees.push_back(tree);
  }
  const CompactForest forest = f.build();
  RowMatrixXd X(4, 5), background(4, 5);
  for (Index i = 0; i < X.size(); ++i) X.data()[i] = std::round(std::uniform_real_distribution<double>(-2, 2)(rng));
  for (Index i = 0; i < background.size(); ++i)
    background.data()[i] = std::round(std::uniform_real_distribution<double>(-2, 2)(rng) * 2) / 2;
  const Eigen::VectorXd weights = random_weights(rng, 4);

  std::vector<Index> identity(5);
  std::iota(identity.begin(), identity.end(), 0);
  const RowMatrixXd single = run(forest, X, background, weights, identity, 5);
  const std::vector<Index> renumbered{3, 0, 4, 1, 2};
  const RowMatrixXd permuted = run(forest, X, background, weights, renumbered, 5);
  const RowMatrixXd grouped = run(forest, X, background, weights, owner, 3);
  for (Index r = 0; r < X.rows(); ++r) {
    const std::vector<double> brute =
        brute_force(forest_scorer(forest), X.row(r).data(), background, weights, identity, 5, 2);
    for (Index c = 0; c < 2; ++c) {
      for (Index col = 0; col < 5; ++col) {
        EXPECT_NEAR(single(r, col * 2 + c), brute[static_cast<std::size_t>(col * 2 + c)], 1e-12);
        EXPECT_EQ(permuted(r, renumbered[static_cast<std::size_t>(col)] * 2 + c), single(r, col * 2 + c));
      }
      for (Index g = 0; g < 3; ++g) {
        double sum = 0.0;
        for (Index col = 0; col < 5; ++col)
          if (owner[static_cast<std::size_t>(col)] == g) sum += single(r, col * 2 + c);
        EXPECT_NEAR(grouped(r, g * 2 + c), sum, 1e-12) << "row " << r << " group " << g;
      }
      EXPECT_EQ(grouped(r, 3 * 2 + c), single(r, 5 * 2 + c));
    }
  }
}

TEST(InterventionalTreeShap, HandBuiltStump) {
  // One split on x0 <= 0: left 1, right 3. x = (-1, ·) against background rows (1, ·) weight
  // 0.25 and (-2, ·) weight 0.75: v(∅) = 0.25·3 + 0.75·1 = 1.5, v({0}) = 1, so φ0 = −0.5.
  test::TestForest f;
  f.trees = {{{test::split(0, 0.0, 1, 2, 2), test::leaf(1, 1), test::leaf(3, 1)}}};
  const CompactForest forest = f.build();
  RowMatrixXd X(1, 2), background(2, 2);
  X << -1, 7;
  background << 1, 0, -2, 5;
  Eigen::VectorXd weights(2);
  weights << 0.25, 0.75;
  const RowMatrixXd phi = run(forest, X, background, weights, {0, 1}, 2);
  EXPECT_DOUBLE_EQ(phi(0, 0), -0.5);
  EXPECT_EQ(phi(0, 1), 0.0);
  EXPECT_DOUBLE_EQ(phi(0, 2), 1.5);
}

// A value the forest refuses is an error exactly when some coalition's hybrid row carries it
// to the node that refuses it, as predict() on that hybrid would fail.
TEST(InterventionalTreeShap, RefusesValuesAsPredictOnTheHybridsWould) {
  test::TestForest f;
  f.missing_error = true;
  f.sets = {{0x06}};
  test::TestNode cat = test::split(1, 0.0, 3, 4, 1);
  cat.set = 0;
  f.trees = {{{test::split(0, 0.0, 1, 2, 2), test::leaf(1, 1), cat, test::leaf(2, 1), test::leaf(3, 1)}}};
  const CompactForest forest = f.build();
  RowMatrixXd X(1, 2), background(2, 2);
  X << -1, -5;  // x1 = -5 is no category: refused at the categorical split, which x0 = -1 avoids
  background << -2, 1, -3, 2;
  const Eigen::VectorXd weights = Eigen::VectorXd::Constant(2, 0.5);
  const std::vector<Index> group{0, 1};
  RowMatrixXd phi = run(forest, X, background, weights, group, 2);
  EXPECT_EQ(phi.row(0).sum(), 1.0);
  background(1, 0) = 1;  // now x1 reaches the categorical split along with background row 1's x0
  EXPECT_FERRY_ERROR(run(forest, X, background, weights, group, 2), ErrorCode::kValue, "row 0, column \"x1\"");
  X << 1, 1;
  background << 1, -5, -3, 2;
  EXPECT_FERRY_ERROR(run(forest, X, background, weights, group, 2), ErrorCode::kValue,
                     "background row 0, column \"x1\"");
  background << 1, kNaN, -3, 2;
  EXPECT_FERRY_ERROR(run(forest, X, background, weights, group, 2), ErrorCode::kValue,
                     "background row 0, column \"x1\": a missing value");
}

std::unique_ptr<Estimator> load_estimator(const std::string& dir) {
  const std::vector<std::uint8_t> bytes = test::read_bytes(test::source_path(dir + "/model.ferry"));
  const artifact::Artifact a = artifact::read(bytes.data(), bytes.size());
  std::set<std::string> used;
  return make_estimator(StepInputs(a.header["estimator"], "estimator", a, used));
}

// Shipped models through the estimator hook, with transformed rows of their case as the
// background: brute force over up to 8 column groups, additivity and the base value.
void check_shipped(const std::string& dir, double rel, std::mt19937_64& rng) {
  const Model model = Model::load(test::source_path(dir + "/model.ferry"));
  const RowMatrixXd Xt = model.transform(test::case_input(dir, model));
  const std::unique_ptr<Estimator> est = load_estimator(dir);
  ASSERT_GE(Xt.rows(), 8) << dir;
  const RowMatrixXd background = Xt.topRows(5), X = Xt.middleRows(5, 3);
  const Eigen::VectorXd weights = random_weights(rng, 5);
  const Index nf = Xt.cols(), k = est->n_scores(), G = std::min<Index>(nf, 8);
  const std::vector<Index> group = random_groups(rng, nf, G);
  RowMatrixXd phi, scores, bg_scores;
  est->shap_interventional(X, background, weights, group, G, phi);
  ASSERT_EQ(phi.rows(), X.rows());
  ASSERT_EQ(phi.cols(), (G + 1) * k);
  est->decision(X, scores);
  est->decision(background, bg_scores);
  double worst = 0.0;
  for (Index r = 0; r < X.rows(); ++r) {
    const std::vector<double> brute =
        brute_force(estimator_scorer(*est), X.row(r).data(), background, weights, group, G, k);
    for (Index j = 0; j < phi.cols(); ++j) {
      EXPECT_NEAR(phi(r, j), brute[static_cast<std::size_t>(j)],
                  rel * relative_scale(brute[static_cast<std::size_t>(j)]))
          << dir << " row " << r << " column " << j;
      worst = std::max(worst, std::abs(phi(r, j) - brute[static_cast<std::size_t>(j)]));
    }
    for (Index c = 0; c < k; ++c) {
      double sum = 0.0;
      for (Index g = 0; g <= G; ++g) sum += phi(r, g * k + c);
      EXPECT_NEAR(sum, scores(r, c), rel * relative_scale(scores(r, c))) << dir << " row " << r;
      EXPECT_NEAR(phi(r, G * k + c), weights.dot(bg_scores.col(c)), rel * relative_scale(scores(r, c))) << dir;
    }
  }
  std::printf("%s: max |hook - brute force| = %.3g\n", dir.c_str(), worst);
}

TEST(InterventionalTreeShap, ShippedTreeModelsThroughTheEstimatorHook) {
  std::mt19937_64 rng(3);
  // float64 scores: exact; XGBoost's float32 sums: float32 precision.
  for (const char* dir :
       {"artifacts/hgb_categorical", "tests/data/tree_hgb_regressor_nan", "tests/data/tree_rf_classifier",
        "tests/data/tree_gb_multiclass", "tests/data/tree_et_regressor_multi"})
    check_shipped(dir, 1e-9, rng);
  for (const char* dir : {"tests/data/xgb_categorical", "tests/data/xgb_multi_softprob", "tests/data/shap_xgb_binary"})
    check_shipped(dir, 1e-5, rng);
}

TEST(InterventionalLinear, ClosedFormMatchesBruteForce) {
  std::mt19937_64 rng(5);
  for (const char* dir : {"tests/data/ovr_wine", "tests/data/linear_multioutput", "tests/data/ridge_no_intercept",
                          "tests/data/multinomial_binary"})
    check_shipped(dir, 1e-9, rng);
}

// The linear closed form per column is the weighted-mean form w_f (x_f - m_f) that shap() uses
// with m the background mean.
TEST(InterventionalLinear, SingleColumnsEqualShapAgainstTheBackgroundMean) {
  const std::string dir = "tests/data/ovr_wine";
  const Model model = Model::load(test::source_path(dir + "/model.ferry"));
  const RowMatrixXd Xt = model.transform(test::case_input(dir, model));
  const std::unique_ptr<Estimator> est = load_estimator(dir);
  std::mt19937_64 rng(9);
  const RowMatrixXd background = Xt.topRows(6);
  const Eigen::VectorXd weights = random_weights(rng, 6);
  std::vector<Index> identity(static_cast<std::size_t>(Xt.cols()));
  std::iota(identity.begin(), identity.end(), 0);
  RowMatrixXd phi, expected;
  est->shap_interventional(Xt, background, weights, identity, Xt.cols(), phi);
  // Linear SHAP needs the background mean (format.md §3.5): without it the estimator declares no exact method.
  EXPECT_FALSE(est->capabilities().exact_shap.has_value());
  EXPECT_EQ(est->capabilities().interventional_shap, Explanation::Method::kLinearInterventional);
  est->set_background_mean(weights.transpose() * background);
  EXPECT_EQ(est->capabilities().exact_shap, Explanation::Method::kLinearExact);
  est->shap(Xt, expected);
  ASSERT_EQ(phi.rows(), expected.rows());
  ASSERT_EQ(phi.cols(), expected.cols());
  for (Index r = 0; r < phi.rows(); ++r)
    for (Index j = 0; j < phi.cols(); ++j)
      EXPECT_NEAR(phi(r, j), expected(r, j), 1e-12 * relative_scale(expected(r, j)));
}

TEST(InterventionalShap, RefusesArgumentsOfTheWrongShape) {
  for (const char* dir : {"tests/data/tree_rf_classifier", "tests/data/ovr_wine"}) {
    const std::unique_ptr<Estimator> est = load_estimator(dir);
    const Model model = Model::load(test::source_path(std::string(dir) + "/model.ferry"));
    const RowMatrixXd Xt = model.transform(test::case_input(dir, model));
    const Index nf = Xt.cols();
    const RowMatrixXd background = Xt.topRows(2);
    const Eigen::VectorXd weights = Eigen::VectorXd::Constant(2, 0.5);
    std::vector<Index> group(static_cast<std::size_t>(nf), 0);
    RowMatrixXd phi;
    EXPECT_FERRY_ERROR(est->shap_interventional(Xt, background.leftCols(nf - 1), weights, group, 1, phi),
                       ErrorCode::kShape, "background rows");
    EXPECT_FERRY_ERROR(est->shap_interventional(Xt, background, Eigen::VectorXd::Constant(3, 0.5), group, 1, phi),
                       ErrorCode::kShape, "3 weights for 2 background rows");
    EXPECT_FERRY_ERROR(est->shap_interventional(Xt, background, weights, std::vector<Index>(1, 0), 1, phi),
                       ErrorCode::kShape, "column groups");
    group[1] = 1;
    EXPECT_FERRY_ERROR(est->shap_interventional(Xt, background, weights, group, 1, phi), ErrorCode::kShape,
                       "column 1 has group 1, outside [0, 1)");
    EXPECT_FERRY_ERROR(est->shap_interventional(Xt, background.topRows(0), Eigen::VectorXd(0), group, 2, phi),
                       ErrorCode::kShape, "no rows");
  }
}

}  // namespace
}  // namespace ferry::detail
