// The public Model API: what it reports, and the typed errors it gives for bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <thread>

#include "artifact/artifact.hpp"
#include "ferry/ferry.hpp"
#include "support/test_support.hpp"

namespace ferry::detail {
namespace {

Model load(const std::string& name) { return Model::load(test::source_path("artifacts/" + name + "/model.ferry")); }

RowMatrixXd inputs(const std::string& name, const Model& model) {
  std::vector<std::string> names;
  for (const auto& c : model.schema().inputs) names.push_back(c.name);
  return test::numeric_columns(test::read_csv_file(test::source_path("artifacts/" + name + "/input.csv")), names);
}

TEST(Model, ReportsSchemaAndMetadata) {
  const Model iris = load("iris");
  const Schema& s = iris.schema();
  EXPECT_EQ(s.task, Task::kClassification);
  ASSERT_EQ(s.inputs.size(), 4u);
  EXPECT_EQ(s.inputs[0].name, "sepal length (cm)");
  EXPECT_EQ(s.find_input("petal width (cm)"), 3);
  EXPECT_EQ(s.find_input("nope"), -1);
  ASSERT_TRUE(s.inputs[0].min && s.inputs[0].max);
  EXPECT_DOUBLE_EQ(*s.inputs[0].min, 4.3);
  EXPECT_DOUBLE_EQ(*s.inputs[0].max, 7.9);
  EXPECT_EQ(s.classes.type(), LabelType::kString);
  EXPECT_EQ(s.classes.string(), (std::vector<std::string>{"setosa", "versicolor", "virginica"}));
  EXPECT_EQ(iris.metadata().name, "iris");
  EXPECT_EQ(iris.metadata().created, "2026-01-01T00:00:00Z");
  EXPECT_EQ(iris.metadata().producer.count("sklearn"), 1u);
  EXPECT_EQ(iris.metadata().format_major, 1);

  const Model diabetes = load("diabetes");
  EXPECT_EQ(diabetes.schema().task, Task::kRegression);
  EXPECT_EQ(diabetes.schema().inputs[9].name, "x9");
  EXPECT_TRUE(diabetes.schema().classes.empty());
}

TEST(Model, TransformWithoutPreprocessingIsTheInput) {
  const Model iris = load("iris");
  const RowMatrixXd X = inputs("iris", iris);
  EXPECT_EQ(iris.transform(X), X);
  EXPECT_EQ(iris.transformed_feature_names().front(), "sepal length (cm)");
  EXPECT_FERRY_ERROR(iris.transform(RowMatrixXd::Zero(1, 3)), ErrorCode::kShape, "3 columns but the model takes 4");
}

TEST(Model, LabelsComeBackInTheirOriginalType) {
  const Model iris = load("iris");
  const Prediction p = iris.predict(inputs("iris", iris));
  const std::vector<std::string> labels = p.labels<std::string>();
  EXPECT_EQ(labels.front(), "setosa");
  EXPECT_EQ(labels.back(), "virginica");
  EXPECT_FERRY_ERROR(p.labels<std::int64_t>(), ErrorCode::kValue, "not int64");

  const Model cancer = load("breast_cancer");
  const Prediction q = cancer.predict(inputs("breast_cancer", cancer));
  const std::vector<std::int64_t> ints = q.labels<std::int64_t>();
  EXPECT_EQ(ints.front(), 0);
  EXPECT_EQ(q.probabilities.cols(), 2);
  EXPECT_EQ(q.scores.cols(), 1);
}

TEST(Model, WrongColumnCountIsAShapeError) {
  const Model model = load("breast_cancer");
  EXPECT_FERRY_ERROR(model.predict(RowMatrixXd::Zero(2, 29)), ErrorCode::kShape, "29 columns but the model takes 30");
}

TEST(Model, NonFiniteInputNamesRowAndColumn) {
  const Model model = load("breast_cancer");
  RowMatrixXd X = inputs("breast_cancer", model).topRows(5);
  X(3, 1) = std::numeric_limits<double>::quiet_NaN();
  EXPECT_FERRY_ERROR(model.predict(X), ErrorCode::kValue, "row 3, column \"mean texture\": a missing value (NaN)");
  X(3, 1) = 1.0;
  X(4, 0) = -std::numeric_limits<double>::infinity();
  EXPECT_FERRY_ERROR(model.predict_proba(X), ErrorCode::kValue, "row 4, column \"mean radius\": -infinity");
  RowMatrixXf Xf = X.cast<float>();
  EXPECT_FERRY_ERROR(model.decision_function(Xf), ErrorCode::kValue, "row 4, column \"mean radius\"");
}

// A dense batch is validated as a Table is: every problem listed, nothing thrown.
TEST(Model, ValidatesADenseBatch) {
  const Model model = load("breast_cancer");
  RowMatrixXd X = inputs("breast_cancer", model).topRows(6);
  EXPECT_TRUE(model.validate(X).ok());
  X(3, 1) = X(5, 1) = std::numeric_limits<double>::quiet_NaN();
  X(4, 0) = std::numeric_limits<double>::infinity();
  const ValidationReport report = model.validate(X);
  ASSERT_EQ(report.issues.size(), 2u);
  EXPECT_EQ(report.issues[0].kind, IssueKind::kNotFinite);
  EXPECT_EQ(report.issues[0].column, "mean radius");
  EXPECT_EQ(report.issues[0].first_row, 4);
  EXPECT_EQ(report.issues[1].kind, IssueKind::kMissingValue);
  EXPECT_EQ(report.issues[1].column, "mean texture");
  EXPECT_EQ(report.issues[1].rows, 2);
  EXPECT_EQ(report.issues[1].first_row, 3);
  const ValidationReport shape = model.validate(RowMatrixXd::Zero(2, 29));
  ASSERT_EQ(shape.issues.size(), 1u);
  EXPECT_EQ(shape.issues[0].code, ErrorCode::kShape);
  EXPECT_FALSE(shape.ok());
}

// The host's own pool runs the chunks of a large batch, and the results are the same bits.
TEST(Model, RunsOnTheHostsExecutor) {
  const Model model = Model::load(test::source_path("tests/data/tree_rf_classifier/model.ferry"));
  const RowMatrixXd rows = test::case_input("tests/data/tree_rf_classifier", model);
  RowMatrixXd X(2000, rows.cols());
  for (Index i = 0; i < X.rows(); ++i) X.row(i) = rows.row(i % rows.rows());
  std::size_t tasks = 0;
  PredictOptions options;
  options.threads = 4;
  options.executor = [&tasks](std::size_t n, const std::function<void(std::size_t)>& task) {
    tasks += n;
    std::vector<std::thread> pool;
    for (std::size_t i = 0; i < n; ++i) pool.emplace_back(task, i);
    for (std::thread& t : pool) t.join();
  };
  const Prediction one = model.predict(X), pooled = model.predict(X, options);
  EXPECT_EQ(tasks, 4u);
  EXPECT_EQ(one.scores, pooled.scores);
  EXPECT_EQ(one.class_index, pooled.class_index);
}

TEST(Model, ClassifierOnlyMethodsRefuseRegressors) {
  const Model model = load("diabetes");
  const RowMatrixXd X = inputs("diabetes", model).topRows(2);
  EXPECT_FERRY_ERROR(model.predict_proba(X), ErrorCode::kUnsupported, "predict_proba needs a classifier");
  EXPECT_FERRY_ERROR(model.decision_function(X), ErrorCode::kUnsupported, "decision_function needs a classifier");
}

TEST(Model, FloatInputIsWidenedExactly) {
  const Model model = load("iris");
  const RowMatrixXf Xf = inputs("iris", model).cast<float>();
  const RowMatrixXd Xd = Xf.cast<double>();
  EXPECT_EQ(model.predict_proba(Xf), model.predict_proba(Xd));
  EXPECT_EQ(model.predict(Xf).class_index, model.predict(Xd).class_index);
}

TEST(Model, MappedAndColumnMajorInputGiveTheSameAnswer) {
  const Model model = load("diabetes");
  const RowMatrixXd X = inputs("diabetes", model);
  const Eigen::Map<const RowMatrixXd> mapped(X.data(), X.rows(), X.cols());
  const Eigen::MatrixXd col_major = X;  // accepted, at the cost of a copy
  const RowMatrixXd expected = model.predict(X).values;
  EXPECT_EQ(model.predict(mapped).values, expected);
  EXPECT_EQ(model.predict(col_major).values, expected);
  EXPECT_EQ(model.predict(X.row(7)).values, expected.row(7));
}

TEST(Model, EmptyBatchGivesEmptyOutputs) {
  const Model model = load("iris");
  const Prediction p = model.predict(RowMatrixXd(0, 4));
  EXPECT_EQ(p.rows(), 0);
  EXPECT_TRUE(p.class_index.empty());
  EXPECT_EQ(p.probabilities.rows(), 0);
}

TEST(Model, FromBytesDoesNotKeepTheBuffer) {
  std::vector<std::uint8_t> bytes = test::read_bytes(test::source_path("artifacts/iris/model.ferry"));
  const Model model = Model::from_bytes(bytes.data(), bytes.size());
  std::fill(bytes.begin(), bytes.end(), 0);
  bytes.clear();
  bytes.shrink_to_fit();
  EXPECT_EQ(model.verify(), 16u);
}

TEST(Model, CopiesShareStateAndPredictConcurrently) {
  const Model model = load("breast_cancer");
  const RowMatrixXd X = inputs("breast_cancer", model);
  const RowMatrixXd expected = model.predict_proba(X);
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t, copy = model] {
      for (int k = 0; k < 20; ++k) ok[static_cast<std::size_t>(t)] += copy.predict_proba(X) == expected;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok, std::vector<int>(4, 20));
  EXPECT_EQ(&model.schema(), &Model(model).schema());
}

TEST(Model, MissingFileIsAnIoErrorNamingThePath) {
  EXPECT_FERRY_ERROR(Model::load("/nonexistent/model.ferry"), ErrorCode::kIo, "/nonexistent/model.ferry");
}

TEST(Model, LoadErrorsNameTheFile) {
  const std::string path = std::string(FERRY_BINARY_DIR) + "/not_an_artifact.ferry";
  {
    std::ofstream out(path, std::ios::binary);
    out << "col_a,col_b\n1,2\n3,4\n5,6\n7,8\n";
  }
  EXPECT_FERRY_ERROR(Model::load(path), ErrorCode::kFormat, path + ": not a ferry artifact");
}

TEST(Model, VerifyNeedsEmbeddedRows) {
  EXPECT_EQ(load("diabetes").verify(), 16u);
  // The same model exported without X_sample: no verification section, no test rows.
  const auto bytes = test::read_bytes(test::source_path("artifacts/diabetes/model.ferry"));
  artifact::Artifact a = artifact::read(bytes.data(), bytes.size());
  a.header.erase("verification");
  for (auto it = a.tensors.begin(); it != a.tensors.end();)
    it = it->first.rfind("verification.", 0) == 0 ? a.tensors.erase(it) : std::next(it);
  const auto stripped = artifact::write(a.header, a.tensors);
  const Model model = Model::from_bytes(stripped.data(), stripped.size());
  EXPECT_FERRY_ERROR(model.verify(), ErrorCode::kUnsupported, "has no embedded test rows");
  LoadOptions options;
  options.verify = true;
  EXPECT_FERRY_ERROR(Model::from_bytes(stripped.data(), stripped.size(), options), ErrorCode::kUnsupported,
                     "export it with X_sample");
}

TEST(Model, ADirectoryIsAnIoError) {
  EXPECT_FERRY_ERROR(Model::load(test::source_path("artifacts")), ErrorCode::kIo, "is not a readable file");
}

TEST(Model, MovingLeavesAValidModel) {
  Model a = load("iris");
  const Model b = std::move(a);  // a copy: a Model is never empty
  EXPECT_EQ(a.schema().inputs.size(), 4u);  // NOLINT(bugprone-use-after-move): the point of the test
  EXPECT_EQ(b.schema().inputs.size(), 4u);
}

TEST(Model, RegressorPredictionsHaveNoLabels) {
  const Model model = load("diabetes");
  const Prediction p = model.predict(inputs("diabetes", model).topRows(2));
  EXPECT_FERRY_ERROR(p.label_text(0), ErrorCode::kValue, "no class labels: the model is a regressor");
  EXPECT_FERRY_ERROR(p.labels<std::string>(), ErrorCode::kValue, "no class labels");
  const Prediction q = load("iris").predict(RowMatrixXd::Zero(1, 4));
  EXPECT_FERRY_ERROR(q.label_text(1), ErrorCode::kValue, "row 1 is out of range");
}

TEST(Errors, CodesHaveStableNamesAndValues) {
  EXPECT_STREQ(to_string(ErrorCode::kChecksum), "checksum");
  EXPECT_STREQ(to_string(ErrorCode::kVerification), "verification");
  EXPECT_EQ(static_cast<int>(ErrorCode::kIo), 1);
  EXPECT_EQ(static_cast<int>(ErrorCode::kVerification), 9);
  const Error e(ErrorCode::kShape, "bad");
  EXPECT_STREQ(e.what(), "ferry shape error: bad");
  EXPECT_EQ(e.message(), "bad");
}

TEST(ClassLabels, TextMatchesPythonSpelling) {
  const ClassLabels floats = ClassLabels::from_float64({1.0, 0.5, 1e-5});
  EXPECT_EQ(floats.to_string(0), "1.0");
  EXPECT_EQ(floats.to_string(1), "0.5");
  EXPECT_EQ(floats.to_string(2), "1e-05");
  const ClassLabels bools = ClassLabels::from_bool({false, true});
  EXPECT_EQ(bools.to_string(1), "True");
  EXPECT_EQ(bools.int64(), (std::vector<std::int64_t>{0, 1}));
  EXPECT_FERRY_ERROR(bools.to_string(2), ErrorCode::kValue, "out of range");
}

}  // namespace
}  // namespace ferry::detail
