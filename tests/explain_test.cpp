// Model::explain: additivity on every shipped case an exact method covers, linear SHAP's
// closed form, raw-column grouping against brute-force Shapley values, the input overloads,
// and the errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "artifact/tensor_data.hpp"
#include "cli/csv.hpp"
#include "cli/explain.hpp"
#include "ferry/error.hpp"
#include "ferry/model.hpp"
#include "support/test_support.hpp"

namespace ferry::detail {
namespace {

using test::EditableArtifact;

RowMatrixXd float64_tensor(const artifact::Tensor& t, Index rows, Index cols) {
  RowMatrixXd m(rows, cols);
  artifact::copy_float64(t, m.data());
  return m;
}

// Largest |base + Σ values − score| relative to max(1, |score|, Σ|values|): the sum of the
// terms can only be as exact as the terms are large.
std::string scientific(double v) {
  std::ostringstream s;
  s << std::scientific << std::setprecision(2) << v;
  return s.str();
}

double additivity_error(const Explanation& e, const RowMatrixXd& scores) {
  double worst = 0.0;
  for (Index i = 0; i < scores.rows(); ++i)
    for (Index c = 0; c < scores.cols(); ++c) {
      const auto& v = e.values[static_cast<std::size_t>(c)];
      const double total = e.base_values(i, c) + v.row(i).sum();
      const double scale = std::max({1.0, std::abs(scores(i, c)), v.row(i).cwiseAbs().sum()});
      worst = std::max(worst, std::abs(total - scores(i, c)) / scale);
    }
  return worst;
}

bool mixes_columns(const nlohmann::json& steps) {
  for (const auto& s : steps) {
    const std::string type = s["type"];
    if (type == "linear_projection" || type == "polynomial_features" || type == "normalizer" ||
        type == "center_distances" || type == "kernel_pca" || type == "kernel_centerer" ||
        type == "pls_projection" || type == "iterative_imputer" || type == "tree_embedding" || type == "feature_hasher" ||
        (type == "tfidf_transformer" && !s["params"]["norm"].is_null()))
      return true;
    if (type == "column_transformer")
      for (const auto& b : s["params"]["transformers"])
        if (mixes_columns(b["steps"])) return true;
  }
  return false;
}

class ExplainGolden : public ::testing::TestWithParam<std::string> {};

// base + Σ values == the raw scores on every row of every case, by the method kAuto picks:
// the estimator's own exact method where the pipeline keeps raw columns apart, else the
// model-agnostic one over the stored background (exact up to 12 columns, sampled above).
TEST_P(ExplainGolden, AdditivityOnEveryRow) {
  const std::string dir = test::source_path(GetParam());
  const Model model = Model::load(dir + "/model.ferry");
  const auto input = test::read_csv_file(dir + "/input.csv");
  const EditableArtifact a = EditableArtifact::from_case(GetParam());
  const bool linear = a.header["estimator"]["type"] == "linear";
  const bool isolation = a.header["estimator"]["params"].value("link", "") == "isolation";
  // Linear models and tree ensembles (not IsolationForest) have an exact method of their own;
  // QuadraticDiscriminantAnalysis is explained model-agnostically.
  const bool exact = linear || (a.header["estimator"]["type"] == "tree_ensemble" && !isolation);
  const bool own = !mixes_columns(a.header["pipeline"]) && exact;
  const auto columns = static_cast<Index>(model.schema().inputs.size());
  // The model-agnostic methods run the model thousands of times per row: a few rows suffice.
  const Table table = own ? cli::to_table(input) : cli::to_table(input, 0, 4);
  bool free_text = false;
  for (const InputColumn& c : model.schema().inputs) free_text = free_text || c.kind == ColumnKind::kText;
  if (free_text && !own) {
    // Background rows cannot hold documents (docs/format.md 3.5): where the estimator's own
    // method does not apply, the explanation is refused, typed, naming what it lacks (issue 13
    // item 5 gives text a background of its own).
    EXPECT_FERRY_ERROR(model.explain(table), ErrorCode::kUnsupported, "background rows");
    return;
  }
  const Explanation e = model.explain(table);
  const std::string expected = own ? (linear ? "linear_exact" : "tree_path_dependent")
                               : columns <= 12 ? "interventional_exact"
                                               : "interventional_sampling";
  EXPECT_EQ(std::string(to_string(e.method)), expected);
  EXPECT_EQ(e.standard_errors.size(), expected == "interventional_sampling" ? e.values.size() : 0u);
  for (const RowMatrixXd& se : e.standard_errors) EXPECT_GE(se.minCoeff(), 0.0);
  const RowMatrixXd scores = model.predict(table).scores;
  ASSERT_EQ(e.rows(), scores.rows());
  ASSERT_EQ(e.base_values.cols(), scores.cols());
  ASSERT_EQ(e.values.size(), static_cast<std::size_t>(scores.cols()));
  ASSERT_EQ(e.output_names.size(), static_cast<std::size_t>(scores.cols()));
  std::vector<std::string> names;
  for (const auto& c : model.schema().inputs) names.push_back(c.name);
  EXPECT_EQ(e.feature_names, names);
  for (const auto& v : e.values) EXPECT_EQ(v.cols(), static_cast<Index>(names.size()));
  const double err = additivity_error(e, scores);
  RecordProperty("additivity_error", scientific(err));
  // XGBoost's float32 arithmetic makes its scores themselves exact to float32 only.
  const bool float32 = a.header["estimator"]["params"].value("accumulate", "") == "float32";
  EXPECT_LE(err, float32 ? 1e-6 : 1e-9) << GetParam();
  // The base value does not depend on the row.
  for (Index c = 0; c < e.base_values.cols(); ++c)
    EXPECT_EQ(e.base_values.col(c).minCoeff(), e.base_values.col(c).maxCoeff());
}

INSTANTIATE_TEST_SUITE_P(Artifacts, ExplainGolden, ::testing::ValuesIn(test::golden_cases()),
                         [](const auto& param_info) {
                           std::string name = param_info.param;
                           for (char& ch : name)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return name;
                         });

// Guards the skips above: most linear cases really are explained.
TEST(Explain, CoversTheLinearCases) {
  std::size_t explained = 0;
  for (const std::string& c : test::golden_cases()) {
    const EditableArtifact a = EditableArtifact::from_case(c);
    if (a.header["estimator"]["type"] != "linear" || mixes_columns(a.header["pipeline"])) continue;
    EXPECT_TRUE(a.header.contains("explain")) << c;
    ++explained;
  }
  EXPECT_GE(explained, 40u);
}

// StandardScaler + Ridge: phi_j = w_j (z_j − E[z_j]) with z the scaled input, and E[z] the
// mean of what the estimator received over the exporter's sample (here input.csv itself).
TEST(Explain, LinearClosedFormThroughAScaler) {
  const std::string dir = "artifacts/diabetes";
  const Model model = Model::load(test::source_path(dir + "/model.ferry"));
  const EditableArtifact a = EditableArtifact::from_case(dir);
  const RowMatrixXd X = test::case_input(dir, model);
  const RowMatrixXd Z = model.transform(X);
  const Index n = Z.cols();
  const RowMatrixXd w = float64_tensor(a.tensors.at(a.header["estimator"]["tensors"]["coef"]), 1, n);
  const double b = float64_tensor(a.tensors.at(a.header["estimator"]["tensors"]["intercept"]), 1, 1)(0, 0);
  const RowMatrixXd mean = float64_tensor(a.tensors.at(a.header["explain"]["background_mean"]), 1, n);
  // The exporter's background is the sample mean of the transformed input.
  EXPECT_LE((Z.colwise().mean() - mean).cwiseAbs().maxCoeff(), 1e-12);

  const Explanation e = model.explain(X);
  ASSERT_EQ(e.values.size(), 1u);
  double worst = 0.0;
  for (Index i = 0; i < X.rows(); ++i) {
    EXPECT_NEAR(e.base_values(i, 0), b + w.row(0).dot(mean.row(0)), 1e-12);
    for (Index j = 0; j < n; ++j)
      worst = std::max(worst, std::abs(e.values[0](i, j) - w(0, j) * (Z(i, j) - mean(0, j))));
  }
  EXPECT_LE(worst, 1e-15);
  // Averaged over the sample the attributions vanish: the base is the mean score.
  EXPECT_LE(e.values[0].colwise().mean().cwiseAbs().maxCoeff(), 1e-12);
}

// A multiclass linear model: one matrix per class, named by the class labels.
TEST(Explain, MulticlassOutputsAreTheClasses) {
  const Model model = Model::load(test::source_path("artifacts/iris/model.ferry"));
  const RowMatrixXd X = test::case_input("artifacts/iris", model);
  const Explanation e = model.explain(X);
  EXPECT_EQ(e.output_names, (std::vector<std::string>{"setosa", "versicolor", "virginica"}));
  EXPECT_LE(additivity_error(e, model.decision_function(X)), 1e-12);
  // Binary: one score, named by the positive class.
  const Model binary = Model::load(test::source_path("artifacts/breast_cancer/model.ferry"));
  EXPECT_EQ(binary.explain(test::case_input("artifacts/breast_cancer", binary)).output_names,
            (std::vector<std::string>{binary.schema().classes.to_string(1)}));
}

// Grouping: with the raw column as one player (all its derived columns switched on and off
// together) brute-force Shapley values over the interventional value function
// v(S) = w·h_S + b, h_S = z on S's derived columns and the background mean elsewhere, equal
// the summed attributions. Which derived columns belong to which raw column is found here
// independently, by changing one raw column at a time and watching the transformed output.
TEST(Explain, GroupingEqualsBruteForceWithTheGroupAsOnePlayer) {
  const std::string dir = "artifacts/churn";  // imputers, one-hot and ordinal encoders, text
  const Model model = Model::load(test::source_path(dir + "/model.ferry"));
  const EditableArtifact a = EditableArtifact::from_case(dir);
  const auto input = test::read_csv_file(test::source_path(dir + "/input.csv"));
  const std::size_t rows = 24;
  const Table table = cli::to_table(input, 0, rows);
  const RowMatrixXd Z = model.transform(table);
  const Index n = Z.cols();
  const auto m = static_cast<Index>(model.schema().inputs.size());
  ASSERT_LE(m, 12);

  // owner[f]: the raw column whose changes move transformed column f.
  std::vector<Index> owner(static_cast<std::size_t>(n), -1);
  for (Index j = 0; j < m; ++j) {
    const std::size_t col = test::column(input, model.schema().inputs[static_cast<std::size_t>(j)].name);
    for (std::size_t r = 0; r + 1 < input.rows.size() && r < 200; ++r) {
      cli::CsvTable changed = input;
      changed.rows.resize(1);
      changed.rows[0] = input.rows[r];
      changed.rows[0][col] = input.rows[r + 1][col];
      const RowMatrixXd z0 = model.transform(cli::to_table(input, r, 1));
      const RowMatrixXd z1 = model.transform(cli::to_table(changed));
      for (Index f = 0; f < n; ++f)
        if (!(z0(0, f) == z1(0, f))) {
          EXPECT_TRUE(owner[static_cast<std::size_t>(f)] == -1 || owner[static_cast<std::size_t>(f)] == j) << f;
          owner[static_cast<std::size_t>(f)] = j;
        }
    }
  }
  for (Index f = 0; f < n; ++f) ASSERT_GE(owner[static_cast<std::size_t>(f)], 0) << "column " << f << " never moved";

  const Index k = model.decision_function(table).cols();
  const RowMatrixXd w = float64_tensor(a.tensors.at(a.header["estimator"]["tensors"]["coef"]), k, n);
  const RowMatrixXd b = float64_tensor(a.tensors.at(a.header["estimator"]["tensors"]["intercept"]), 1, k);
  const RowMatrixXd mean = float64_tensor(a.tensors.at(a.header["explain"]["background_mean"]), 1, n);
  const Explanation e = model.explain(table);

  // Shapley weights |S|! (m − |S| − 1)! / m!.
  std::vector<double> fact(static_cast<std::size_t>(m) + 1, 1.0);
  for (Index i = 1; i <= m; ++i)
    fact[static_cast<std::size_t>(i)] = fact[static_cast<std::size_t>(i) - 1] * static_cast<double>(i);
  double worst = 0.0;
  for (Index i = 0; i < Z.rows(); ++i)
    for (Index c = 0; c < k; ++c) {
      auto v = [&](unsigned S) {
        double s = b(0, c);
        for (Index f = 0; f < n; ++f) {
          const bool on = (S >> owner[static_cast<std::size_t>(f)]) & 1u;
          s += w(c, f) * (on ? Z(i, f) : mean(0, f));
        }
        return s;
      };
      for (Index j = 0; j < m; ++j) {
        double phi = 0.0;
        for (unsigned S = 0; S < (1u << m); ++S) {
          if ((S >> j) & 1u) continue;
          const int size = __builtin_popcount(S);
          phi += fact[static_cast<std::size_t>(size)] * fact[static_cast<std::size_t>(m - size - 1)] /
                 fact[static_cast<std::size_t>(m)] * (v(S | (1u << j)) - v(S));
        }
        worst = std::max(worst, std::abs(phi - e.values[static_cast<std::size_t>(c)](i, j)));
      }
      EXPECT_NEAR(e.base_values(i, c), v(0), 1e-12);
    }
  RecordProperty("max_abs_diff", scientific(worst));
  EXPECT_LE(worst, 1e-9);
}

// Table, Row, double and float input explain the same rows the same way.
TEST(Explain, TableRowAndDenseInputsAgree) {
  const Model model = Model::load(test::source_path("artifacts/iris/model.ferry"));
  const RowMatrixXd X = test::case_input("artifacts/iris", model);
  const Explanation dense = model.explain(X);
  const auto input = test::read_csv_file(test::source_path("artifacts/iris/input.csv"));
  const Explanation named = model.explain(cli::to_table(input));
  ASSERT_EQ(named.values.size(), dense.values.size());
  for (std::size_t c = 0; c < dense.values.size(); ++c) EXPECT_EQ(named.values[c], dense.values[c]);
  EXPECT_EQ(named.base_values, dense.base_values);

  Row row;
  for (Index j = 0; j < X.cols(); ++j) row.set(model.schema().inputs[static_cast<std::size_t>(j)].name, X(7, j));
  const Explanation one = model.explain(row);
  ASSERT_EQ(one.rows(), 1);
  for (std::size_t c = 0; c < dense.values.size(); ++c) EXPECT_EQ(one.values[c].row(0), dense.values[c].row(7));

  const RowMatrixXf Xf = X.cast<float>();
  const Explanation single = model.explain(Xf);
  EXPECT_EQ(single.values[0], model.explain(RowMatrixXd(Xf.cast<double>())).values[0]);
  // No rows: empty matrices of the right width.
  const Explanation none = model.explain(RowMatrixXd(0, X.cols()));
  EXPECT_EQ(none.rows(), 0);
  EXPECT_EQ(none.values[0].cols(), X.cols());
}

// Path-dependent TreeSHAP over raw columns needs each transformed column to come from one.
TEST(Explain, PathDependentRefusesPipelinesThatMixColumns) {
  const std::string c = "tests/data/shap_agnostic_normalizer_gb";  // Normalizer, GradientBoosting
  const Model model = Model::load(test::source_path(c + "/model.ferry"));
  const RowMatrixXd X = test::case_input(c, model);
  ExplainOptions options;
  options.method = ExplainOptions::Method::kPathDependent;
  EXPECT_FERRY_ERROR(model.explain(X, options), ErrorCode::kUnsupported, "mixes several raw input columns");
  // And names the transformed column.
  EXPECT_FERRY_ERROR(model.explain(X, options), ErrorCode::kUnsupported, model.transformed_feature_names().front());
}

TEST(Explain, LinearWithoutBackgroundIsUnsupported) {
  EditableArtifact a = EditableArtifact::from_case("artifacts/iris");
  for (const auto& [key, name] : a.header["explain"].items()) a.tensors.erase(name.get<std::string>());
  a.header.erase("explain");
  const Model model = a.load();
  EXPECT_FERRY_ERROR(model.explain(test::case_input("artifacts/iris", model)), ErrorCode::kUnsupported,
                     "was exported without");
}

TEST(Explain, ErrorsOfTheInputAreThoseOfPredict) {
  const Model model = Model::load(test::source_path("artifacts/iris/model.ferry"));
  EXPECT_FERRY_ERROR(model.explain(RowMatrixXd(1, 3)), ErrorCode::kShape, "input has 3 columns");
  EXPECT_FERRY_ERROR(model.explain(Row().set("sepal length (cm)", 1.0)), ErrorCode::kSchema, "is missing");
}

// docs/format.md §3.5: the background mean is validated at load.
TEST(ExplainFormat, BackgroundMeanIsChecked) {
  const std::string name = "explain.background_mean";
  {
    EditableArtifact a = EditableArtifact::from_case("artifacts/iris");
    a.header["explain"]["background_mean"] = "explain.nope";
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "refers to missing tensor \"explain.nope\"");
  }
  {
    EditableArtifact a = EditableArtifact::from_case("artifacts/iris");
    const double v[3] = {1, 2, 3};
    a.tensors[name] = artifact::make_float64({3}, v);
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "expected float64 of shape [4]");
  }
  {
    EditableArtifact a = EditableArtifact::from_case("artifacts/iris");
    const double v[4] = {1, 2, NAN, 3};
    a.tensors[name] = artifact::make_float64({4}, v);
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "non-finite value at index 2");
  }
  {
    // Left without its section the tensor is unreferenced.
    EditableArtifact a = EditableArtifact::from_case("artifacts/iris");
    a.header.erase("explain");
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "tensor \"explain.background");
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "is not referenced");
  }
}

// `ferry explain`'s CSV: blocks named <output>/<column> for several outputs, plain names for
// one; every cell reads back to the exact value; --top keeps K cells per row and output.
TEST(ExplainCli, CsvLayoutAndTop) {
  for (const std::string dir : {"artifacts/iris", "artifacts/diabetes"}) {
    const Model model = Model::load(test::source_path(dir + "/model.ferry"));
    std::ifstream in(test::source_path(dir + "/input.csv"));
    const cli::CsvTable csv = cli::read_csv(in);
    std::ostringstream warnings;
    RowMatrixXd scores;
    for (int top : {0, 2}) {
      cli::ExplainArgs args;
      args.top = top;
      const Explanation e = cli::explain_csv(model, csv, args, scores, warnings);
      std::ostringstream out;
      cli::write_explanation_csv(e, args, out);
      std::istringstream back(out.str());
      const cli::CsvTable got = cli::read_csv(back);
      ASSERT_EQ(got.rows.size(), csv.rows.size());
      const bool blocks = e.values.size() > 1;
      std::size_t col = 0;
      for (std::size_t c = 0; c < e.values.size(); ++c) {
        const std::string prefix = blocks ? e.output_names[c] + "/" : "";
        ASSERT_EQ(got.header[col], prefix + "base_value");
        for (std::size_t i = 0; i < got.rows.size(); ++i)
          EXPECT_EQ(std::stod(got.rows[i][col]), e.base_values(static_cast<Index>(i), static_cast<Index>(c)));
        ++col;
        for (std::size_t j = 0; j < e.feature_names.size(); ++j, ++col) {
          ASSERT_EQ(got.header[col], prefix + model.schema().inputs[j].name);
        }
        for (std::size_t i = 0; i < got.rows.size(); ++i) {
          std::size_t filled = 0;
          double smallest_kept = INFINITY, largest_dropped = 0.0;
          for (std::size_t j = 0; j < e.feature_names.size(); ++j) {
            const std::string& cell = got.rows[i][col - e.feature_names.size() + j];
            const double v = e.values[c](static_cast<Index>(i), static_cast<Index>(j));
            if (cell.empty()) {
              largest_dropped = std::max(largest_dropped, std::abs(v));
            } else {
              ++filled;
              EXPECT_EQ(std::stod(cell), v);
              smallest_kept = std::min(smallest_kept, std::abs(v));
            }
          }
          EXPECT_EQ(filled, top == 0 ? e.feature_names.size() : static_cast<std::size_t>(top));
          EXPECT_GE(smallest_kept, largest_dropped);
        }
      }
      EXPECT_EQ(col, got.header.size());
    }
  }
}

// The report escapes names and values, holds one chart per shown row and output, and says
// when rows were left out.
TEST(ExplainCli, HtmlReportEscapesAndCapsRows) {
  Explanation e;
  const Index rows = cli::kReportRows + 3;
  e.base_values = RowMatrixXd::Constant(rows, 1, 0.5);
  e.values.push_back(RowMatrixXd::Random(rows, 2));
  e.feature_names = {"a<b", "c&d"};
  e.output_names = {"y"};
  e.method = Explanation::Method::kLinearExact;
  cli::CsvTable csv;
  csv.header = {"a<b", "c&d"};
  for (Index i = 0; i < rows; ++i) {
    csv.rows.push_back({"<script>", "1"});
    csv.row_lines.push_back(static_cast<std::size_t>(i) + 2);
  }
  RowMatrixXd scores = e.base_values + e.values[0].rowwise().sum();
  std::ostringstream out;
  cli::write_explanation_html(e, scores, csv, "t<", out);
  const std::string page = out.str();
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_EQ(page.find("a<b"), std::string::npos);
  EXPECT_NE(page.find("a&lt;b = &lt;script&gt;"), std::string::npos);
  EXPECT_NE(page.find("first 50 of 53 rows"), std::string::npos);
  std::size_t charts = 0;
  for (std::size_t at = page.find("<svg"); at != std::string::npos; at = page.find("<svg", at + 1)) ++charts;
  EXPECT_EQ(charts, 1u + static_cast<std::size_t>(cli::kReportRows));
}

// A linear model on a text column: each row's terms carry its weight times its value, so their
// sum is the score without the intercept, which an empty document scores alone; no term twice,
// each one a term of the document, largest first.
TEST(ExplainText, TermsAddUpToTheScoreAboveAnEmptyDocument) {
  const Model model = Model::load(test::source_path("tests/data/text_tfidf_word") + "/model.ferry");
  const std::vector<std::string> docs = {"", "great service, fast delivery", "bad bad slow awful", "zebra"};
  Table t;
  t.add_text(model.schema().inputs[0].name, std::vector<std::optional<std::string>>(docs.begin(), docs.end()));
  const Prediction p = model.predict(t);
  const Explanation e = model.explain(t);
  ASSERT_EQ(e.terms.size(), docs.size());
  EXPECT_TRUE(e.terms[0].empty());
  EXPECT_TRUE(e.terms[3].empty()) << "an unknown word is no term";
  const Index k = p.scores.cols();
  for (std::size_t i = 1; i < 3; ++i) {
    ASSERT_FALSE(e.terms[i].empty()) << docs[i];
    std::set<std::string> seen;
    std::vector<double> sum(static_cast<std::size_t>(k), 0.0);
    double previous = std::numeric_limits<double>::infinity();
    for (const Explanation::Term& term : e.terms[i]) {
      EXPECT_EQ(term.column, e.feature_names[0]);
      EXPECT_TRUE(seen.insert(term.feature).second) << term.feature;
      EXPECT_NE(docs[i].find(term.feature.substr(0, term.feature.find(' '))), std::string::npos) << term.feature;
      ASSERT_EQ(term.values.size(), static_cast<std::size_t>(k));
      double largest = 0.0;
      for (Index c = 0; c < k; ++c) {
        sum[static_cast<std::size_t>(c)] += term.values[static_cast<std::size_t>(c)];
        largest = std::max(largest, std::abs(term.values[static_cast<std::size_t>(c)]));
      }
      EXPECT_LE(largest, previous);
      previous = largest;
    }
    for (Index c = 0; c < k; ++c)
      EXPECT_NEAR(sum[static_cast<std::size_t>(c)], p.scores(static_cast<Index>(i), c) - p.scores(0, c), 1e-12);
  }
}

// Terms are for estimators linear in their input: a tree ensemble's explanation has none.
TEST(ExplainText, NoTermsWithoutTextOrWeights) {
  const Model model = Model::load(test::source_path("artifacts/iris") + "/model.ferry");
  const RowMatrixXd X = RowMatrixXd::Constant(2, model.schema().inputs.size(), 1.0);
  EXPECT_TRUE(model.explain(X).terms.empty());
}

}  // namespace
}  // namespace ferry::detail
