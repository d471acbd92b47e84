// The nearest_neighbors estimator (docs/format.md §4.42), local_outlier_factor (§4.43) and
// radius_neighbors (§4.44): neighbours of hand-set stored rows, the tie rule, the radius's
// inclusive boundary, distance weights at distance 0, rows without a stored row within the
// radius (the outlier class or a value error naming the row), blocks of queries and stored rows
// against rows alone, model-agnostic explanations that add up, and the files the loader refuses
// (format errors naming the estimator).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "support/test_support.hpp"

namespace ferry::detail {
namespace {

using test::EditableArtifact;

const char* const kManhattan = "tests/data/knn_classifier_distance_manhattan";
const char* const kRegressor = "tests/data/knn_regressor_uniform_euclidean";
const char* const kMinkowski = "tests/data/knn_regressor_distance_minkowski";
const char* const kCentroid = "tests/data/nearest_centroid";
const char* const kCosine = "tests/data/knn_classifier_cosine_binary";
const char* const kLof = "tests/data/lof_novelty";
const char* const kRadiusOutlier = "tests/data/radius_classifier_distance_outlier";
const char* const kRadiusCosine = "tests/data/radius_classifier_cosine_label";
const char* const kRadiusRegressor = "tests/data/radius_regressor_uniform_manhattan";

// knn_regressor_uniform_euclidean with the scaler set to the identity, stored rows (j, 0, 0) and
// targets j: the k = 4 nearest of a query (q, 0, 0) are the four integers nearest to q, and a
// tie at the fourth place goes to the lower stored index.
TEST(NearestNeighbors, NeighboursOfStoredRowsOnALine) {
  EditableArtifact a = EditableArtifact::from_case(kRegressor);
  a.drop_verification();
  const std::size_t rows = a.float64_of("estimator.values").size();
  std::vector<double> train(rows * 3, 0.0), values(rows);
  for (std::size_t j = 0; j < rows; ++j) {
    train[j * 3] = static_cast<double>(j);
    values[j] = static_cast<double>(j);
  }
  for (std::size_t i = 0; i < train.size(); ++i) a.set_float64_at("estimator.train", i, train[i]);
  for (std::size_t i = 0; i < rows; ++i) a.set_float64_at("estimator.values", i, values[i]);
  a.set_float64(a.step(0)["tensors"]["mean"].get<std::string>(), std::vector<double>(3, 0.0));
  a.set_float64(a.step(0)["tensors"]["scale"].get<std::string>(), std::vector<double>(3, 1.0));
  const Model model = a.load();
  RowMatrixXd X(3, 3);
  X << 10.2, 0, 0,   // 9, 10, 11, 12 (12 at 1.8 beats 8 at 2.2)
      10.5, 0, 0,    // 9, 10, 11, 12 (9 and 12 tie at 1.5 and both are in)
      10.0, 0, 0;    // 9, 10, 11 and then 8 and 12 tie at 2: the lower index, 8
  const RowMatrixXd v = model.predict(X).values;
  EXPECT_EQ(v(0, 0), (9.0 + 10 + 11 + 12) / 4);
  EXPECT_EQ(v(1, 0), (9.0 + 10 + 11 + 12) / 4);
  EXPECT_EQ(v(2, 0), (8.0 + 9 + 10 + 11) / 4);
}

// Distance weights: a query on a stored row takes that row's target exactly (the 0/1 mask).
TEST(NearestNeighbors, DistanceWeightsAtDistanceZeroAreTheMask) {
  const Model model = Model::load(test::source_path(std::string(kMinkowski) + "/model.ferry"));
  const RowMatrixXd X = test::case_input(kMinkowski, model);
  const RowMatrixXd got = model.predict(X.topRows(40)).values;
  EditableArtifact a = EditableArtifact::from_case(kMinkowski);
  const std::vector<double> values = a.float64_of("estimator.values");
  for (Index i = 0; i < 40; ++i)
    for (Index j = 0; j < 2; ++j) EXPECT_EQ(got(i, j), values[static_cast<std::size_t>(i * 2 + j)]) << "row " << i;
}

// Queries in blocks (and on threads) against each row alone: the same bits.
TEST(NearestNeighbors, ARowAloneGivesItsRowOfTheBatch) {
  for (const char* dir :
       {kManhattan, kRegressor, kMinkowski, kCentroid, kCosine, kLof, kRadiusOutlier, kRadiusCosine, kRadiusRegressor}) {
    const Model model = Model::load(test::source_path(std::string(dir) + "/model.ferry"));
    const RowMatrixXd base = test::case_input(dir, model);
    RowMatrixXd X(300, base.cols());
    for (Index i = 0; i < X.rows(); ++i) X.row(i) = base.row(i % base.rows());
    const RowMatrixXd all = model.predict(X).scores;
    PredictOptions options;
    options.threads = 3;
    EXPECT_EQ(model.predict(X, options).scores, all) << dir;
    for (Index i = 0; i < base.rows(); ++i) {
      const RowMatrixXd row = X.row(i);
      EXPECT_EQ(model.predict(row).scores.row(0), all.row(i)) << dir << " row " << i;
    }
  }
}

// LocalOutlierFactor: predict is 1 exactly where decision_function >= 0.
TEST(NearestNeighbors, OutlierFactorPredictsBySign) {
  const Model model = Model::load(test::source_path(std::string(kLof) + "/model.ferry"));
  const RowMatrixXd X = test::case_input(kLof, model);
  const Prediction p = model.predict(X);
  std::size_t outliers = 0;
  for (Index i = 0; i < X.rows(); ++i) {
    EXPECT_EQ(p.class_index[static_cast<std::size_t>(i)], p.scores(i, 0) >= 0.0 ? 1 : 0);
    outliers += p.class_index[static_cast<std::size_t>(i)] == 0;
  }
  EXPECT_GE(outliers, 6u);  // the adversarial rows at least
  EXPECT_EQ(model.decision_function(X), p.scores);
}

TEST(NearestNeighbors, OutputsAsScikitLearnsClasses) {
  const Model knn = Model::load(test::source_path(std::string(kManhattan) + "/model.ferry"));
  const RowMatrixXd X = test::case_input(kManhattan, knn);
  const Prediction p = knn.predict(X);
  EXPECT_EQ(p.probabilities, p.scores);
  EXPECT_FERRY_ERROR(knn.decision_function(X), ErrorCode::kUnsupported, "decision_function");
  const Model centroid = Model::load(test::source_path(std::string(kCentroid) + "/model.ferry"));
  const RowMatrixXd C = test::case_input(kCentroid, centroid);
  EXPECT_FERRY_ERROR(centroid.predict_proba(C), ErrorCode::kUnsupported, "predict_proba");
  EXPECT_EQ(centroid.predict(C).probabilities.cols(), 0);
}

TEST(NearestNeighbors, ExplanationsAddUp) {
  for (const char* dir : {kManhattan, kRegressor, kCentroid, kLof, kRadiusOutlier}) {
    const Model model = Model::load(test::source_path(std::string(dir) + "/model.ferry"));
    const RowMatrixXd X = test::case_input(dir, model).topRows(10);
    const Explanation e = model.explain(X);
    EXPECT_EQ(e.method, Explanation::Method::kInterventionalExact) << dir;
    const RowMatrixXd scores = model.predict(X).scores;
    ASSERT_EQ(static_cast<Index>(e.values.size()), scores.cols());
    for (Index o = 0; o < scores.cols(); ++o)
      for (Index i = 0; i < X.rows(); ++i)
        EXPECT_NEAR(e.base_values(i, o) + e.values[static_cast<std::size_t>(o)].row(i).sum(), scores(i, o), 1e-12)
            << dir << " output " << o << " row " << i;
  }
}

TEST(NearestNeighbors, LoaderChecksItsStructure) {
  const auto refused = [](const char* dir, auto edit, const char* what) {
    EditableArtifact a = EditableArtifact::from_case(dir);
    edit(a);
    try {
      a.load();
      ADD_FAILURE() << "loaded: " << what;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kFormat) << e.what();
      const std::string message = e.what();
      EXPECT_NE(message.find("estimator"), std::string::npos) << message;
      EXPECT_NE(message.find(what), std::string::npos) << message;
    }
  };
  const auto params = [](EditableArtifact& a) -> nlohmann::json& { return a.header["estimator"]["params"]; };
  refused(kManhattan, [&](EditableArtifact& a) { params(a)["metric"] = "hamming"; }, "metric");
  refused(kManhattan, [&](EditableArtifact& a) { params(a)["p"] = 0.5; }, "params.p");
  refused(kManhattan, [&](EditableArtifact& a) { params(a)["n_neighbors"] = 0; }, "n_neighbors");
  refused(kManhattan, [&](EditableArtifact& a) { params(a)["n_neighbors"] = 1000; }, "n_neighbors");
  refused(kManhattan, [&](EditableArtifact& a) { params(a)["weights"] = "gaussian"; }, "weights");
  refused(kManhattan, [&](EditableArtifact& a) { params(a)["link"] = "identity"; }, "values");
  refused(kRegressor, [&](EditableArtifact& a) { params(a)["link"] = "probability"; }, "labels");
  refused(kManhattan, [](EditableArtifact& a) {
    std::vector<std::int64_t> labels = a.int64_of("estimator.labels");
    labels[4] = 3;
    a.set_int64("estimator.labels", labels);
  }, "labels");
  refused(kManhattan, [](EditableArtifact& a) {
    std::vector<std::int64_t> labels = a.int64_of("estimator.labels");
    labels.pop_back();
    a.set_int64("estimator.labels", labels);
  }, "labels");
  refused(kManhattan, [](EditableArtifact& a) {
    a.set_float64_at("estimator.train", 7, std::numeric_limits<double>::quiet_NaN());
  }, "train");
  refused(kMinkowski, [](EditableArtifact& a) {
    a.set_float64_at("estimator.values", 1, std::numeric_limits<double>::infinity());
  }, "values");
  refused(kLof, [](EditableArtifact& a) { a.set_float64_at("estimator.lrd", 2, 0.0); }, "lrd");
  refused(kLof, [](EditableArtifact& a) { a.set_float64_at("estimator.k_distance", 2, -1.0); }, "k_distance");
  refused(kLof, [&](EditableArtifact& a) { params(a)["offset"] = "x"; }, "offset");
  refused(kLof, [&](EditableArtifact& a) { params(a)["n_neighbors"] = 51; }, "n_neighbors");
  refused(kLof, [&](EditableArtifact& a) { params(a)["link"] = "none"; }, "link");
  refused(kRadiusOutlier, [&](EditableArtifact& a) { params(a)["radius"] = -0.5; }, "radius");
  refused(kRadiusOutlier, [&](EditableArtifact& a) { params(a)["outlier_class"] = 3; }, "outlier_class");
  refused(kRadiusOutlier, [&](EditableArtifact& a) { params(a)["outlier_class"] = -2; }, "outlier_class");
  refused(kRadiusOutlier, [&](EditableArtifact& a) { params(a)["metric"] = "hamming"; }, "metric");
  refused(kRadiusOutlier, [&](EditableArtifact& a) { params(a)["p"] = 0.5; }, "params.p");
  refused(kRadiusOutlier, [&](EditableArtifact& a) { params(a)["weights"] = "gaussian"; }, "weights");
  refused(kRadiusOutlier, [&](EditableArtifact& a) { params(a)["link"] = "none"; }, "link");
  refused(kRadiusOutlier, [&](EditableArtifact& a) { params(a)["link"] = "identity"; }, "values");
  refused(kRadiusRegressor, [&](EditableArtifact& a) { params(a)["outlier_class"] = 0; }, "outlier_class");
  refused(kRadiusRegressor, [&](EditableArtifact& a) { params(a)["link"] = "probability"; }, "labels");
  refused(kRadiusOutlier, [](EditableArtifact& a) {
    std::vector<std::int64_t> labels = a.int64_of("estimator.labels");
    labels[4] = 3;
    a.set_int64("estimator.labels", labels);
  }, "labels");
  refused(kRadiusRegressor, [](EditableArtifact& a) {
    a.set_float64_at("estimator.train", 3, std::numeric_limits<double>::infinity());
  }, "train");
}

// radius_regressor_uniform_manhattan with the scaler set to the identity, stored rows (j, 0, 0)
// and targets (j, -j): a stored row exactly at the radius (1, manhattan) is a neighbour, and a
// row with none is a value error naming it, never a value (scikit-learn predicts NaN).
TEST(RadiusNeighbors, TheRadiusIsInclusiveAndARowWithoutNeighboursIsRefused) {
  EditableArtifact a = EditableArtifact::from_case(kRadiusRegressor);
  a.drop_verification();
  const std::size_t rows = a.float64_of("estimator.values").size() / 2;
  for (std::size_t j = 0; j < rows; ++j) {
    for (std::size_t f = 0; f < 3; ++f) a.set_float64_at("estimator.train", j * 3 + f, f == 0 ? double(j) : 0.0);
    a.set_float64_at("estimator.values", j * 2, double(j));
    a.set_float64_at("estimator.values", j * 2 + 1, -double(j));
  }
  a.set_float64(a.step(0)["tensors"]["mean"].get<std::string>(), std::vector<double>(3, 0.0));
  a.set_float64(a.step(0)["tensors"]["scale"].get<std::string>(), std::vector<double>(3, 1.0));
  a.header["estimator"]["params"]["radius"] = 1.0;
  const Model model = a.load();
  RowMatrixXd X(3, 3);
  X << 10.0, 0, 0,  // 9, 10, 11: 9 and 11 exactly at the radius
      10.5, 0, 0,   // 10, 11
      0.0, 0, 1.0;  // 0, at exactly 1
  const RowMatrixXd v = model.predict(X).values;
  EXPECT_EQ(v(0, 0), 10.0);
  EXPECT_EQ(v(0, 1), -10.0);
  EXPECT_EQ(v(1, 0), 10.5);
  EXPECT_EQ(v(2, 0), 0.0);
  RowMatrixXd Y(3, 3);
  Y << 10.0, 0, 0, -1.5, 0, 0, 10.0, 0.5, 0.75;
  EXPECT_FERRY_ERROR(model.predict(Y), ErrorCode::kValue, "row 1: no stored row within the radius");
  EXPECT_FERRY_ERROR(model.predict(Y), ErrorCode::kValue, "predicts NaN");
  PredictOptions options;
  options.threads = 2;
  EXPECT_FERRY_ERROR(model.predict(Y, options), ErrorCode::kValue, "row 1: no stored row within the radius");
}

// Model-agnostic explanations mix a row with background rows; where such a mixed row has no
// stored row within the radius, the model cannot be evaluated there and explain refuses the row
// as predict would (value error), rather than attributing to a score that does not exist.
TEST(RadiusNeighbors, ExplainRefusesWhereAMixedRowHasNoNeighbour) {
  const Model model = Model::load(test::source_path(std::string(kRadiusRegressor) + "/model.ferry"));
  const RowMatrixXd X = test::case_input(kRadiusRegressor, model).topRows(4);
  const Explanation e = model.explain(X);  // radius 4: every mixed row has neighbours
  EXPECT_EQ(e.method, Explanation::Method::kInterventionalExact);
  EditableArtifact a = EditableArtifact::from_case(kRadiusRegressor);
  a.drop_verification();
  a.header["estimator"]["params"]["radius"] = 1.0;
  const Model narrow = a.load();
  EXPECT_NO_THROW(narrow.predict(X));  // the rows themselves are stored rows
  EXPECT_FERRY_ERROR(narrow.explain(X), ErrorCode::kValue, "no stored row within the radius");
}

// The outlier class: probability 1 and its label for the rows with no stored row within the
// radius (the case's 9 adversarial rows); with outlier_class -1 such a row is a value error.
TEST(RadiusNeighbors, RowsWithoutNeighboursGetTheOutlierClassOrAreRefused) {
  const Model model = Model::load(test::source_path(std::string(kRadiusOutlier) + "/model.ferry"));
  const RowMatrixXd X = test::case_input(kRadiusOutlier, model);
  ASSERT_EQ(X.rows(), 54);
  EditableArtifact a = EditableArtifact::from_case(kRadiusOutlier);
  const auto outlier = a.header["estimator"]["params"]["outlier_class"].get<Index>();
  ASSERT_GE(outlier, 0);
  const Prediction p = model.predict(X);
  for (Index i = 45; i < 54; ++i) {
    EXPECT_EQ(p.class_index[static_cast<std::size_t>(i)], outlier) << "row " << i;
    for (Index c = 0; c < 3; ++c) EXPECT_EQ(p.probabilities(i, c), c == outlier ? 1.0 : 0.0) << "row " << i;
  }
  EXPECT_FERRY_ERROR(model.decision_function(X), ErrorCode::kUnsupported, "decision_function");
  a.drop_verification();
  a.header["estimator"]["params"]["outlier_class"] = -1;
  const Model strict = a.load();
  EXPECT_EQ(strict.predict(X.topRows(45)).probabilities, p.probabilities.topRows(45));
  EXPECT_FERRY_ERROR(strict.predict(X), ErrorCode::kValue, "row 45: no stored row within the radius");
  EXPECT_FERRY_ERROR(strict.predict(X), ErrorCode::kValue, "raises ValueError");
}

}  // namespace
}  // namespace ferry::detail
