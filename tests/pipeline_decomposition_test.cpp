// The polynomial_features, linear_projection and function_transformer steps
// (PolynomialFeatures, PCA / TruncatedSVD, FunctionTransformer): every load-time refusal,
// single rows against the batch, float input, and the value errors of function_transformer.
// Parity with scikit-learn over whole files is tests/golden_test.cpp's job (tests/data/decomp_*).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <utility>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "artifact/artifact.hpp"
#include "artifact/tensor_data.hpp"
#include "ferry/model.hpp"
#include "pipeline/step.hpp"
#include "pipeline/step_inputs.hpp"
#include "support/test_support.hpp"

namespace ferry::detail {
namespace {

using nlohmann::json;
namespace fa = artifact;

// A shipped case, parsed, to be edited and written back.
using Parsed = test::EditableArtifact;

Parsed parsed(const std::string& name) { return Parsed::from_case("tests/data/" + name); }

std::vector<std::int64_t> int64_values(const fa::Tensor& t) {
  std::vector<std::int64_t> v(static_cast<std::size_t>(t.count()));
  fa::copy_int64(t, v.data());
  return v;
}

std::vector<double> float64_values(const fa::Tensor& t) {
  std::vector<double> v(static_cast<std::size_t>(t.count()));
  fa::copy_float64(t, v.data());
  return v;
}

RowMatrixXd input_of(const std::string& name, const Model& model) { return test::case_input("tests/data/" + name, model); }

const char* const kCases[] = {
    "decomp_poly2_interaction", "decomp_poly_bias_degree_range", "decomp_poly_interaction_range",
    "decomp_pca",               "decomp_pca_whiten",             "decomp_svd",
    "decomp_function_log1p",    "decomp_function_chain",
};

// ---------------------------------------------------------------------------------------
// Every case: one row at a time gives the rows of the batch, bit for bit; float input works.

TEST(DecompositionSteps, FloatInputIsWidenedExactly) {
  for (const char* name : kCases) {
    SCOPED_TRACE(name);
    const Model model = Model::load(test::source_path(std::string("tests/data/") + name + "/model.ferry"));
    const RowMatrixXf Xf = input_of(name, model).cast<float>();
    const RowMatrixXd widened = Xf.cast<double>();
    EXPECT_EQ(model.transform(Xf), model.transform(widened));
    EXPECT_EQ(model.predict(Xf).scores, model.predict(widened).scores);
  }
}

// ---------------------------------------------------------------------------------------
// polynomial_features (decomp_poly_bias_degree_range: 3 inputs, degree (2, 3), bias: 17 terms)

constexpr const char* kPoly = "decomp_poly_bias_degree_range";

TEST(PolynomialFeaturesStep, ShippedCaseLoadsAndMultipliesInScikitLearnsOrder) {
  const Model model = parsed(kPoly).load();
  RowMatrixXd x(1, 3);
  x << 1.1, 2.3, 0.7;  // products whose rounding depends on the order
  const RowMatrixXd y = model.transform(x);
  // The first step's output is what the second (a StandardScaler) scales; check the raw
  // products through a file with the scaler taken out.
  Parsed p = parsed(kPoly);
  json names = p.step(0)["feature_names_out"];
  p.header["pipeline"].erase(1);
  p.tensors.erase("steps.1.mean");
  p.tensors.erase("steps.1.scale");
  const Model raw = p.load();
  const RowMatrixXd z = raw.transform(x);
  ASSERT_EQ(z.cols(), 17);
  EXPECT_EQ(raw.transformed_feature_names(), names.get<std::vector<std::string>>());
  const double a = x(0, 0), b = x(0, 1), c = x(0, 2);
  const std::vector<double> want = {
      1.0,                                                   // 1
      a * a,         a * b,         a * c,                   // degree 2: (x1*x0), ...
      b * b,         c * b,         c * c,                   //
      (a * a) * a,   (b * a) * a,   (c * a) * a,             // degree 3: (x[cd] ... ) * x[c1]
      ((b * b) * a), ((c * b) * a), ((c * c) * a),           //
      (b * b) * b,   (c * b) * b,   (c * c) * b, (c * c) * c  //
  };
  for (Index j = 0; j < 17; ++j) EXPECT_EQ(z(0, j), want[static_cast<std::size_t>(j)]) << names[static_cast<std::size_t>(j)];
  EXPECT_EQ(y.cols(), 17);
}

TEST(PolynomialFeaturesStep, DegreesOutOfRange) {
  const auto expect_refused = [](std::int64_t lo, std::int64_t hi) {
    Parsed p = parsed(kPoly);
    p.params(0)["min_degree"] = lo;
    p.params(0)["max_degree"] = hi;
    EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "must satisfy 0 <= min_degree <= max_degree <= 64");
  };
  expect_refused(3, 2);
  expect_refused(-1, 3);
  expect_refused(2, 65);
  Parsed p = parsed(kPoly);
  p.params(0)["min_degree"] = 0;
  p.params(0)["max_degree"] = 0;
  p.params(0)["include_bias"] = false;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "max_degree = 0 without include_bias leaves no output column");
}

TEST(PolynomialFeaturesStep, ParamsMustBeTyped) {
  Parsed p = parsed(kPoly);
  p.params(0).erase("interaction_only");
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "pipeline[0].params.interaction_only is missing");
  p = parsed(kPoly);
  p.params(0)["include_bias"] = 1;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "pipeline[0].params.include_bias must be");
  p = parsed(kPoly);
  p.params(0)["max_degree"] = "3";
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "pipeline[0].params.max_degree must be");
}

TEST(PolynomialFeaturesStep, PowersMustBeScikitLearnsTerms) {
  // Other flags, same powers: the first row that differs is named.
  Parsed p = parsed(kPoly);
  p.params(0)["interaction_only"] = true;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor role \"powers\" row 1 is not scikit-learn's term of columns [0, 1]");
  p = parsed(kPoly);
  p.params(0)["include_bias"] = false;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "row 0 is not scikit-learn's term of columns [0, 0]");
  p = parsed("decomp_poly2_interaction");
  p.params(0)["include_bias"] = true;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "row 0 is not scikit-learn's bias term (power of column 0 is 1, expected 0)");
  // Fewer and more terms than n_features_out.
  p = parsed(kPoly);
  p.params(0)["max_degree"] = 2;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "n_features_out = 17 but the degrees give only 7 terms");
  p = parsed(kPoly);
  p.params(0)["max_degree"] = 4;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "n_features_out = 17 but the degrees give more terms");
  // Two rows swapped.
  p = parsed(kPoly);
  std::vector<std::int64_t> powers = int64_values(p.tensors.at("steps.0.powers"));
  std::swap_ranges(powers.begin() + 3, powers.begin() + 6, powers.begin() + 6);
  p.tensors["steps.0.powers"] = fa::make_int64({17, 3}, powers.data());
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "row 1 is not scikit-learn's term of columns [0, 0] (power of column 0 is 1, expected 2)");
  // A negative power.
  p = parsed(kPoly);
  powers = int64_values(p.tensors.at("steps.0.powers"));
  powers[3] = -2;
  p.tensors["steps.0.powers"] = fa::make_int64({17, 3}, powers.data());
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "power of column 0 is -2, expected 2");
}

TEST(PolynomialFeaturesStep, PowersTensorDtypeAndShape) {
  Parsed p = parsed(kPoly);
  const std::vector<std::int64_t> powers = int64_values(p.tensors.at("steps.0.powers"));
  const std::vector<double> as_double(powers.begin(), powers.end());
  p.tensors["steps.0.powers"] = fa::make_float64({17, 3}, as_double.data());
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor \"steps.0.powers\" (powers) has dtype float64, expected int64");
  p = parsed(kPoly);
  p.tensors["steps.0.powers"] = fa::make_int64({3, 17}, powers.data());
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor \"steps.0.powers\" (powers) has shape [3, 17], expected [17, 3]");
  p = parsed(kPoly);
  p.step(0)["tensors"].erase("powers");
  p.tensors.erase("steps.0.powers");
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor role \"powers\" is missing");
}

// ---------------------------------------------------------------------------------------
// linear_projection (decomp_pca_whiten: steps[1] is PCA(5, whiten=True) on 13 columns;
// decomp_svd: steps[0] is TruncatedSVD(4) on 10 columns)

TEST(LinearProjectionStep, ScaleMustBePositive) {
  const std::pair<double, const char*> cases[] = {{0.0, "has 0 at [2]"}, {-1.5, "has -1.5 at [2]"}};
  for (const auto& [bad, message] : cases) {
    Parsed p = parsed("decomp_pca_whiten");
    std::vector<double> scale = float64_values(p.tensors.at("steps.1.scale"));
    scale[2] = bad;
    p.tensors["steps.1.scale"] = fa::make_float64({5}, scale.data());
    EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, std::string("tensor role \"scale\" ") + message + "; it must be positive");
  }
}

TEST(LinearProjectionStep, TensorsMatchTheFlags) {
  Parsed p = parsed("decomp_pca_whiten");
  p.params(1)["with_scale"] = false;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor \"scale\" must be present exactly when with_scale");
  p = parsed("decomp_pca_whiten");
  p.params(1)["with_mean"] = false;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor \"mean\" must be present exactly when with_mean");
  p = parsed("decomp_svd");
  p.params(0)["with_mean"] = true;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor \"mean\" must be present exactly when with_mean");
  p = parsed("decomp_svd");
  p.params(0).erase("with_scale");
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "pipeline[0].params.with_scale is missing");
}

TEST(LinearProjectionStep, TensorShapesAndValues) {
  Parsed p = parsed("decomp_svd");
  std::vector<double> components = float64_values(p.tensors.at("steps.0.components"));
  p.tensors["steps.0.components"] = fa::make_float64({10, 4}, components.data());
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor \"steps.0.components\" (components) has shape [10, 4], expected [4, 10]");
  components[13] = std::numeric_limits<double>::quiet_NaN();
  p.tensors["steps.0.components"] = fa::make_float64({4, 10}, components.data());
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor role \"components\" has a non-finite value at [1, 3]");
  p = parsed("decomp_pca_whiten");
  std::vector<double> mean = float64_values(p.tensors.at("steps.1.mean"));
  p.tensors["steps.1.mean"] = fa::make_float64({12}, mean.data());
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor \"steps.1.mean\" (mean) has shape [12], expected [13]");
  p = parsed("decomp_pca_whiten");
  mean[0] = std::numeric_limits<double>::infinity();
  p.tensors["steps.1.mean"] = fa::make_float64({13}, mean.data());
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor role \"mean\" has a non-finite value at [0]");
}

TEST(LinearProjectionStep, ComputesTheSpecFormula) {
  // y = ((x - mean) . components^T) / scale with the shipped tensors, summed left to right.
  const Parsed p = parsed("decomp_pca_whiten");
  const Model model = p.load();
  const RowMatrixXd X = input_of("decomp_pca_whiten", model);
  // The step's input is the StandardScaler's output.
  const std::vector<double> smean = float64_values(p.tensors.at("steps.0.mean"));
  const std::vector<double> sscale = float64_values(p.tensors.at("steps.0.scale"));
  const std::vector<double> mean = float64_values(p.tensors.at("steps.1.mean"));
  const std::vector<double> comp = float64_values(p.tensors.at("steps.1.components"));
  const std::vector<double> scale = float64_values(p.tensors.at("steps.1.scale"));
  const RowMatrixXd got = model.transform(X);
  for (Index i = 0; i < X.rows(); ++i)
    for (Index r = 0; r < 5; ++r) {
      double s = 0.0;
      for (Index j = 0; j < 13; ++j) {
        const auto u = static_cast<std::size_t>(j);
        s += ((X(i, j) - smean[u]) / sscale[u] - mean[u]) * comp[static_cast<std::size_t>(r * 13 + j)];
      }
      EXPECT_EQ(got(i, r), s / scale[static_cast<std::size_t>(r)]) << i << ", " << r;
    }
}

// ---------------------------------------------------------------------------------------
// function_transformer (decomp_function_log1p: log1p on 13 wine columns, then a scaler;
// decomp_function_chain: abs, sqrt, exp, log, expm1, identity, square on x0..x3)

TEST(FunctionTransformerStep, UnknownOrMistypedFunc) {
  Parsed p = parsed("decomp_function_log1p");
  p.params(0)["func"] = "cbrt";
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat,
                     "params.func \"cbrt\" is not one of identity, log, log1p, exp, expm1, sqrt, abs, square");
  p.params(0)["func"] = "numpy.log";
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.func \"numpy.log\" is not one of");
  p.params(0)["func"] = 3;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "pipeline[0].params.func must be");
  p.params(0).erase("func");
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "pipeline[0].params.func is missing");
}

TEST(FunctionTransformerStep, WidthIsUnchanged) {
  Parsed p = parsed("decomp_function_log1p");
  p.step(0)["n_features_out"] = 12;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "pipeline[0] (function_transformer, steps[0]: FunctionTransformer): "
                                                   "n_features_out must equal n_features_in");
}

TEST(FunctionTransformerStep, OutOfDomainValueNamesRowAndColumn) {
  const Model model = parsed("decomp_function_log1p").load();
  RowMatrixXd X = input_of("decomp_function_log1p", model).topRows(3);
  X(2, 1) = -2.0;  // log1p(-2) is NaN in numpy
  EXPECT_FERRY_ERROR(model.predict(X), ErrorCode::kValue, "row 2, column \"malic_acid\": log1p(-2) is NaN");
  EXPECT_FERRY_ERROR(model.transform(X), ErrorCode::kValue, "row 2, column \"malic_acid\": log1p(-2) is NaN");
  X(2, 1) = -1.0;  // log1p(-1) is -inf
  EXPECT_FERRY_ERROR(model.transform(X), ErrorCode::kValue, "log1p(-1) is -infinity");
  X(2, 1) = 0.5;
  X(0, 12) = -1.5;
  EXPECT_FERRY_ERROR(model.predict(X), ErrorCode::kValue, "row 0, column \"proline\": log1p(-1.5) is NaN");
  const RowMatrixXf Xf = X.cast<float>();
  EXPECT_FERRY_ERROR(model.predict(Xf), ErrorCode::kValue, "row 0, column \"proline\": log1p(-1.5) is NaN");
}

TEST(FunctionTransformerStep, OverflowAndLogOfZeroInTheChain) {
  const Model model = parsed("decomp_function_chain").load();
  RowMatrixXd X = RowMatrixXd::Zero(2, 4);
  EXPECT_NO_THROW(model.transform(X));  // abs, sqrt give 0, exp 1, log 0, expm1 0
  X(1, 3) = 1e6;  // sqrt(1e6) = 1000, exp(1000) overflows
  EXPECT_FERRY_ERROR(model.transform(X), ErrorCode::kValue, "row 1, column \"x3\": exp(1000) is +infinity");
  // The chain with log first: log(0) is -inf, log of a negative number NaN.
  Parsed p = parsed("decomp_function_chain");
  p.params(0)["func"] = "log";
  const Model with_log = p.load();
  RowMatrixXd Y = RowMatrixXd::Constant(1, 4, 0.25);
  Y(0, 2) = 0.0;
  EXPECT_FERRY_ERROR(with_log.transform(Y), ErrorCode::kValue, "row 0, column \"x2\": log(0) is -infinity");
  Y(0, 2) = -0.125;
  EXPECT_FERRY_ERROR(with_log.transform(Y), ErrorCode::kValue, "row 0, column \"x2\": log(-0.125) is NaN");
}

// The step itself, outside a model: values that are already NaN or infinite go through as
// numpy computes them (a NaN before an imputer is not an error of this step).
TEST(FunctionTransformerStep, NonFiniteInputPassesThroughAsNumpyGivesIt) {
  const fa::Artifact none;
  std::set<std::string> used;
  const auto make = [&](const char* func) {
    const json entry = {{"type", "function_transformer"}, {"n_features_in", 3}, {"n_features_out", 3},
                        {"params", {{"func", func}}}, {"tensors", json::object()}};
    return make_step(StepInputs(entry, "pipeline[0]", none, used, Columns{{"a", "b", "c"}, {}}));
  };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  RowMatrixXd X(1, 3);
  X << nan, inf, -inf;
  RowMatrixXd Y = X;
  make("log")->transform(Y);
  EXPECT_TRUE(std::isnan(Y(0, 0)));
  EXPECT_EQ(Y(0, 1), inf);
  EXPECT_TRUE(std::isnan(Y(0, 2)));
  Y = X;
  make("exp")->transform(Y);
  EXPECT_TRUE(std::isnan(Y(0, 0)));
  EXPECT_EQ(Y(0, 1), inf);
  EXPECT_EQ(Y(0, 2), 0.0);
  Y = X;
  make("abs")->transform(Y);
  EXPECT_EQ(Y(0, 2), inf);
  RowMatrixXd Z(2, 3);
  Z << 1.0, 4.0, 9.0, 1.0, -4.0, 9.0;
  EXPECT_FERRY_ERROR(make("sqrt")->transform(Z), ErrorCode::kValue, "row 1, column \"b\": sqrt(-4) is NaN");
  Z << 1.0, 4.0, 9.0, 1.0, -0.0, 9.0;
  make("sqrt")->transform(Z);
  EXPECT_EQ(Z, (RowMatrixXd(2, 3) << 1.0, 2.0, 3.0, 1.0, -0.0, 3.0).finished());
  EXPECT_TRUE(std::signbit(Z(1, 1)));  // sqrt(-0) is -0, as in numpy
}

TEST(FunctionTransformerStep, EachFunctionIsTheCLibrarys) {
  const fa::Artifact none;
  std::set<std::string> used;
  const std::vector<double> xs = {0.5, 1.0, 2.5, 7.25, 100.0, 1e-8, 3e5};
  const std::map<std::string, double (*)(double)> reference = {
      {"log", [](double x) { return std::log(x); }},     {"log1p", [](double x) { return std::log1p(x); }},
      {"exp", [](double x) { return std::exp(x); }},     {"expm1", [](double x) { return std::expm1(x); }},
      {"sqrt", [](double x) { return std::sqrt(x); }},   {"abs", [](double x) { return std::fabs(x); }},
      {"square", [](double x) { return x * x; }},        {"identity", [](double x) { return x; }},
  };
  for (const auto& [func, f] : reference) {
    const json entry = {{"type", "function_transformer"}, {"n_features_in", 1}, {"n_features_out", 1},
                        {"params", {{"func", func}}}, {"tensors", json::object()}};
    const auto step = make_step(StepInputs(entry, "pipeline[0]", none, used));
    for (double x : xs) {
      if (func == "exp" && x > 700) continue;
      if (func == "expm1" && x > 700) continue;
      for (double sx : {x, -x}) {
        if ((func == "log" || func == "sqrt") && sx < 0) continue;
        if (func == "log1p" && sx <= -1) continue;
        RowMatrixXd v(1, 1);
        v(0, 0) = sx;
        step->transform(v);
        EXPECT_EQ(v(0, 0), f(sx)) << func << "(" << sx << ")";
      }
    }
  }
}

}  // namespace
}  // namespace ferry::detail
