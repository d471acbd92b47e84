// Named input: ferry::Table and ferry::Row bound by name, and the validation policy (what is
// refused with which error, what is counted in Prediction::warnings).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "ferry/model.hpp"
#include "support/test_support.hpp"

namespace ferry::detail {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const char* const kSepalLength = "sepal length (cm)";
const char* const kSepalWidth = "sepal width (cm)";
const char* const kPetalLength = "petal length (cm)";
const char* const kPetalWidth = "petal width (cm)";

Model iris() { return Model::load(test::source_path("artifacts/iris/model.ferry")); }

// Two iris rows, columns deliberately not in schema order.
Table iris_table() {
  Table t;
  t.add_numeric(kPetalWidth, {0.2, 1.8})
      .add_numeric(kSepalWidth, {3.5, 3.0})
      .add_numeric(kPetalLength, {1.4, 5.1})
      .add_numeric(kSepalLength, {5.1, 5.9});
  return t;
}

RowMatrixXd iris_dense() {
  RowMatrixXd X(2, 4);
  X << 5.1, 3.5, 1.4, 0.2, 5.9, 3.0, 5.1, 1.8;
  return X;
}

const ValidationIssue* find_issue(const std::vector<ValidationIssue>& issues, IssueKind kind) {
  for (const ValidationIssue& i : issues)
    if (i.kind == kind) return &i;
  return nullptr;
}

TEST(Table, RefusesEmptyRepeatedAndRaggedColumns) {
  Table t;
  t.add_numeric("a", {1, 2});
  EXPECT_FERRY_ERROR(t.add_numeric("", {1, 2}), ErrorCode::kSchema, "needs a name");
  EXPECT_FERRY_ERROR(t.add_text("a", {"x", "y"}), ErrorCode::kSchema, "already has a column \"a\"");
  EXPECT_FERRY_ERROR(t.add_numeric("b", {1, 2, 3}), ErrorCode::kShape, "column \"b\" has 3 values but the table has 2");
  EXPECT_EQ(t.rows(), 2);
  ASSERT_NE(t.find("a"), nullptr);
  EXPECT_EQ(t.find("b"), nullptr);
}

TEST(Table, BindsByNameNotPosition) {
  const Model model = iris();
  const Prediction by_name = model.predict(iris_table());
  const Prediction dense = model.predict(iris_dense());
  EXPECT_EQ(by_name.scores, dense.scores);
  EXPECT_EQ(by_name.class_index, dense.class_index);
  EXPECT_TRUE(by_name.warnings.empty());
  EXPECT_EQ(model.transform(iris_table()), model.transform(iris_dense()));
  EXPECT_EQ(model.predict_proba(iris_table()), model.predict_proba(iris_dense()));
  EXPECT_EQ(model.decision_function(iris_table()), model.decision_function(iris_dense()));
}

TEST(Table, TextIsParsedForNumericInputs) {
  Table t;
  t.add_text(kSepalLength, {"5.1", " 5.9 "})
      .add_text(kSepalWidth, {"3.5", "+3.0"})
      .add_text(kPetalLength, {"1.4", "5.1"})
      .add_text(kPetalWidth, {"2e-1", "1.8"});
  EXPECT_EQ(iris().predict(t).scores, iris().predict(iris_dense()).scores);
}

TEST(Row, IsAOneRowTable) {
  Row r;
  r.set(kSepalLength, 5.9).set(kSepalWidth, 3).set(kPetalLength, 5.1).set(kPetalWidth, 0.0).set(kPetalWidth, 1.8);
  const Prediction p = iris().predict(r);
  ASSERT_EQ(p.rows(), 1);
  EXPECT_EQ(p.scores, iris().predict(RowMatrixXd(iris_dense().row(1))).scores);
  EXPECT_FERRY_ERROR(r.set("", 1.0), ErrorCode::kSchema, "needs a column name");
  // Text fits a numeric input when it is a number; a missing value fits any input.
  r.set(kSepalWidth, "3.0");
  EXPECT_EQ(iris().predict(r).scores, p.scores);
  r.set_missing(kSepalWidth);
  EXPECT_FERRY_ERROR(iris().predict(r), ErrorCode::kValue,
                     "column \"sepal width (cm)\", row 0: a missing value, which the pipeline cannot take");
}

TEST(Validation, MissingColumnIsASchemaError) {
  Table t;
  t.add_numeric(kSepalLength, {5.1}).add_numeric(kSepalWidth, {3.5}).add_numeric(kPetalLength, {1.4});
  EXPECT_FERRY_ERROR(iris().predict(t), ErrorCode::kSchema, "column \"petal width (cm)\" is missing");
  const ValidationReport report = iris().validate(t);
  EXPECT_FALSE(report.ok());
  const ValidationIssue* issue = find_issue(report.issues, IssueKind::kMissingColumn);
  ASSERT_NE(issue, nullptr);
  EXPECT_EQ(issue->column, kPetalWidth);
  EXPECT_TRUE(issue->fatal);
}

TEST(Validation, TextThatIsNotANumberNamesColumnAndRow) {
  Table t = iris_table();
  Table bad;
  for (const TableColumn& c : t.columns()) {
    if (c.name == kSepalWidth)
      bad.add_text(c.name, {"3.5", "three"});
    else
      bad.add_numeric(c.name, c.numbers);
  }
  EXPECT_FERRY_ERROR(iris().predict(bad), ErrorCode::kValue,
                     "column \"sepal width (cm)\", row 1: \"three\" is not a number");
}

TEST(Validation, MissingValuesAndInfinitiesNameColumnAndRowAndCountRows) {
  Table t;
  t.add_numeric(kSepalLength, {5.1, kNaN, 5.0, kNaN})
      .add_numeric(kSepalWidth, {3.5, 3.0, std::numeric_limits<double>::infinity(), 3.0})
      .add_numeric(kPetalLength, {1.4, 1.4, 1.4, 1.4})
      .add_numeric(kPetalWidth, {0.2, 0.2, 0.2, 0.2});
  EXPECT_FERRY_ERROR(iris().predict(t), ErrorCode::kValue,
                     "column \"sepal length (cm)\", row 1: a missing value, which the pipeline cannot take (2 rows in "
                     "all)");
  const ValidationReport report = iris().validate(t);
  const ValidationIssue* missing = find_issue(report.issues, IssueKind::kMissingValue);
  const ValidationIssue* infinite = find_issue(report.issues, IssueKind::kNotFinite);
  ASSERT_NE(missing, nullptr);
  ASSERT_NE(infinite, nullptr);
  EXPECT_EQ(missing->rows, 2);
  EXPECT_EQ(missing->first_row, 1);
  EXPECT_EQ(infinite->column, kSepalWidth);
  EXPECT_EQ(infinite->message, "column \"sepal width (cm)\", row 2: +infinity is not allowed");
}

TEST(Validation, OutOfRangeAndExtraColumnsAreCountedStrictRefusesExtras) {
  Table t = iris_table();
  t.add_numeric("comment", {1, 2});
  Table far;
  for (const TableColumn& c : t.columns())
    far.add_numeric(c.name, c.name == kPetalLength ? std::vector<double>{100.0, -5.0} : c.numbers);
  const Prediction p = iris().predict(far);
  ASSERT_EQ(p.warnings.size(), 2u);
  const ValidationIssue* range = find_issue(p.warnings, IssueKind::kOutOfRange);
  ASSERT_NE(range, nullptr);
  EXPECT_FALSE(range->fatal);
  EXPECT_EQ(range->rows, 2);
  EXPECT_NE(range->message.find("column \"petal length (cm)\", row 0: 100 is outside the training range [1, 6.9] (2 "
                                "rows in all)"),
            std::string::npos)
      << range->message;
  const ValidationIssue* extra = find_issue(p.warnings, IssueKind::kExtraColumn);
  ASSERT_NE(extra, nullptr);
  EXPECT_EQ(extra->column, "comment");
  PredictOptions strict;
  strict.strict = true;
  EXPECT_FERRY_ERROR(iris().predict(far, strict), ErrorCode::kSchema,
                     "column \"comment\" is not an input of the model (strict mode)");
  EXPECT_FALSE(iris().validate(far, strict).ok());
  EXPECT_TRUE(iris().validate(far).ok());
}

TEST(Validation, AStepThatRefusesAValueIsReported) {
  // MissingIndicator(error_on_new=True) refuses a NaN in a column that had none at fit.
  const Model model = Model::load(test::source_path("tests/data/impute_missing_indicator/model.ferry"));
  const auto csv = test::read_csv_file(test::source_path("tests/data/impute_missing_indicator/input.csv"));
  Table t;
  for (std::size_t c = 0; c < csv.header.size(); ++c) t.add_numeric(csv.header[c], {kNaN});
  const ValidationReport report = model.validate(t);
  const ValidationIssue* rejected = find_issue(report.issues, IssueKind::kRejected);
  ASSERT_NE(rejected, nullptr);
  EXPECT_EQ(rejected->code, ErrorCode::kValue);
  EXPECT_NE(rejected->message.find("row 0, column"), std::string::npos) << rejected->message;
  EXPECT_FERRY_ERROR(model.predict(t), ErrorCode::kValue, "error_on_new=True");
}

TEST(Validation, ImputedColumnsTakeMissingValues) {
  const Model model = Model::load(test::source_path("tests/data/compose_column_transformer/model.ferry"));
  const auto csv = test::read_csv_file(test::source_path("tests/data/compose_column_transformer/input.csv"));
  Table t = cli::to_table(csv, 0, 1);
  Table with_gap;
  for (const TableColumn& c : t.columns()) {
    if (c.name == "bmi")
      with_gap.add_numeric(c.name, {kNaN});
    else
      with_gap.add_text(c.name, c.text);
  }
  EXPECT_TRUE(model.validate(with_gap).ok());
  EXPECT_EQ(model.predict(with_gap).rows(), 1);
  Table no_imputer;  // "s1" goes to a MinMaxScaler only
  for (const TableColumn& c : t.columns()) {
    if (c.name == "s1")
      no_imputer.add_numeric(c.name, {kNaN});
    else
      no_imputer.add_text(c.name, c.text);
  }
  EXPECT_FERRY_ERROR(model.predict(no_imputer), ErrorCode::kValue, "column \"s1\", row 0: a missing value");
}

}  // namespace
}  // namespace ferry::detail

namespace ferry::detail {
namespace {

// artifacts/churn: numeric and text inputs, missing values, OneHotEncoder(handle_unknown="ignore").
Model churn() { return Model::load(test::source_path("artifacts/churn/model.ferry")); }

Row churn_row() {
  return Row()
      .set("tenure_months", 14)
      .set("monthly_fee", 39.5)
      .set("support_calls", 2)
      .set("plan", "pro")
      .set("region", "north")
      .set("payment_method", "card")
      .set("contract", "one-year");
}

TEST(TextInput, DenseInputIsRefusedForTextModels) {
  RowMatrixXd X = RowMatrixXd::Zero(1, 7);
  EXPECT_FERRY_ERROR(churn().predict(X), ErrorCode::kSchema, "input \"plan\" is text; pass the input as a ferry::Table");
}

TEST(TextInput, UnseenCategoriesAreCountedAndIgnoredByTheEncoder) {
  Row unseen = churn_row();
  unseen.set("region", "atlantis");
  const Prediction p = churn().predict(unseen);
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_EQ(p.warnings[0].kind, IssueKind::kUnknownCategory);
  EXPECT_EQ(p.warnings[0].message, "column \"region\", row 0: \"atlantis\" was not seen in training");
  // handle_unknown="ignore": the region contributes nothing, whatever the unseen value is.
  Row other = churn_row();
  other.set("region", "");  // the empty string is a value, and an unseen one
  EXPECT_EQ(churn().predict(other).scores, p.scores);
  EXPECT_NE(churn().predict(churn_row()).scores, p.scores);
}

// A header with no rows (found by the CSV fuzzer: binding formed a pointer into empty storage,
// which UBSan reports): an empty prediction, for numeric and text inputs alike.
TEST(Table, NoRowsGiveAnEmptyPrediction) {
  Table numbers;
  numbers.add_numeric(kPetalWidth, {}).add_numeric(kSepalWidth, {}).add_numeric(kPetalLength, {}).add_numeric(
      kSepalLength, {});
  EXPECT_EQ(iris().predict(numbers).rows(), 0);
  EXPECT_TRUE(iris().validate(numbers).ok());
  Table text;
  const Table one = churn_row();
  for (const TableColumn& c : one.columns()) {
    if (c.is_text)
      text.add_text(c.name, {});
    else
      text.add_numeric(c.name, {});
  }
  EXPECT_EQ(churn().predict(text).rows(), 0);
}

TEST(TextInput, MissingTextIsImputed) {
  Row missing = churn_row();
  missing.set_missing("plan");
  Row unknown = churn_row();
  unknown.set("plan", "unknown");  // the imputer's fill value, a category of the encoder
  EXPECT_EQ(churn().predict(missing).scores, churn().predict(unknown).scores);
  EXPECT_TRUE(churn().validate(missing).ok());
}

TEST(TextInput, NumbersForATextInputAreASchemaError) {
  Table t = churn_row();
  Table bad;
  for (const TableColumn& c : t.columns()) {
    if (c.name == "plan")
      bad.add_numeric("plan", {3.0});
    else if (c.is_text)
      bad.add_text(c.name, c.text);
    else
      bad.add_numeric(c.name, c.numbers);
  }
  EXPECT_FERRY_ERROR(churn().predict(bad), ErrorCode::kSchema,
                     "column \"plan\" holds numbers, but the model takes text there");
  const ValidationReport report = churn().validate(bad);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.issues[0].kind, IssueKind::kWrongType);
}

TEST(TextInput, RowEqualsItsRowInABatch) {
  Table batch;
  batch.add_numeric("tenure_months", {1, 14})
      .add_numeric("monthly_fee", {19.0, 39.5})
      .add_numeric("support_calls", {0, 2})
      .add_text("plan", {std::nullopt, "pro"})
      .add_text("region", {"south", "north"})
      .add_text("payment_method", {"invoice", "card"})
      .add_text("contract", {"month-to-month", "one-year"});
  const Prediction all = churn().predict(batch);
  EXPECT_EQ(churn().predict(churn_row()).scores, RowMatrixXd(all.scores.row(1)));
  EXPECT_EQ(all.labels<std::string>().size(), 2u);
}

}  // namespace
}  // namespace ferry::detail
