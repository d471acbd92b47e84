// Meta-estimators (docs/format.md §4.30 - §4.39): what each declares (probabilities, decision
// function), model-agnostic explanations that add up to the scores, and the files the loader
// refuses, naming the estimator: broken sub-models, widths that do not add up, nesting deeper
// than max_composition_depth. Parity with scikit-learn on every class and option is in
// tests/python/test_composition.py; the golden cases (tests/data/meta_*) run in golden_test.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "support/test_support.hpp"

namespace ferry::detail {
namespace {

using test::EditableArtifact;

std::string case_dir(const std::string& name) { return "tests/data/" + name; }

Model load_case(const std::string& name) { return Model::load(test::source_path(case_dir(name) + "/model.ferry")); }

struct Declared {
  const char* name;
  bool probabilities;
  bool decision_function;
};

// As scikit-learn's classes have them.
const Declared kDeclared[] = {
    {"meta_voting_soft", true, false},           {"meta_voting_hard", false, false},
    {"meta_stacking_classifier", true, true},     {"meta_calibrated_sigmoid", true, false},
    {"meta_calibrated_isotonic", true, false},    {"meta_one_vs_rest", true, true},
    {"meta_bagging_classifier", true, false},     {"meta_adaboost_samme_r", true, true},
    {"meta_adaboost_samme_binary", true, true},   {"meta_one_vs_one", false, true},
    {"meta_dummy_prior", true, false},
};

TEST(Composition, ClassifiersOfferWhatScikitLearnsOffer) {
  for (const Declared& d : kDeclared) {
    const Model model = load_case(d.name);
    const RowMatrixXd X = test::case_input(case_dir(d.name), model);
    const Prediction p = model.predict(X);
    if (d.probabilities) {
      EXPECT_EQ(model.predict_proba(X).cols(), static_cast<Index>(model.schema().classes.size())) << d.name;
      for (Index i = 0; i < X.rows(); ++i) EXPECT_NEAR(p.probabilities.row(i).sum(), 1.0, 1e-12) << d.name;
    } else {
      EXPECT_FERRY_ERROR(model.predict_proba(X), ErrorCode::kUnsupported, "predict_proba");
      EXPECT_EQ(p.probabilities.cols(), 0) << d.name;
    }
    if (d.decision_function)
      EXPECT_EQ(model.decision_function(X), p.scores) << d.name;
    else
      EXPECT_FERRY_ERROR(model.decision_function(X), ErrorCode::kUnsupported, "decision_function");
  }
}

// Hard voting: the scores are the (weighted) votes, so every row's scores add up to the number
// of sub-models, and predict is their first maximum.
TEST(Composition, HardVotesCountEverySubModelOnce) {
  const Model model = load_case("meta_voting_hard");
  const RowMatrixXd X = test::case_input(case_dir("meta_voting_hard"), model);
  const Prediction p = model.predict(X);
  for (Index i = 0; i < X.rows(); ++i) {
    EXPECT_EQ(p.scores.row(i).sum(), 3.0);
    Index best = 0;
    for (Index j = 1; j < p.scores.cols(); ++j)
      if (p.scores(i, j) > p.scores(i, best)) best = j;
    EXPECT_EQ(p.class_index[static_cast<std::size_t>(i)], best);
  }
}

// Explanations of a meta-estimator are model-agnostic (no exact method is declared) and add up
// to its scores, whatever the combination: a weighted median is no sum, but Shapley values of
// the scores still add up to them.
TEST(Composition, ExplanationsAreModelAgnosticAndAddUp) {
  for (const char* name : {"meta_voting_soft", "meta_voting_hard", "meta_stacking_regressor", "meta_adaboost_regressor",
                           "meta_one_vs_rest", "meta_regressor_chain", "meta_transformed_target"}) {
    const Model model = load_case(name);
    const RowMatrixXd X = test::case_input(case_dir(name), model).topRows(4);
    const Explanation e = model.explain(X);
    EXPECT_EQ(std::string(to_string(e.method)), "interventional_exact") << name;
    const RowMatrixXd scores = model.predict(X).scores;
    for (Index r = 0; r < scores.rows(); ++r)
      for (Index c = 0; c < scores.cols(); ++c) {
        const double sum = e.base_values(r, c) + e.values[static_cast<std::size_t>(c)].row(r).sum();
        EXPECT_LE(std::abs(sum - scores(r, c)), 1e-12 * std::max(1.0, std::abs(scores(r, c)))) << name;
      }
  }
}

// The single extra trees are tree ensembles of one tree: TreeSHAP, exact and additive.
TEST(Composition, ExtraTreeExplainsByTreeShap) {
  const Model model = load_case("meta_extra_tree");
  const RowMatrixXd X = test::case_input(case_dir("meta_extra_tree"), model);
  const Explanation e = model.explain(X);
  EXPECT_EQ(std::string(to_string(e.method)), "tree_path_dependent");
  const RowMatrixXd scores = model.predict(X).scores;
  for (Index r = 0; r < scores.rows(); ++r)
    for (Index c = 0; c < scores.cols(); ++c)
      EXPECT_NEAR(e.base_values(r, c) + e.values[static_cast<std::size_t>(c)].row(r).sum(), scores(r, c), 1e-12);
}

nlohmann::json& sub(EditableArtifact& a, std::size_t i) { return a.header["estimator"]["params"]["estimators"][i]; }

TEST(Composition, LoaderRefusesBrokenSubModelsNamingTheEstimator) {
  {
    EditableArtifact a = EditableArtifact::from_case(case_dir("meta_voting_soft"));
    sub(a, 0)["columns"] = nlohmann::json::array({0, 4});
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "estimator (voting");
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "columns[1] is not a column index below 4");
  }
  {
    EditableArtifact a = EditableArtifact::from_case(case_dir("meta_voting_soft"));
    sub(a, 1)["n_outputs"] = 2;  // a tree of 3 classes said to have 2
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "number of classes");
  }
  {
    EditableArtifact a = EditableArtifact::from_case(case_dir("meta_voting_soft"));
    sub(a, 2)["task"] = "regression";
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "regressor sub-model");
  }
  {
    EditableArtifact a = EditableArtifact::from_case(case_dir("meta_voting_soft"));
    sub(a, 0)["pipeline"][0]["n_features_in"] = 3;
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "n_features_in is 3 but its input has 4 columns");
  }
  {
    EditableArtifact a = EditableArtifact::from_case(case_dir("meta_voting_soft"));
    a.header["estimator"]["params"]["estimators"] = nlohmann::json::array();
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "params.estimators is empty");
  }
  {
    EditableArtifact a = EditableArtifact::from_case(case_dir("meta_voting_soft"));
    a.set_float64("estimator.weights", {1.0, -1.0, 1.0});
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "negative");
  }
  {
    EditableArtifact a = EditableArtifact::from_case(case_dir("meta_voting_soft"));
    sub(a, 1)["estimator"]["type"] = "standard_scaler";
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "used as the estimator");
  }
  {
    EditableArtifact a = EditableArtifact::from_case(case_dir("meta_voting_soft"));
    sub(a, 1)["estimator"]["type"] = "neural_gas";
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kUnsupported, "neural_gas");
  }
}

TEST(Composition, LoaderChecksEachCombination) {
  {
    EditableArtifact a = EditableArtifact::from_case(case_dir("meta_stacking_classifier"));
    a.header["estimator"]["params"]["passthrough"] = false;  // the final estimator then gets 4 columns too few
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "final_estimator");
  }
  {
    EditableArtifact a = EditableArtifact::from_case(case_dir("meta_stacking_classifier"));
    a.header["estimator"]["params"]["stack_methods"][2] = "decision_function";  // GaussianNB has none
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "has no decision_function");
  }
  {
    EditableArtifact a = EditableArtifact::from_case(case_dir("meta_calibrated_isotonic"));
    std::vector<double> x = a.float64_of("estimator.x_thresholds");
    std::swap(x[0], x[1]);
    a.set_float64("estimator.x_thresholds", x);
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "not strictly increasing");
  }
  {
    EditableArtifact a = EditableArtifact::from_case(case_dir("meta_calibrated_sigmoid"));
    a.header["estimator"]["params"]["method"] = "isotonic";
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "threshold_offsets");
  }
  {
    EditableArtifact a = EditableArtifact::from_case(case_dir("meta_one_vs_one"));
    a.header["estimator"]["params"]["n_classes"] = 4;
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "one sub-model per pair");
  }
  {
    EditableArtifact a = EditableArtifact::from_case(case_dir("meta_regressor_chain"));
    a.set_int64("estimator.order", {0, 0, 1});
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "permutation");
  }
  {
    EditableArtifact a = EditableArtifact::from_case(case_dir("meta_adaboost_samme_r"));
    a.header["estimator"]["params"]["weight_sum"] = 0.0;
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "weight_sum");
  }
  {
    EditableArtifact a = EditableArtifact::from_case(case_dir("meta_transformed_target"));
    a.header["estimator"]["params"]["inverse"] = "tanh";
    EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "tanh");
  }
}

// A tree wrapped in one-model soft votings, one level more each time (weight 1: the same
// probabilities, so the embedded verification rows still pass): the loader builds up to
// max_composition_depth levels and refuses the next before building it, so a hostile file
// cannot make it recurse without bound.
TEST(Composition, NestingIsBounded) {
  EditableArtifact a = EditableArtifact::from_case(case_dir("meta_extra_tree"));
  a.set_float64("wrap.weights", {1.0});
  nlohmann::json estimator = a.header["estimator"];
  for (int depth = 1; depth <= 9; ++depth) {
    nlohmann::json entry = {{"name", "level"}, {"task", "classification"}, {"n_outputs", 3},
                            {"pipeline", nlohmann::json::array()}, {"estimator", estimator}};
    estimator = {{"type", "voting"}, {"name", "wrapper"}, {"n_features_in", 6}, {"n_features_out", 3},
                 {"tensors", {{"weights", "wrap.weights"}}},
                 {"params", {{"voting", "soft"}, {"n_estimators", 1}, {"weight_sum", 1.0},
                             {"estimators", nlohmann::json::array({entry})}}}};
    a.header["estimator"] = estimator;
    if (depth <= 8) {
      LoadOptions options;
      options.verify = true;
      const std::vector<std::uint8_t> bytes = a.bytes();
      const Model model = Model::from_bytes(bytes.data(), bytes.size(), options);
      EXPECT_EQ(model.schema().classes.size(), 3u);
    } else {
      EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "nested deeper than 8 levels");
    }
  }
}

}  // namespace
}  // namespace ferry::detail
