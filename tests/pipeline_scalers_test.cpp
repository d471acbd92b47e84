// The scaler family beyond StandardScaler: min_max_scaler, max_abs_scaler, robust_scaler,
// normalizer and binarizer (docs/format.md §4). Parity with scikit-learn on whole batches is
// the golden tests' job (tests/data/scaler_*); here: every load-time rule, one row at a time
// against the batch, float input, and the edge rows of each kernel.
#include <gtest/gtest.h>

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

// A shipped case, parsed so a test can edit its header and tensors and load the result.
using Parsed = test::EditableArtifact;

Parsed parsed(const std::string& name) { return Parsed::from_case("tests/data/" + name); }

std::vector<double> values_of(const fa::Tensor& t) {
  std::vector<double> v(static_cast<std::size_t>(t.count()));
  fa::copy_float64(t, v.data());
  return v;
}

void set_value(Parsed& p, const std::string& tensor, std::size_t i, double value) {
  std::vector<double> v = values_of(p.tensors.at(tensor));
  v.at(i) = value;
  p.tensors[tensor] = fa::make_float64(p.tensors.at(tensor).shape, v.data());
}

RowMatrixXd input_of(const std::string& name, const Model& model) { return test::case_input("tests/data/" + name, model); }

Model load_case(const std::string& name) {
  return Model::load(test::source_path("tests/data/" + name + "/model.ferry"));
}

const char* const kCases[] = {
    "scaler_minmax",          "scaler_minmax_clip",         "scaler_maxabs",
    "scaler_robust",          "scaler_robust_no_centering", "scaler_robust_no_scaling",
    "scaler_normalizer_l1",   "scaler_normalizer_l2",       "scaler_normalizer_max",
    "scaler_normalizer_wide", "scaler_binarizer",
};

// ---------------------------------------------------------------------------------------
// Every case loads, each with the step type it claims.

TEST(Scalers, ShippedCasesLoadAndVerify) {
  const std::map<std::string, std::string> types = {
      {"scaler_minmax", "min_max_scaler"},
      {"scaler_minmax_clip", "min_max_scaler"},
      {"scaler_maxabs", "max_abs_scaler"},
      {"scaler_robust", "robust_scaler"},
      {"scaler_robust_no_centering", "robust_scaler"},
      {"scaler_robust_no_scaling", "robust_scaler"},
      {"scaler_normalizer_l1", "normalizer"},
      {"scaler_normalizer_l2", "normalizer"},
      {"scaler_normalizer_max", "normalizer"},
      {"scaler_normalizer_wide", "normalizer"},
      {"scaler_binarizer", "binarizer"},
  };
  LoadOptions verify;
  verify.verify = true;
  for (const char* name : kCases) {
    SCOPED_TRACE(name);
    EXPECT_EQ(parsed(name).step()["type"], types.at(name));
    EXPECT_NO_THROW(Model::load(test::source_path(std::string("tests/data/") + name + "/model.ferry"), verify));
  }
}

// ---------------------------------------------------------------------------------------
// One row at a time gives the batch's rows exactly, and float input is the same as its
// values widened to double.

TEST(Scalers, FloatInputIsWidenedToDouble) {
  for (const char* name : kCases) {
    SCOPED_TRACE(name);
    const Model model = load_case(name);
    const RowMatrixXf Xf = input_of(name, model).cast<float>();
    const RowMatrixXd Xd = Xf.cast<double>();
    EXPECT_EQ(model.transform(Xf), model.transform(Xd));
    EXPECT_EQ(model.predict(Xf).scores, model.predict(Xd).scores);
  }
}

// ---------------------------------------------------------------------------------------
// Edge rows, checked against scikit-learn's rules directly.

TEST(Scalers, NormalizerKeepsZeroAndTinyRows) {
  for (const char* name : {"scaler_normalizer_l1", "scaler_normalizer_l2", "scaler_normalizer_max"}) {
    SCOPED_TRACE(name);
    const Model model = load_case(name);
    const Index n = static_cast<Index>(model.schema().inputs.size());
    EXPECT_EQ(model.transform(RowMatrixXd::Zero(1, n)), RowMatrixXd::Zero(1, n));
    // Norms below 10 * DBL_EPSILON are replaced by 1: the row comes back unchanged.
    const RowMatrixXd tiny = RowMatrixXd::Constant(1, n, 1e-17);
    EXPECT_EQ(model.transform(tiny), tiny);
    // A row with one non-zero value becomes +-1 there, for every norm.
    RowMatrixXd one = RowMatrixXd::Zero(1, n);
    one(0, n - 1) = -3.5;
    RowMatrixXd want = RowMatrixXd::Zero(1, n);
    want(0, n - 1) = -1.0;
    EXPECT_EQ(model.transform(one), want);
  }
}

TEST(Scalers, BinarizerIsStrictlyGreater) {
  const Model model = load_case("scaler_binarizer");  // threshold 1.5
  RowMatrixXd X(1, 4);
  X << 1.5, std::nextafter(1.5, 2.0), -2.0, 1e300;
  RowMatrixXd want(1, 4);
  want << 0.0, 1.0, 0.0, 1.0;
  EXPECT_EQ(model.transform(X), want);
}

TEST(Scalers, MinMaxClipStaysInTheFeatureRange) {
  const Model model = load_case("scaler_minmax_clip");  // feature_range (-2, 3)
  const RowMatrixXd X = input_of("scaler_minmax_clip", model);
  const RowMatrixXd T = model.transform(X);
  EXPECT_GE(T.minCoeff(), -2.0);
  EXPECT_LE(T.maxCoeff(), 3.0);
  EXPECT_EQ(T.maxCoeff(), 3.0);  // the adversarial rows reach both ends
  EXPECT_EQ(T.minCoeff(), -2.0);
  const Model unclipped = load_case("scaler_minmax");  // feature_range (0, 1), clip=False
  const RowMatrixXd U = unclipped.transform(input_of("scaler_minmax", unclipped));
  EXPECT_GT(U.maxCoeff(), 1.0);
  EXPECT_LT(U.minCoeff(), 0.0);
}

// ---------------------------------------------------------------------------------------
// Load-time validation: each rule is a format error naming the step and the problem.

TEST(ScalersInvalid, SameWidthRequired) {
  for (const char* name : kCases) {
    SCOPED_TRACE(name);
    Parsed p = parsed(name);
    const std::int64_t n = p.step()["n_features_in"];
    p.step()["n_features_out"] = n + 1;
    p.step()["feature_names_out"].push_back("extra");
    p.header["estimator"]["n_features_in"] = n + 1;
    EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "n_features_out must equal n_features_in");
  }
}

TEST(ScalersInvalid, MinMaxScalerParams) {
  const char* const step = "pipeline[0] (min_max_scaler, steps[0]: MinMaxScaler): ";
  Parsed p = parsed("scaler_minmax_clip");
  p.params()["feature_range"] = json::array({3.0, -2.0});
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat,
                     std::string(step) + "params.feature_range must be finite with min < max");
  p.params()["feature_range"] = json::array({1.0, 1.0});
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.feature_range must be finite with min < max");
  p.params()["feature_range"] = json::array({0.0});
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.feature_range must be an array of two numbers");
  p.params()["feature_range"] = json::array({0.0, "1"});
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.feature_range must be an array of two numbers");
  p.params()["feature_range"] = 1.0;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "pipeline[0].params.feature_range must be an array");
  p.params().erase("feature_range");
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "pipeline[0].params.feature_range is missing");

  p = parsed("scaler_minmax_clip");
  p.params()["clip"] = 1;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "pipeline[0].params.clip must be true or false");
  p.params().erase("clip");
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "pipeline[0].params.clip is missing");
}

TEST(ScalersInvalid, MinMaxScalerTensors) {
  Parsed p = parsed("scaler_minmax");
  p.step()["tensors"].erase("min");
  p.tensors.erase("steps.0.min");
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor role \"min\" is missing");
  p = parsed("scaler_minmax");
  p.tensors.at("steps.0.scale").shape = {2, 5};
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor \"steps.0.scale\" (scale) has shape [2, 5], expected [10]");
  p = parsed("scaler_minmax");
  set_value(p, "steps.0.min", 3, std::numeric_limits<double>::quiet_NaN());
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor role \"min\" has a non-finite value at [3]");
  p = parsed("scaler_minmax");
  set_value(p, "steps.0.scale", 0, std::numeric_limits<double>::infinity());
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor role \"scale\" has a non-finite value at [0]");
}

TEST(ScalersInvalid, MaxAbsScaler) {
  Parsed p = parsed("scaler_maxabs");
  set_value(p, "steps.0.scale", 2, 0.0);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat,
                     "pipeline[0] (max_abs_scaler, steps[0]: MaxAbsScaler): tensor role \"scale\" has a zero at [2]");
  p = parsed("scaler_maxabs");
  p.step()["tensors"].erase("scale");
  p.tensors.erase("steps.0.scale");
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor role \"scale\" is missing");
  p = parsed("scaler_maxabs");
  set_value(p, "steps.0.scale", 1, -std::numeric_limits<double>::infinity());
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor role \"scale\" has a non-finite value at [1]");
}

TEST(ScalersInvalid, RobustScaler) {
  const char* const step = "pipeline[0] (robust_scaler, steps[0]: RobustScaler): ";
  Parsed p = parsed("scaler_robust");
  set_value(p, "steps.0.scale", 4, 0.0);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, std::string(step) + "tensor role \"scale\" has a zero at [4]");
  p = parsed("scaler_robust");
  set_value(p, "steps.0.center", 0, std::numeric_limits<double>::quiet_NaN());
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor role \"center\" has a non-finite value at [0]");

  // A tensor must be present exactly when its flag says so.
  p = parsed("scaler_robust_no_centering");
  p.params()["with_centering"] = true;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat,
                     std::string(step) + "tensor \"center\" must be present exactly when with_centering");
  p = parsed("scaler_robust");
  p.params()["with_centering"] = false;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor \"center\" must be present exactly when with_centering");
  p = parsed("scaler_robust_no_scaling");
  p.params()["with_scaling"] = true;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor \"scale\" must be present exactly when with_scaling");
  p = parsed("scaler_robust");
  p.params()["with_scaling"] = false;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor \"scale\" must be present exactly when with_scaling");

  p = parsed("scaler_robust");
  p.params()["with_scaling"] = "yes";
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "pipeline[0].params.with_scaling must be true or false");
  p = parsed("scaler_robust");
  p.params().erase("with_centering");
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "pipeline[0].params.with_centering is missing");
}

TEST(ScalersInvalid, Normalizer) {
  Parsed p = parsed("scaler_normalizer_l2");
  p.params()["norm"] = "l3";
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat,
                     "pipeline[0] (normalizer, steps[0]: Normalizer): params.norm \"l3\" is not l1, l2 or max");
  p.params()["norm"] = "L2";
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.norm \"L2\" is not l1, l2 or max");
  p.params()["norm"] = 2;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "pipeline[0].params.norm must be a string");
  p.params().erase("norm");
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "pipeline[0].params.norm is missing");
}

TEST(ScalersInvalid, Binarizer) {
  Parsed p = parsed("scaler_binarizer");
  p.params()["threshold"] = "1.5";
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "pipeline[0].params.threshold must be a number");
  p.params()["threshold"] = true;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "pipeline[0].params.threshold must be a number");
  p.params().erase("threshold");
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "pipeline[0].params.threshold is missing");
  // An integer threshold is a number like any other.
  p.params()["threshold"] = 1;
  const Model model = p.load();
  RowMatrixXd X(1, 4);
  X << 1.0, 1.25, 0.5, 2.0;
  RowMatrixXd want(1, 4);
  want << 0.0, 1.0, 0.0, 1.0;
  EXPECT_EQ(model.transform(X), want);
}

// An unknown tensor role is ignored, but still must name an existing tensor (docs/format.md §2).
TEST(ScalersInvalid, UnknownRoleMustNameATensor) {
  Parsed p = parsed("scaler_normalizer_max");
  p.step()["tensors"]["future"] = "steps.0.nothing";
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat,
                     "tensor role \"future\" refers to missing tensor \"steps.0.nothing\"");
}

}  // namespace
}  // namespace ferry::detail
