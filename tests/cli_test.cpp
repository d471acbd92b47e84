// The command-line tool's commands and its CSV reader.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/csv.hpp"
#include "ferry/error.hpp"
#include "support/test_support.hpp"

namespace ferry::cli {
namespace {

CsvTable parse(const std::string& text) {
  std::istringstream in(text);
  return read_csv(in);
}

std::string model_path(const std::string& name) { return detail::test::source_path("artifacts/" + name + "/model.ferry"); }

std::string run_predict(const std::string& name, const std::string& csv, bool proba, bool strict = false,
                        std::string* warnings = nullptr) {
  std::istringstream in(csv);
  std::ostringstream out, log;
  predict(model_path(name), in, out, PredictArgs{proba, strict}, log);
  if (warnings != nullptr) *warnings = log.str();
  return out.str();
}

TEST(Csv, QuotesCrlfAndByteOrderMark) {
  const CsvTable t = parse("\xEF\xBB\xBF" "a,\"b, c\",\"say \"\"hi\"\"\"\r\n1,\"2\n3\",\r\n4,5,6");
  EXPECT_EQ(t.header, (std::vector<std::string>{"a", "b, c", "say \"hi\""}));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0], (std::vector<std::string>{"1", "2\n3", ""}));
  EXPECT_EQ(t.row_lines, (std::vector<std::size_t>{2, 4}));
}

TEST(Csv, MalformedInputNamesTheLine) {
  EXPECT_FERRY_ERROR(parse("a,b\n1,2\n3\n"), ErrorCode::kValue, "CSV line 3: 1 fields, but the header has 2");
  EXPECT_FERRY_ERROR(parse("a,b\n1,\"2\n"), ErrorCode::kValue, "line 2: a quoted field is never closed");
  EXPECT_FERRY_ERROR(parse("a,b\n1,2\"x\n"), ErrorCode::kValue, "line 2: a quote inside an unquoted field");
  EXPECT_FERRY_ERROR(parse(""), ErrorCode::kValue, "needs a header row");
}

TEST(Csv, QuotingForOutput) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"x\""), "\"say \"\"x\"\"\"");
}

TEST(CliPredict, ColumnsAreMatchedByNameInAnyOrder) {
  // Iris columns reversed, plus an extra column the model ignores.
  const std::string csv =
      "extra,petal width (cm),petal length (cm),sepal width (cm),sepal length (cm)\n"
      "zzz,0.2,1.4,3.5,5.1\n"
      "zzz,2.3,5.4,3.0,6.2\n";
  EXPECT_EQ(run_predict("iris", csv, false), "prediction\nsetosa\nvirginica\n");
  const std::string with_proba = run_predict("iris", csv, true);
  EXPECT_EQ(with_proba.substr(0, with_proba.find('\n')), "prediction,proba_setosa,proba_versicolor,proba_virginica");
}

// `ferry predict --proba` on a shipped case's input.csv: labels equal scikit-learn's and the
// `proba_columns` within 1e-12. Returns what went to the warnings stream.
std::string expect_case_matches_scikit_learn(const std::string& case_dir,
                                             std::initializer_list<const char*> proba_columns) {
  const std::string dir = detail::test::source_path(case_dir + "/");
  std::ifstream in(dir + "input.csv");
  std::ostringstream out, log;
  predict(dir + "model.ferry", in, out, PredictArgs{true, false}, log);
  std::istringstream printed(out.str());
  const CsvTable got = read_csv(printed);
  const CsvTable expected = detail::test::read_csv_file(dir + "expected.csv");
  EXPECT_EQ(got.rows.size(), expected.rows.size());
  if (got.rows.size() != expected.rows.size()) return log.str();
  double worst = 0;
  for (const char* col : proba_columns) {
    const std::size_t g = detail::test::column(got, col), e = detail::test::column(expected, col);
    for (std::size_t i = 0; i < got.rows.size(); ++i)
      worst = std::max(worst, std::abs(std::stod(got.rows[i][g]) - std::stod(expected.rows[i][e])));
  }
  for (std::size_t i = 0; i < got.rows.size(); ++i)
    EXPECT_EQ(got.rows[i][0], expected.rows[i][detail::test::column(expected, "prediction")]) << "row " << i;
  EXPECT_LE(worst, 1e-12);
  return log.str();
}

TEST(CliPredict, ProbabilitiesMatchScikitLearnOnBreastCancer) {
  EXPECT_EQ(expect_case_matches_scikit_learn("artifacts/breast_cancer", {"proba_0", "proba_1"}), "");
}

TEST(CliPredict, BadInputNamesRowAndColumn) {
  EXPECT_FERRY_ERROR(run_predict("iris", "sepal length (cm),sepal width (cm)\n1,2\n", false), ErrorCode::kSchema,
                     "column \"petal length (cm)\" is missing");
  const std::string header = "sepal length (cm),sepal width (cm),petal length (cm),petal width (cm)\n";
  EXPECT_FERRY_ERROR(run_predict("iris", header + "1,2,3,4\n1,two,3,4\n", false), ErrorCode::kValue,
                     "column \"sepal width (cm)\", row 1: \"two\" is not a number (CSV line 3)");
  EXPECT_FERRY_ERROR(run_predict("iris", header + "1,2,3,4\n1,2,3\n", false), ErrorCode::kValue,
                     "CSV line 3: 3 fields, but the header has 4");
  EXPECT_FERRY_ERROR(run_predict("iris", header + "1,2,,4\n", false), ErrorCode::kValue,
                     "column \"petal length (cm)\", row 0: a missing value, which the pipeline cannot take (CSV line 2)");
  EXPECT_FERRY_ERROR(run_predict("iris", "a,a\n1,2\n", false), ErrorCode::kSchema,
                     "CSV header: the table already has a column \"a\"");
}

TEST(CliPredict, CountedProblemsAreWarningsAndStrictRefusesExtraColumns) {
  const std::string csv =
      "petal width (cm),note,sepal length (cm),sepal width (cm),petal length (cm)\n0.2,x,5.1,3.5,1.4\n0.2,y,99,3.5,1.4\n";
  std::string warnings;
  const std::string out = run_predict("iris", csv, false, false, &warnings);
  EXPECT_EQ(out.substr(0, out.find('\n')), "prediction");
  EXPECT_NE(warnings.find("warning: column \"sepal length (cm)\", row 1: 99 is outside the training range"),
            std::string::npos)
      << warnings;
  EXPECT_NE(warnings.find("warning: column \"note\" is not an input of the model; it is ignored"), std::string::npos)
      << warnings;
  EXPECT_FERRY_ERROR(run_predict("iris", csv, false, true), ErrorCode::kSchema,
                     "column \"note\" is not an input of the model (strict mode)");
}

TEST(CliPredict, EmptyCellsAreImputed) {
  // An imputing model takes empty cells (missing values) and gives scikit-learn's predictions.
  const CsvTable input = detail::test::read_csv_file(detail::test::source_path("tests/data/impute_most_frequent/input.csv"));
  bool had_empty = false;
  for (const auto& row : input.rows)
    for (const auto& cell : row) had_empty = had_empty || cell.empty();
  EXPECT_TRUE(had_empty);
  EXPECT_EQ(expect_case_matches_scikit_learn("tests/data/impute_most_frequent", {"proba_0", "proba_1", "proba_2"}),
            "");
}

TEST(CliPredict, TextColumnsAndMissingValuesFromCsv) {
  // artifacts/churn: text columns, empty cells in text and numeric columns, unseen categories.
  const std::string log = expect_case_matches_scikit_learn("artifacts/churn", {"proba_churned", "proba_stayed"});
  EXPECT_NE(log.find("warning: column \"plan\", row 150: \"platinum\" was not seen in training (CSV line 152)"),
            std::string::npos)
      << log;
}

TEST(CliPredict, ProbaOnARegressorIsRefused) {
  EXPECT_FERRY_ERROR(run_predict("diabetes", "x0\n1\n", true), ErrorCode::kUnsupported, "--proba needs a classifier");
}

TEST(CliPredict, ProbaOnAnIsolationForestIsRefused) {
  std::ifstream in(detail::test::source_path("tests/data/tree_iforest/input.csv"));
  std::ostringstream out, log;
  EXPECT_FERRY_ERROR(predict(detail::test::source_path("tests/data/tree_iforest/model.ferry"), in, out, PredictArgs{true, false}, log),
                     ErrorCode::kUnsupported, "has no predict_proba");
}

TEST(CliInspect, PrintsHeaderAndTensorTable) {
  std::ostringstream out;
  inspect(model_path("diabetes"), out);
  const std::string text = out.str();
  EXPECT_NE(text.find("format 1.2"), std::string::npos);  // a linear model with its explain background
  EXPECT_NE(text.find("\"standard_scaler\""), std::string::npos);
  EXPECT_NE(text.find("estimator.coef"), std::string::npos);
  EXPECT_NE(text.find("float64  [1, 10]"), std::string::npos) << text;
}

TEST(CliVerify, ReportsTheRowsChecked) {
  std::ostringstream out;
  verify(model_path("iris"), out);
  EXPECT_EQ(out.str(), "ok: iris 1.0.0 reproduces scikit-learn's outputs on its 16 embedded rows\n");
}

}  // namespace
}  // namespace ferry::cli
