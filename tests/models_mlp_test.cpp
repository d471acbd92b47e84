// The mlp estimator (docs/format.md §4.41): the forward pass against a hand-set network, rows
// alone against blocks, the links and their outputs, model-agnostic explanations that add up,
// and the files the loader refuses (format errors naming the estimator).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "support/test_support.hpp"

namespace ferry::detail {
namespace {

using test::EditableArtifact;

const char* const kMulticlass = "tests/data/mlp_classifier_relu_multiclass";
const char* const kBinary = "tests/data/mlp_classifier_tanh_binary";
const char* const kRegressor = "tests/data/mlp_regressor_logistic_two_targets";
const char* const kIdentity = "tests/data/mlp_regressor_identity";

// mlp_regressor_identity is x (4 columns) -> 4 -> 3 -> 1 with the identity activation: set
// every weight to 1/2 and every bias to 1 and the score is, layer by layer,
// z0 = Σx/2 + 1, z1 = 4 z0/2 + 1, s = 3 z1/2 + 1.
TEST(Mlp, ForwardPassOfAHandSetNetwork) {
  EditableArtifact a = EditableArtifact::from_case(kIdentity);
  a.drop_verification();
  const std::size_t nw = a.float64_of("estimator.weights").size(), nb = a.float64_of("estimator.biases").size();
  ASSERT_EQ(nw, 4u * 4 + 4 * 3 + 3 * 1);
  ASSERT_EQ(nb, 4u + 3 + 1);
  a.set_float64("estimator.weights", std::vector<double>(nw, 0.5));
  a.set_float64("estimator.biases", std::vector<double>(nb, 1.0));
  const Model model = a.load();
  RowMatrixXd X(2, 4);
  X << 1, 2, 3, 4, -1, 0, 0.5, 0.25;
  const RowMatrixXd values = model.predict(X).values;
  for (Index i = 0; i < 2; ++i) {
    const double z0 = X.row(i).sum() / 2 + 1, z1 = 4 * z0 / 2 + 1;
    EXPECT_DOUBLE_EQ(values(i, 0), 3 * z1 / 2 + 1) << "row " << i;
  }
}

// The same hand-set network with relu: a negative first layer stops at 0, so the score is the
// biases' path alone.
TEST(Mlp, ReluStopsNegativeUnits) {
  EditableArtifact a = EditableArtifact::from_case(kIdentity);
  a.drop_verification();
  a.header["estimator"]["params"]["activation"] = "relu";
  const std::size_t nw = a.float64_of("estimator.weights").size(), nb = a.float64_of("estimator.biases").size();
  a.set_float64("estimator.weights", std::vector<double>(nw, 0.5));
  std::vector<double> biases(nb, 1.0);
  for (std::size_t j = 0; j < 4; ++j) biases[j] = -100.0;
  a.set_float64("estimator.biases", biases);
  const Model model = a.load();
  RowMatrixXd X(1, 4);
  X << 1, 2, 3, 4;
  // z0 < 0 -> 0; z1 = 1 for each of 3 units; s = 3 * 0.5 + 1
  EXPECT_EQ(model.predict(X).values(0, 0), 2.5);
}

// Every row alone (vector products) against the batch (blocked matrix products): the same sums
// in another order, so within rounding of the scores' scale.
TEST(Mlp, ARowAloneAgreesWithItsRowOfTheBatch) {
  for (const char* dir : {kMulticlass, kBinary, kRegressor, kIdentity}) {
    const Model model = Model::load(test::source_path(std::string(dir) + "/model.ferry"));
    const RowMatrixXd X = test::case_input(dir, model);
    const RowMatrixXd all = model.predict(X).scores;
    for (Index i = 0; i < X.rows(); ++i) {
      const RowMatrixXd row = X.row(i);
      const RowMatrixXd one = model.predict(row).scores;
      for (Index j = 0; j < all.cols(); ++j)
        EXPECT_NEAR(one(0, j), all(i, j), 1e-12 * std::max(1.0, std::abs(all(i, j)))) << dir << " row " << i;
    }
  }
}

// A batch longer than one block of rows, with threads: identical to the rows one thread gives.
TEST(Mlp, BlocksAndThreadsGiveTheSameScores) {
  const Model model = Model::load(test::source_path(std::string(kMulticlass) + "/model.ferry"));
  const RowMatrixXd base = test::case_input(kMulticlass, model);
  RowMatrixXd X(1000, base.cols());
  for (Index i = 0; i < X.rows(); ++i) X.row(i) = base.row(i % base.rows());
  const RowMatrixXd one = model.predict(X).scores;
  PredictOptions options;
  options.threads = 3;
  EXPECT_EQ(model.predict(X, options).scores, one);
  for (Index i = 0; i < X.rows(); ++i) EXPECT_EQ(one.row(i), one.row(i % base.rows())) << "row " << i;
}

TEST(Mlp, ClassifiersHaveProbabilitiesButNoDecisionFunction) {
  for (const char* dir : {kMulticlass, kBinary}) {
    const Model model = Model::load(test::source_path(std::string(dir) + "/model.ferry"));
    const RowMatrixXd X = test::case_input(dir, model);
    const Prediction p = model.predict(X);
    ASSERT_EQ(p.probabilities.cols(), static_cast<Index>(model.schema().classes.size()));
    for (Index i = 0; i < X.rows(); ++i) EXPECT_NEAR(p.probabilities.row(i).sum(), 1.0, 1e-15);
    EXPECT_FERRY_ERROR(model.decision_function(X), ErrorCode::kUnsupported, "decision_function");
  }
  const Model regressor = Model::load(test::source_path(std::string(kRegressor) + "/model.ferry"));
  EXPECT_EQ(regressor.predict(test::case_input(kRegressor, regressor)).values.cols(), 2);
}

// Model-agnostic explanations: base + Σ values = the score of every output.
TEST(Mlp, ExplanationsAddUp) {
  for (const char* dir : {kMulticlass, kBinary, kRegressor}) {
    const Model model = Model::load(test::source_path(std::string(dir) + "/model.ferry"));
    const RowMatrixXd X = test::case_input(dir, model).topRows(12);
    const Explanation e = model.explain(X);
    EXPECT_EQ(e.method, Explanation::Method::kInterventionalExact) << dir;
    const RowMatrixXd scores = model.predict(X).scores;
    ASSERT_EQ(static_cast<Index>(e.values.size()), scores.cols());
    for (Index o = 0; o < scores.cols(); ++o)
      for (Index i = 0; i < X.rows(); ++i)
        EXPECT_NEAR(e.base_values(i, o) + e.values[static_cast<std::size_t>(o)].row(i).sum(), scores(i, o),
                    1e-9 * std::max(1.0, std::abs(scores(i, o))))
            << dir << " output " << o << " row " << i;
  }
}

// A multilabel classifier travels as a regressor with one logistic output per label.
TEST(Mlp, LogisticRegressionOutputsAreProbabilities) {
  EditableArtifact a = EditableArtifact::from_case(kRegressor);
  a.drop_verification();
  a.header["estimator"]["params"]["link"] = "logistic";
  const Model model = a.load();
  const RowMatrixXd X = test::case_input(kRegressor, model);
  const Prediction p = model.predict(X);
  for (Index i = 0; i < X.rows(); ++i)
    for (Index j = 0; j < 2; ++j) EXPECT_DOUBLE_EQ(p.values(i, j), 1.0 / (1.0 + std::exp(-p.scores(i, j))));
}

TEST(Mlp, LoaderChecksItsStructure) {
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
  refused(kMulticlass, [](EditableArtifact& a) { a.header["estimator"]["params"]["activation"] = "softplus"; },
          "activation");
  refused(kMulticlass, [](EditableArtifact& a) { a.header["estimator"]["params"]["hidden_sizes"] = {8, 0}; },
          "hidden_sizes[1]");
  refused(kMulticlass, [](EditableArtifact& a) { a.header["estimator"]["params"]["hidden_sizes"] = {8, -3}; },
          "hidden_sizes[1]");
  refused(kMulticlass, [](EditableArtifact& a) { a.header["estimator"]["params"]["hidden_sizes"] = "8"; },
          "hidden_sizes");
  refused(kMulticlass, [](EditableArtifact& a) { a.header["estimator"]["params"]["hidden_sizes"] = {8, 7}; },
          "weights");
  refused(kMulticlass,
          [](EditableArtifact& a) { a.header["estimator"]["params"]["hidden_sizes"] = {1 << 24, 1 << 24, 1 << 24}; },
          "weights");
  refused(kMulticlass, [](EditableArtifact& a) { a.header["estimator"]["params"]["link"] = "ovr"; }, "link");
  refused(kMulticlass, [](EditableArtifact& a) { a.header["estimator"]["params"]["link"] = "identity"; }, "link");
  refused(kBinary, [](EditableArtifact& a) { a.header["estimator"]["params"]["link"] = "softmax"; }, "");
  refused(kMulticlass, [](EditableArtifact& a) {
    std::vector<double> b = a.float64_of("estimator.biases");
    b.pop_back();
    a.set_float64("estimator.biases", b);
  }, "biases");
  refused(kMulticlass, [](EditableArtifact& a) {
    a.set_float64_at("estimator.weights", 5, std::numeric_limits<double>::infinity());
  }, "weights");
  refused(kRegressor, [](EditableArtifact& a) {
    a.set_float64_at("estimator.biases", 0, std::numeric_limits<double>::quiet_NaN());
  }, "biases");
}

}  // namespace
}  // namespace ferry::detail
