// Model-agnostic SHAP (explain/model_agnostic.hpp) over the stored background: exact values
// against scikit-learn's own pipelines (scripts/make_agnostic_cases enumerates coalitions
// with the fitted pipeline itself), the sampling estimator against them, determinism across
// seeds and threads, method selection, and the background's load-time rules.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/csv.hpp"
#include "ferry/error.hpp"
#include "ferry/model.hpp"
#include "support/test_support.hpp"

namespace ferry::detail {
namespace {

using Method = ExplainOptions::Method;
using test::EditableArtifact;

const std::vector<std::string> kCases = {"pca_multiclass", "poly_ridge", "iforest", "normalizer_gb", "text_pca"};

std::string case_dir(const std::string& name) { return "tests/data/shap_agnostic_" + name; }

Table case_table(const std::string& name) {
  return cli::to_table(test::read_csv_file(test::source_path(case_dir(name) + "/input.csv")));
}

// shap.csv: rows x ((M + 1) * k), column j * k + c.
RowMatrixXd expected_values(const std::string& name) {
  const cli::CsvTable csv = test::read_csv_file(test::source_path(case_dir(name) + "/shap.csv"));
  RowMatrixXd m(static_cast<Index>(csv.rows.size()), static_cast<Index>(csv.header.size()));
  for (std::size_t r = 0; r < csv.rows.size(); ++r)
    for (std::size_t c = 0; c < csv.header.size(); ++c)
      m(static_cast<Index>(r), static_cast<Index>(c)) = std::stod(csv.rows[r][c]);
  return m;
}

// Largest difference to scikit-learn's values, relative to max(1, |value|).
double worst_difference(const Explanation& e, const RowMatrixXd& expected) {
  const auto k = static_cast<Index>(e.values.size());
  const auto M = static_cast<Index>(e.feature_names.size());
  double worst = 0.0;
  for (Index r = 0; r < expected.rows(); ++r)
    for (Index c = 0; c < k; ++c)
      for (Index j = 0; j <= M; ++j) {
        const double want = expected(r, j * k + c);
        const double got = j == M ? e.base_values(r, c) : e.values[static_cast<std::size_t>(c)](r, j);
        worst = std::max(worst, std::abs(got - want) / std::max(1.0, std::abs(want)));
      }
  return worst;
}

double additivity_error(const Explanation& e, const RowMatrixXd& scores) {
  double worst = 0.0;
  for (Index r = 0; r < scores.rows(); ++r)
    for (Index c = 0; c < scores.cols(); ++c) {
      const double sum = e.base_values(r, c) + e.values[static_cast<std::size_t>(c)].row(r).sum();
      worst = std::max(worst, std::abs(sum - scores(r, c)) / std::max(1.0, std::abs(scores(r, c))));
    }
  return worst;
}

std::string scientific(double v) {
  std::ostringstream s;
  s << std::scientific << std::setprecision(2) << v;
  return s.str();
}

class AgnosticParity : public ::testing::TestWithParam<std::string> {};

TEST_P(AgnosticParity, ExactValuesEqualScikitLearnsEnumeration) {
  const Model model = Model::load(test::source_path(case_dir(GetParam()) + "/model.ferry"));
  const Table input = case_table(GetParam());
  const RowMatrixXd expected = expected_values(GetParam());
  ExplainOptions options;
  options.method = Method::kInterventional;
  const Explanation e = model.explain(input, options);
  ASSERT_EQ(e.rows(), expected.rows());
  EXPECT_EQ(std::string(to_string(e.method)), "interventional_exact");
  EXPECT_TRUE(e.standard_errors.empty());
  const double diff = worst_difference(e, expected);
  RecordProperty("max_relative_difference", scientific(diff));
  EXPECT_LE(diff, 1e-9) << GetParam();
  EXPECT_LE(additivity_error(e, model.predict(input).scores), 1e-12);
  // kAuto picks the same method for these pipelines (no exact method of their own).
  const Explanation automatic = model.explain(input);
  EXPECT_EQ(std::string(to_string(automatic.method)), "interventional_exact");
  EXPECT_EQ(automatic.values, e.values);
}

// Antithetic permutation sampling: additive exactly, centred on the exact values with the
// standard error it reports, reproducible from its seed, independent of the thread count.
TEST_P(AgnosticParity, SamplingEstimatesTheExactValues) {
  const Model model = Model::load(test::source_path(case_dir(GetParam()) + "/model.ferry"));
  const Table input = case_table(GetParam());
  const RowMatrixXd expected = expected_values(GetParam());
  ExplainOptions options;
  options.method = Method::kSampling;
  options.permutations = 200;
  const Explanation e = model.explain(input, options);
  EXPECT_EQ(std::string(to_string(e.method)), "interventional_sampling");
  ASSERT_EQ(e.standard_errors.size(), e.values.size());
  EXPECT_LE(additivity_error(e, model.predict(input).scores), 1e-12);
  const auto k = static_cast<Index>(e.values.size());
  const auto M = static_cast<Index>(e.feature_names.size());
  Index outside = 0, total = 0;
  for (Index c = 0; c < k; ++c)
    for (Index r = 0; r < e.rows(); ++r)
      for (Index j = 0; j < M; ++j) {
        const double se = e.standard_errors[static_cast<std::size_t>(c)](r, j);
        const double diff = std::abs(e.values[static_cast<std::size_t>(c)](r, j) - expected(r, j * k + c));
        ASSERT_GE(se, 0.0);
        ++total;
        // 4 standard errors (or rounding, where a column's contribution never varies).
        if (diff > 4.0 * se + 1e-9 * std::max(1.0, std::abs(expected(r, j * k + c)))) ++outside;
      }
  // With ~100 pairs the estimate is close to normal: 4 sigma is exceeded by chance about once
  // in 16,000 values.
  RecordProperty("outside_4_standard_errors", std::to_string(outside) + " of " + std::to_string(total));
  EXPECT_LE(outside, 1 + total / 1000) << outside << " of " << total;

  const Explanation again = model.explain(input, options);
  EXPECT_EQ(again.values, e.values);
  options.threads = 2;
  EXPECT_EQ(model.explain(input, options).values, e.values);
  options.seed = 1;
  EXPECT_NE(model.explain(input, options).values, e.values);
}

INSTANTIATE_TEST_SUITE_P(Cases, AgnosticParity, ::testing::ValuesIn(kCases));

// Exactness does not depend on how rows are split: one row at a time gives the batch's values.
TEST(ExplainAgnostic, RowsAreIndependentOfTheBatch) {
  const Model model = Model::load(test::source_path(case_dir("poly_ridge") + "/model.ferry"));
  const RowMatrixXd X = test::case_input(case_dir("poly_ridge"), model);
  ExplainOptions options;
  options.method = Method::kSampling;
  const Explanation batch = model.explain(X, options);
  for (Index r = 0; r < X.rows(); ++r) {
    const Explanation one = model.explain(RowMatrixXd(X.row(r)), options);
    // The generator is seeded per row by its index in the batch, so only row 0 must repeat.
    if (r == 0) EXPECT_EQ(one.values[0].row(0), batch.values[0].row(0));
  }
  options.method = Method::kInterventional;
  const Explanation exact = model.explain(X, options);
  for (Index r = 0; r < X.rows(); ++r)
    EXPECT_EQ(model.explain(RowMatrixXd(X.row(r)), options).values[0].row(0), exact.values[0].row(r));
}

TEST(ExplainAgnostic, MethodSelection) {
  const Model pca = Model::load(test::source_path(case_dir("pca_multiclass") + "/model.ferry"));
  const RowMatrixXd X = test::case_input(case_dir("pca_multiclass"), pca);
  ExplainOptions options;
  // Above max_exact_columns kAuto samples; kExact still enumerates.
  options.max_exact_columns = 3;
  EXPECT_EQ(std::string(to_string(pca.explain(X, options).method)), "interventional_sampling");
  options.method = Method::kExact;
  EXPECT_EQ(std::string(to_string(pca.explain(X, options).method)), "interventional_exact");
  options.method = Method::kPathDependent;
  EXPECT_FERRY_ERROR(pca.explain(X, options), ErrorCode::kUnsupported, "path-dependent TreeSHAP needs a tree ensemble");
  // An IsolationForest is explained model-agnostically; path-dependent TreeSHAP refuses it.
  const Model iforest = Model::load(test::source_path(case_dir("iforest") + "/model.ferry"));
  const RowMatrixXd Xi = test::case_input(case_dir("iforest"), iforest);
  EXPECT_EQ(std::string(to_string(iforest.explain(Xi).method)), "interventional_exact");
  EXPECT_FERRY_ERROR(iforest.explain(Xi, options), ErrorCode::kUnsupported, "an IsolationForest");
  // A tree ensemble keeps its own exact method under kAuto.
  const Model gb = Model::load(test::source_path("tests/data/tree_gb_binary/model.ferry"));
  EXPECT_EQ(std::string(to_string(gb.explain(test::case_input("tests/data/tree_gb_binary", gb)).method)), "tree_path_dependent");
  // Bad options are a value error.
  ExplainOptions bad;
  bad.permutations = 1;
  EXPECT_FERRY_ERROR(pca.explain(X, bad), ErrorCode::kValue, "permutations >= 2");
  bad = ExplainOptions{};
  bad.threads = 0;
  EXPECT_FERRY_ERROR(pca.explain(X, bad), ErrorCode::kValue, "threads >= 1");
}

TEST(ExplainAgnostic, WithoutBackgroundMixingPipelinesAreRefused) {
  EditableArtifact a = EditableArtifact::from_case(case_dir("poly_ridge"));
  a.tensors.erase("explain.background");
  a.tensors.erase("explain.background_weights");
  a.header["explain"].erase("background");
  a.header["explain"].erase("background_weights");
  const Model model = a.load();
  const RowMatrixXd X = test::case_input(case_dir("poly_ridge"), model);
  EXPECT_FERRY_ERROR(model.explain(X), ErrorCode::kUnsupported, "mixes raw columns");
  EXPECT_FERRY_ERROR(model.explain(X), ErrorCode::kUnsupported, "exported without");
}

// Multi-thread explanations equal single-thread ones bit for bit, for every method.
TEST(ExplainAgnostic, ThreadsDoNotChangeValues) {
  for (const std::string dir : {"tests/data/tree_gb_multiclass", "artifacts/churn", "artifacts/hgb_categorical"}) {
    const Model model = Model::load(test::source_path(dir + "/model.ferry"));
    const Table input = cli::to_table(test::read_csv_file(test::source_path(dir + "/input.csv")), 0, 600);
    ExplainOptions one, two;
    two.threads = 2;
    EXPECT_EQ(model.explain(input, one).values, model.explain(input, two).values) << dir;
  }
}

// Rows given as codes (a categorical input's value indexes its categories, NaN is missing)
// as a Table, the way a host application would pass them.
Table table_of_codes(const Model& model, const RowMatrixXd& codes) {
  Table t;
  for (std::size_t j = 0; j < model.schema().inputs.size(); ++j) {
    const InputColumn& c = model.schema().inputs[j];
    if (c.kind == ColumnKind::kCategorical) {
      std::vector<std::optional<std::string>> text;
      for (Index r = 0; r < codes.rows(); ++r) {
        const double v = codes(r, static_cast<Index>(j));
        text.push_back(std::isnan(v) ? std::nullopt : std::optional<std::string>(c.categories.at(static_cast<std::size_t>(v))));
      }
      t.add_text(c.name, text);
    } else {
      const Eigen::VectorXd col = codes.col(static_cast<Index>(j));
      t.add_numeric(c.name, std::vector<double>(col.data(), col.data() + col.size()));
    }
  }
  return t;
}

// The closed forms of kInterventional (interventional TreeSHAP over raw-column groups, the
// linear formula) against Shapley values enumerated here through the public API: hybrid rows
// built column by column from the row and each stored background row, scored by predict().
TEST(ExplainAgnostic, ClosedFormsEqualEnumerationThroughThePublicApi) {
  for (const std::string dir : {"artifacts/churn", "artifacts/hgb_categorical", "tests/data/tree_gb_multiclass",
                                "tests/data/tree_hgb_regressor_nan"}) {
    SCOPED_TRACE(dir);
    const Model model = Model::load(test::source_path(dir + "/model.ferry"));
    const EditableArtifact a = EditableArtifact::from_case(dir);
    const auto M = static_cast<Index>(model.schema().inputs.size());
    ASSERT_LE(M, 12);
    const std::vector<double> flat = a.float64_of("explain.background");
    const std::vector<double> w = a.float64_of("explain.background_weights");
    const auto B = static_cast<Index>(w.size());
    const RowMatrixXd bg = Eigen::Map<const RowMatrixXd>(flat.data(), B, M);
    // Rows to explain: background rows in reverse order, so that every column differs somewhere.
    const Index rows = std::min<Index>(B, 6);
    const RowMatrixXd X = bg.colwise().reverse().topRows(rows);
    ExplainOptions options;
    options.method = Method::kInterventional;
    const Explanation e = model.explain(table_of_codes(model, X), options);
    EXPECT_EQ(std::string(to_string(e.method)), a.header["estimator"]["type"] == "linear" ? "linear_interventional" : "tree_interventional");
    const auto k = static_cast<Index>(e.values.size());
    double worst = 0.0;
    for (Index i = 0; i < rows; ++i) {
      // v(S) for every coalition: B hybrid rows each.
      const Index coalitions = Index(1) << M;
      RowMatrixXd H(coalitions * B, M);
      for (Index S = 0; S < coalitions; ++S)
        for (Index b = 0; b < B; ++b)
          for (Index j = 0; j < M; ++j) H(S * B + b, j) = (S >> j) & 1 ? X(i, j) : bg(b, j);
      const RowMatrixXd scores = model.predict(table_of_codes(model, H)).scores;
      RowMatrixXd v = RowMatrixXd::Zero(coalitions, k);
      for (Index S = 0; S < coalitions; ++S)
        for (Index b = 0; b < B; ++b) v.row(S) += w[static_cast<std::size_t>(b)] * scores.row(S * B + b);
      for (Index j = 0; j < M; ++j)
        for (Index c = 0; c < k; ++c) {
          double phi = 0.0;
          for (Index S = 0; S < coalitions; ++S) {
            if ((S >> j) & 1) continue;
            Index size = 0;
            for (Index t = 0; t < M; ++t) size += (S >> t) & 1;
            phi += std::tgamma(static_cast<double>(size + 1)) * std::tgamma(static_cast<double>(M - size)) /
                   std::tgamma(static_cast<double>(M + 1)) * (v(S | (Index(1) << j), c) - v(S, c));
          }
          worst = std::max(worst, std::abs(phi - e.values[static_cast<std::size_t>(c)](i, j)) /
                                      std::max(1.0, std::abs(phi)));
        }
      for (Index c = 0; c < k; ++c) EXPECT_NEAR(e.base_values(i, c), v(0, c), 1e-9 * std::max(1.0, std::abs(v(0, c))));
    }
    RecordProperty("max_relative_difference_" + dir, scientific(worst));
    EXPECT_LE(worst, 1e-9);
  }
}

// docs/format.md §3.5: the background's rules, each a format error naming the problem.
TEST(ExplainFormat, BackgroundIsChecked) {
  const std::string dir = case_dir("text_pca");
  auto edited = [&](auto&& edit) {
    EditableArtifact a = EditableArtifact::from_case(dir);
    edit(a);
    return a;
  };

  EXPECT_FERRY_ERROR(edited([](EditableArtifact& a) {
                       a.tensors.erase("explain.background_weights");
                       a.header["explain"].erase("background_weights");
                     }).load(),
                     ErrorCode::kFormat, "come together");
  // Column 3 ("plan") is categorical with 3 categories: index 3 is out of range, 1.5 is not one.
  for (const double bad : {3.0, 1.5, -1.0}) {
    EXPECT_FERRY_ERROR(edited([&](EditableArtifact& a) { a.set_float64_at("explain.background", 2 * 5 + 3, bad); })
                           .load(),
                       ErrorCode::kFormat, "background row 2 holds");
  }
  // "tenure" is numeric and not nullable.
  EXPECT_FERRY_ERROR(
      edited([&](EditableArtifact& a) { a.set_float64_at("explain.background", 0, std::nan("")); }).load(),
      ErrorCode::kFormat, "for input \"tenure\"");
  EXPECT_FERRY_ERROR(
      edited([&](EditableArtifact& a) { a.set_float64_at("explain.background_weights", 1, 0.0); }).load(),
      ErrorCode::kFormat, "background_weights[1]");
  EXPECT_FERRY_ERROR(
      edited([&](EditableArtifact& a) { a.set_float64_at("explain.background_weights", 1, 2.0); }).load(),
      ErrorCode::kFormat, "sum to");
  // "region" (column 4) is nullable: a missing background value is fine.
  EXPECT_NO_THROW(edited([&](EditableArtifact& a) { a.set_float64_at("explain.background", 4, std::nan("")); }).load());
}

}  // namespace
}  // namespace ferry::detail
