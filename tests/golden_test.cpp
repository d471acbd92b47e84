// Every shipped artifact against scikit-learn's own outputs, written beside it by
// scripts/make_artifacts: labels identical, values within 1e-12 (XGBoost's float32 outputs
// within the tolerance embedded in their artifact; its margins exactly).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "artifact/artifact.hpp"
#include "ferry/model.hpp"
#include "support/test_support.hpp"

namespace ferry::detail {
namespace {

constexpr double kTolerance = 1e-12;

std::vector<std::string> input_names(const Schema& schema) {
  std::vector<std::string> names;
  for (const auto& c : schema.inputs) names.push_back(c.name);
  return names;
}

// |got - expected| beyond `rtol` x |expected| (rtol is 0 except for XGBoost, whose outputs are
// its own float32 arithmetic: the artifact's embedded tolerance says how close they can be).
double max_abs_diff(const cli::CsvTable& expected, const std::string& name, const RowMatrixXd& got, Index col,
                    double rtol = 0.0) {
  const std::size_t c = test::column(expected, name);
  double worst = 0.0;
  for (std::size_t i = 0; i < expected.rows.size(); ++i) {
    const double want = std::stod(expected.rows[i][c]);
    worst = std::max(worst, std::abs(want - got(static_cast<Index>(i), col)) - rtol * std::abs(want));
  }
  return worst;
}

bool has_column(const cli::CsvTable& csv, const std::string& name) {
  return std::find(csv.header.begin(), csv.header.end(), name) != csv.header.end();
}

// The relative tolerance the exporter embedded when it is looser than the golden bar: only
// XGBoost models (float32 outputs) have one.
double float32_rtol(const std::string& dir) {
  const std::vector<std::uint8_t> bytes = test::read_bytes(dir + "/model.ferry");
  const artifact::Artifact a = artifact::read(bytes.data(), bytes.size());
  const auto v = a.header.find("verification");
  if (v == a.header.end()) return 0.0;
  const double rtol = v->value("rtol", 0.0);
  return rtol > 1e-9 ? rtol : 0.0;
}

// "1.2e-16": std::to_string's fixed six decimals would show every parity figure as 0.000000.
std::string scientific(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2e", v);
  return buf;
}

class Golden : public ::testing::TestWithParam<std::string> {};

bool has_text_inputs(const Schema& schema) {
  for (const auto& c : schema.inputs)
    if (c.kind != ColumnKind::kNumeric) return true;
  return false;
}

// Named input (input.csv read as text, as the CLI reads it) for every case; dense input too
// where every input is numeric, and then both must agree to the bit.
TEST_P(Golden, MatchesScikitLearn) {
  const std::string dir = test::source_path(GetParam());
  LoadOptions options;
  options.verify = true;
  const Model model = Model::load(dir + "/model.ferry", options);
  const auto input = test::read_csv_file(dir + "/input.csv");
  const auto expected = test::read_csv_file(dir + "/expected.csv");
  ASSERT_EQ(input.rows.size(), expected.rows.size());
  const Table table = cli::to_table(input);
  const Prediction p = model.predict(table);
  ASSERT_EQ(p.rows(), static_cast<Index>(input.rows.size()));
  if (!has_text_inputs(model.schema())) {
    const RowMatrixXd X = test::numeric_columns(input, input_names(model.schema()));
    EXPECT_EQ(model.predict(X).scores, p.scores);
  }

  double worst = 0.0;
  const double rtol = float32_rtol(dir);
  if (model.schema().task == Task::kClassification) {
    const std::size_t c = test::column(expected, "prediction");
    for (std::size_t i = 0; i < expected.rows.size(); ++i)
      ASSERT_EQ(p.label_text(static_cast<Index>(i)), expected.rows[i][c]) << "row " << i;
    // Forests have no decision_function and IsolationForest no predict_proba: their cases
    // have no such columns.
    if (has_column(expected, "proba_" + model.schema().classes.to_string(0))) {
      for (std::size_t k = 0; k < model.schema().classes.size(); ++k)
        worst = std::max(worst, max_abs_diff(expected, "proba_" + model.schema().classes.to_string(k),
                                             p.probabilities, static_cast<Index>(k), rtol));
      EXPECT_EQ(model.predict_proba(table), p.probabilities);
    }
    if (has_column(expected, "decision_0")) {
      // Margins, XGBoost's included, are exact: no tolerance.
      for (Index j = 0; j < p.scores.cols(); ++j)
        worst = std::max(worst, max_abs_diff(expected, "decision_" + std::to_string(j), p.scores, j));
      EXPECT_EQ(model.decision_function(table), p.scores);
    }
  } else {
    const Index m = model.schema().n_outputs;
    for (Index j = 0; j < m; ++j)
      worst = std::max(worst, max_abs_diff(expected, m == 1 ? "prediction" : "prediction_" + std::to_string(j),
                                           p.values, j, rtol));
  }
  RecordProperty("max_abs_diff", scientific(worst));
  EXPECT_LE(worst, kTolerance) << GetParam();
}

// Model::transform against scikit-learn's pipeline[:-1].transform, column names included:
// within 1e-12 relative to each column's scale.
TEST_P(Golden, TransformMatchesScikitLearn) {
  const std::string dir = test::source_path(GetParam());
  if (!std::filesystem::exists(dir + "/transformed.csv")) GTEST_SKIP() << "no preprocessing steps";
  const Model model = Model::load(dir + "/model.ferry");
  const auto input = test::read_csv_file(dir + "/input.csv");
  const auto expected = test::read_csv_file(dir + "/transformed.csv");
  EXPECT_EQ(model.transformed_feature_names(), expected.header);
  const RowMatrixXd want = test::numeric_columns(expected, expected.header);
  const RowMatrixXd got = model.transform(cli::to_table(input));
  ASSERT_EQ(got.rows(), want.rows());
  ASSERT_EQ(got.cols(), want.cols());
  double worst = 0.0;
  for (Index j = 0; j < want.cols(); ++j) {
    const double scale = std::max(1.0, want.col(j).cwiseAbs().maxCoeff());
    worst = std::max(worst, (got.col(j) - want.col(j)).cwiseAbs().maxCoeff() / scale);
  }
  RecordProperty("max_rel_diff", scientific(worst));
  EXPECT_LE(worst, kTolerance) << GetParam();
}

// Each row alone gives exactly its row of the batch, transform and scores alike: no step or
// estimator may depend on the batch a row comes in.
TEST_P(Golden, EachRowAloneEqualsTheBatch) {
  const std::string dir = test::source_path(GetParam());
  const Model model = Model::load(dir + "/model.ferry");
  const auto input = test::read_csv_file(dir + "/input.csv");
  const Table all = cli::to_table(input);
  const RowMatrixXd batch = model.transform(all);
  const RowMatrixXd scores = model.predict(all).scores;
  for (std::size_t i = 0; i < input.rows.size(); ++i) {
    const Table one = cli::to_table(input, i, 1);
    const RowMatrixXd transformed = model.transform(one);
    ASSERT_EQ(transformed.rows(), 1);
    // NaN passes through to estimators that route it (tree ensembles): equal means same or both NaN.
    const RowMatrixXd want = batch.row(static_cast<Index>(i));
    EXPECT_TRUE(((transformed.array() == want.array()) || (transformed.array().isNaN() && want.array().isNaN())).all())
        << "row " << i;
    EXPECT_EQ(model.predict(one).scores, scores.row(static_cast<Index>(i))) << "row " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Artifacts, Golden, ::testing::ValuesIn(test::golden_cases()),
                         [](const auto& param_info) {
                           std::string name = param_info.param;
                           for (char& ch : name)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return name;
                         });

TEST(GoldenCases, AllThreeSampleArtifactsAreShipped) {
  const auto cases = test::golden_cases();
  for (const char* name : {"artifacts/breast_cancer", "artifacts/diabetes", "artifacts/iris"})
    EXPECT_NE(std::find(cases.begin(), cases.end(), name), cases.end()) << name;
}

}  // namespace
}  // namespace ferry::detail
