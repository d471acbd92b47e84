// kbins_discretizer, power_transformer, quantile_transformer and spline_transformer
// (docs/format.md 4.3-4.6): load-time validation of every parameter and tensor, value errors
// naming row and column, one row at a time equal to the batch, float input. Parity with
// scikit-learn itself is checked by the golden tests over tests/data/dist_*.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "artifact/artifact.hpp"
#include "artifact/tensor_data.hpp"
#include "ferry/model.hpp"
#include "support/test_support.hpp"

namespace ferry::detail {
namespace {

using nlohmann::json;
namespace fa = artifact;

const std::vector<std::string> kCases = {
    "dist_kbins_uniform_ordinal", "dist_kbins_quantile_onehot", "dist_kbins_kmeans",     "dist_power_yeo_johnson",
    "dist_power_yeo_johnson_raw", "dist_power_box_cox",         "dist_quantile_uniform", "dist_quantile_normal",
    "dist_quantile_normal_ties",  "dist_spline_constant",       "dist_spline_linear",    "dist_spline_linear_degree1",
    "dist_spline_continue",       "dist_spline_periodic",       "dist_spline_error",
};

std::string case_dir(const std::string& name) { return test::source_path("tests/data/" + name); }

// A shipped case, parsed, so a test can edit its header and tensors and write it again.
struct Parsed : test::EditableArtifact {
  explicit Parsed(const std::string& name) : EditableArtifact(from_case("tests/data/" + name)) {
    drop_verification();  // edits change outputs; the checks below are about loading
  }

  std::vector<double> values(const std::string& tensor) const { return float64_of(tensor); }
  void set(const std::string& tensor, const std::vector<double>& v) {
    tensors[tensor] = fa::make_float64(tensors.at(tensor).shape, v.data());
  }
  void set(const std::string& tensor, std::vector<std::int64_t> shape, const std::vector<double>& v) {
    tensors[tensor] = fa::make_float64(std::move(shape), v.data());
  }
};

RowMatrixXd case_input(const std::string& name, const Model& model) { return test::case_input("tests/data/" + name, model); }

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// ---------------------------------------------------------------------------------------
// Every case: the edited-and-rewritten control loads, rows alone equal the batch, float works.

class DistributionCase : public ::testing::TestWithParam<std::string> {};

TEST_P(DistributionCase, RewrittenWithoutVerificationStillLoads) { EXPECT_NO_THROW(Parsed(GetParam()).load()); }

TEST_P(DistributionCase, FloatInputIsWidenedFirst) {
  const Model model = Model::load(case_dir(GetParam()) + "/model.ferry");
  const RowMatrixXf Xf = case_input(GetParam(), model).cast<float>();
  if (GetParam() == "dist_spline_error") {
    // Column x0 takes two values, both knots; as float the upper one rounds above the last
    // knot, which scikit-learn, given the same float32 input, refuses too.
    EXPECT_FERRY_ERROR(model.transform(Xf), ErrorCode::kValue, "row 0, column \"x0\"");
    return;
  }
  const RowMatrixXd widened = Xf.cast<double>();
  EXPECT_EQ(model.transform(Xf), model.transform(widened));
  EXPECT_EQ(model.predict(Xf).scores, model.predict(widened).scores);
}

INSTANTIATE_TEST_SUITE_P(Dist, DistributionCase, ::testing::ValuesIn(kCases),
                         [](const auto& param_info) { return param_info.param; });

// ---------------------------------------------------------------------------------------
// kbins_discretizer

TEST(KBinsDiscretizer, BinsAreSearchsortedRightOfTheInnerEdges) {
  const Model model = Model::load(case_dir("dist_kbins_uniform_ordinal") + "/model.ferry");
  const std::vector<double> edges = Parsed("dist_kbins_uniform_ordinal").values("steps.0.edges");
  RowMatrixXd X(3, 6);  // column 0: below, on the first inner edge, above everything
  X << -1e300, 0, 0, 0, 0, 0, edges[0], 0, 0, 0, 0, 0, 1e300, 0, 0, 0, 0, 1e300;
  const RowMatrixXd Z = model.transform(X);
  EXPECT_EQ(Z(0, 0), 0.0);
  EXPECT_EQ(Z(1, 0), 1.0);  // side="right": a value on an edge goes to the bin above it
  EXPECT_EQ(Z(2, 0), 4.0);
  EXPECT_EQ(Z(2, 5), 0.0);  // the constant column has one bin
}

TEST(KBinsDiscretizer, RefusesBadParamsAndTensors) {
  const std::string name = "dist_kbins_quantile_onehot";
  Parsed p(name);
  p.params()["encode"] = "onehot";
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.encode \"onehot\" is not \"ordinal\" or \"onehot-dense\"");
  p = Parsed(name);
  p.params()["n_bins"].erase(0);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.n_bins must hold one count per input column");
  p = Parsed(name);
  p.params()["n_bins"][1] = 0;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.n_bins[1] must be an integer in [1, 16777216]");
  p = Parsed(name);
  p.params()["n_bins"][1] = 2.5;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.n_bins[1] must be an integer");
  p = Parsed(name);
  p.step()["n_features_out"] = 5;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "n_features_out is 5 but encode \"onehot-dense\"");
  p = Parsed(name);
  p.params()["encode"] = "ordinal";  // n_features_out no longer matches: 5 columns, not 20
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "n_features_out is 20 but encode \"ordinal\"");
  p = Parsed(name);
  std::vector<double> edges = p.values("steps.0.edges");
  std::swap(edges[0], edges[1]);
  p.set("steps.0.edges", edges);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor role \"edges\" decreases at [1] (column 0)");
  p = Parsed(name);
  edges = p.values("steps.0.edges");
  edges[3] = kNaN;
  p.set("steps.0.edges", edges);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor role \"edges\" has a non-finite value at [3]");
  p = Parsed(name);
  edges = p.values("steps.0.edges");
  edges.pop_back();
  p.set("steps.0.edges", {static_cast<std::int64_t>(edges.size())}, edges);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "(edges) has shape");
}

// ---------------------------------------------------------------------------------------
// power_transformer

TEST(PowerTransformer, BoxCoxRefusesValuesThatAreNotPositiveNamingRowAndColumn) {
  const Model model = Model::load(case_dir("dist_power_box_cox") + "/model.ferry");
  RowMatrixXd X = case_input("dist_power_box_cox", model).topRows(3);
  EXPECT_NO_THROW(model.predict(X));
  X(2, 1) = 0.0;
  EXPECT_FERRY_ERROR(model.predict(X), ErrorCode::kValue, "row 2, column \"x1\": 0 is not strictly positive");
  X(1, 3) = -1.5;
  EXPECT_FERRY_ERROR(model.transform(X), ErrorCode::kValue, "row 1, column \"x3\": -1.5 is not strictly positive");
  const RowMatrixXf Xf = X.cast<float>();
  EXPECT_FERRY_ERROR(model.predict(Xf), ErrorCode::kValue, "row 1, column \"x3\"");
}

TEST(PowerTransformer, YeoJohnsonTakesAnyFiniteValue) {
  const Model model = Model::load(case_dir("dist_power_yeo_johnson") + "/model.ferry");
  RowMatrixXd X(2, 5);
  X << -1e6, -1, 0, 1, 1e6, 1e-300, -1e-300, 0.5, -0.5, 3;
  const RowMatrixXd Z = model.transform(X);
  EXPECT_TRUE(Z.allFinite()) << Z;
}

TEST(PowerTransformer, RefusesBadParamsAndTensors) {
  const std::string name = "dist_power_box_cox";
  Parsed p(name);
  p.params()["method"] = "box_cox";
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.method \"box_cox\" is not \"yeo-johnson\" or \"box-cox\"");
  p = Parsed(name);
  p.params()["standardize"] = 1;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "standardize must be true or false");
  p = Parsed(name);
  p.params()["standardize"] = false;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor \"mean\" must be present exactly when standardize");
  p = Parsed(name);
  p.step()["tensors"].erase("scale");
  p.tensors.erase("steps.0.scale");
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor \"scale\" must be present exactly when standardize");
  p = Parsed(name);
  std::vector<double> s = p.values("steps.0.scale");
  s[2] = 0.0;
  p.set("steps.0.scale", s);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor role \"scale\" has a zero at [2]");
  p = Parsed(name);
  s = p.values("steps.0.lambdas");
  s[0] = std::numeric_limits<double>::infinity();
  p.set("steps.0.lambdas", s);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor role \"lambdas\" has a non-finite value at [0]");
  p = Parsed(name);
  p.set("steps.0.lambdas", {3}, {1.0, 1.0, 1.0});
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "(lambdas) has shape [3], expected [4]");
  p = Parsed(name);
  p.step()["n_features_out"] = 3;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "n_features_out must equal n_features_in");
}

// ---------------------------------------------------------------------------------------
// quantile_transformer

TEST(QuantileTransformer, ClipsFarValuesToTheBounds) {
  const Model normal = Model::load(case_dir("dist_quantile_normal") + "/model.ferry");
  RowMatrixXd X(2, 5);
  X.row(0).setConstant(-1e300);
  X.row(1).setConstant(1e300);
  const RowMatrixXd Z = normal.transform(X);
  EXPECT_TRUE((Z.row(0).array() == -5.199337582605575).all()) << Z;
  EXPECT_TRUE((Z.row(1).array() == 5.19933758270342).all()) << Z;
  const Model uniform = Model::load(case_dir("dist_quantile_uniform") + "/model.ferry");
  const RowMatrixXd U = uniform.transform(X);
  EXPECT_TRUE((U.row(0).array() == 0.0).all()) << U;
  EXPECT_TRUE((U.row(1).array() == 1.0).all()) << U;
}

TEST(QuantileTransformer, RefusesBadParamsAndTensors) {
  const std::string name = "dist_quantile_uniform";  // 20 quantiles x 5 columns
  Parsed p(name);
  p.params()["output_distribution"] = "gaussian";
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.output_distribution \"gaussian\" is not");
  p = Parsed(name);
  p.params()["n_quantiles"] = 0;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.n_quantiles must be in [1, 2^24]");
  p = Parsed(name);
  p.params()["n_quantiles"] = 19;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "(references) has shape [20], expected [19]");
  p = Parsed(name);
  std::vector<double> r = p.values("steps.0.references");
  r[5] = r[4];
  p.set("steps.0.references", r);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "\"references\" must increase strictly within [0, 1] (at [5])");
  p = Parsed(name);
  r = p.values("steps.0.references");
  r.back() = 1.5;
  p.set("steps.0.references", r);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "(at [19])");
  p = Parsed(name);
  std::vector<double> q = p.values("steps.0.quantiles");  // [20, 5] row-major
  q[3 * 5 + 2] = q[2 * 5 + 2] - 1.0;
  p.set("steps.0.quantiles", q);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor role \"quantiles\" decreases at [3, 2]");
  p = Parsed(name);
  p.set("steps.0.quantiles", {5, 20}, p.values("steps.0.quantiles"));
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "(quantiles) has shape [5, 20], expected [20, 5]");
  p = Parsed(name);
  p.step()["n_features_out"] = 6;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "n_features_out must equal n_features_in");
}

// ---------------------------------------------------------------------------------------
// spline_transformer

TEST(SplineTransformer, ErrorExtrapolationNamesRowAndColumn) {
  const Model model = Model::load(case_dir("dist_spline_error") + "/model.ferry");
  RowMatrixXd X = case_input("dist_spline_error", model).topRows(4);
  EXPECT_NO_THROW(model.predict(X));
  X(3, 2) = 1e3;
  EXPECT_FERRY_ERROR(model.predict(X), ErrorCode::kValue, "row 3, column \"x2\": 1000 is outside the spline knots");
  EXPECT_FERRY_ERROR(model.transform(X), ErrorCode::kValue, "extrapolation='error'");
}

TEST(SplineTransformer, PeriodicRepeatsEveryPeriod) {
  const Parsed p("dist_spline_periodic");
  const std::vector<double> t = p.values("steps.0.knots");  // [12, 3]; degree 3
  const double lo = t[3 * 3 + 0];
  const double period = t[8 * 3 + 0] - lo;
  const Model model = Model::load(case_dir("dist_spline_periodic") + "/model.ferry");
  RowMatrixXd X(2, 3);
  X << lo + 0.25 * period, 0, 0, lo + 0.25 * period + 7 * period, 0, 0;
  const RowMatrixXd Z = model.transform(X);
  EXPECT_LE((Z.row(0) - Z.row(1)).cwiseAbs().maxCoeff(), 1e-12) << Z;
}

TEST(SplineTransformer, RefusesBadParamsAndTensors) {
  const std::string name = "dist_spline_linear";  // degree 2, 4 knots, 3 columns, no bias
  Parsed p(name);
  p.params()["degree"] = -1;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.degree must be in [0, 64]");
  p = Parsed(name);
  p.params()["extrapolation"] = "wrap";
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.extrapolation \"wrap\" is not");
  p = Parsed("dist_spline_error");
  p.params()["extrapolation"] = "constant";
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "extrapolation \"constant\" needs degree >= 1");
  p = Parsed(name);
  p.params()["include_bias"] = "no";
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "include_bias must be true or false");
  p = Parsed(name);
  p.params()["n_knots"] = 1;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.n_knots must be at least 2");
  p = Parsed(name);
  p.params()["extrapolation"] = "periodic";
  p.params()["n_knots"] = 2;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.n_knots must be at least 2 and greater than degree");
  p = Parsed(name);
  p.params()["include_bias"] = true;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "n_features_out is 12 but 3 columns of 5 splines give 15");
  p = Parsed(name);
  p.params()["n_knots"] = 5;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "n_features_out is 12 but");
  std::vector<double> t = p.values("steps.0.knots");  // [8, 3]
  p = Parsed(name);
  std::swap(t[4 * 3 + 1], t[5 * 3 + 1]);
  p.set("steps.0.knots", t);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor role \"knots\" decreases at [5, 1]");
  p = Parsed(name);
  t = p.values("steps.0.knots");
  t[4 * 3 + 0] = t[3 * 3 + 0];
  t[5 * 3 + 0] = t[3 * 3 + 0];  // three equal knots: more than degree (2) times
  p.set("steps.0.knots", t);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "repeats a knot more than degree times at [5, 0]");
  p.params()["extrapolation"] = "continue";  // fine without the derivative recursion
  EXPECT_NO_THROW(p.load());
  p = Parsed("dist_spline_periodic");  // degree 3, 6 knots: t[3] .. t[8] span the period
  t = p.values("steps.0.knots");
  for (int i = 0; i < 12; ++i) t[static_cast<std::size_t>(i * 3 + 2)] = 0.5;
  p.set("steps.0.knots", t);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "gives column 2 a period of zero");
  p = Parsed(name);
  t = p.values("steps.0.knots");
  p.set("steps.0.knots", {3, 8}, t);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "(knots) has shape [3, 8], expected [8, 3]");
}

}  // namespace
}  // namespace ferry::detail
