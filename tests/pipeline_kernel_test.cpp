// The kernel_pca, kernel_centerer and pls_projection steps and the pls_regression estimator
// (KernelPCA, KernelCenterer, the PLS family; docs/format.md §4.47 - §4.50): load-time
// refusals naming the step, single rows against the batch, float input, the spec's formulas,
// and explanations (model-agnostic: every output mixes its inputs). Parity with scikit-learn
// over whole files is tests/golden_test.cpp's job (tests/data/kernel_*, pls_*).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "artifact/artifact.hpp"
#include "artifact/tensor_data.hpp"
#include "ferry/model.hpp"
#include "pipeline/numpy_sums.hpp"
#include "support/test_support.hpp"

namespace ferry::detail {
namespace {

namespace fa = artifact;
using Parsed = test::EditableArtifact;

Parsed parsed(const std::string& name) { return Parsed::from_case("tests/data/" + name); }
RowMatrixXd input_of(const std::string& name, const Model& model) { return test::case_input("tests/data/" + name, model); }

const char* const kCases[] = {
    "kernel_pca_linear", "kernel_pca_poly", "kernel_pca_rbf",        "kernel_pca_sigmoid",
    "kernel_pca_cosine", "kernel_centerer_ridge", "pls_regression_single", "pls_regression_two_targets",
    "pls_cca_predict",   "pls_transform_ridge",  "pls_svd_transform",
};

TEST(KernelAndPlsSteps, EachRowAloneIsItsRowOfTheBatch) {
  for (const char* name : kCases) {
    SCOPED_TRACE(name);
    const Model model = Model::load(test::source_path(std::string("tests/data/") + name + "/model.ferry"));
    const RowMatrixXd X = input_of(name, model);
    const RowMatrixXd all = model.predict(X).scores;
    for (Index i = 0; i < X.rows(); i += 7) EXPECT_EQ(model.predict(RowMatrixXd(X.row(i))).scores.row(0), all.row(i));
    const RowMatrixXf Xf = X.cast<float>();
    EXPECT_EQ(model.predict(Xf).scores, model.predict(RowMatrixXd(Xf.cast<double>())).scores);
  }
}

// Model-agnostic explanations through the steps (source_columns all -1): additive.
TEST(KernelAndPlsSteps, ExplanationsAreModelAgnosticAndAdditive) {
  for (const char* name : {"kernel_pca_rbf", "pls_transform_ridge", "kernel_pca_cosine"}) {
    SCOPED_TRACE(name);
    const Model model = Model::load(test::source_path(std::string("tests/data/") + name + "/model.ferry"));
    const RowMatrixXd X = input_of(name, model).topRows(3);
    ExplainOptions options;
    options.method = ExplainOptions::Method::kInterventional;
    const Explanation e = model.explain(X, options);
    EXPECT_EQ(e.method, Explanation::Method::kInterventionalExact);
    const RowMatrixXd scores = model.predict(X).scores;
    for (Index r = 0; r < X.rows(); ++r)
      EXPECT_NEAR(e.base_values(r, 0) + e.values[0].row(r).sum(), scores(r, 0), 1e-9 * (1 + std::abs(scores(r, 0))));
  }
}

// ---------------------------------------------------------------------------------------
// numpy's summation orders (pipeline/numpy_sums.hpp)

TEST(NumpySums, PairwiseSumByBuffers) {
  // 1..n: exact in any order, so the blocks only have to cover every element once
  for (Index n : {0, 1, 7, 8, 9, 127, 128, 129, 1000, 8192, 8193, 20000}) {
    std::vector<double> v(static_cast<std::size_t>(n));
    for (Index i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = static_cast<double>(i + 1);
    EXPECT_EQ(numpy_order::numpy_row_sum(v.data(), n), static_cast<double>(n) * static_cast<double>(n + 1) / 2) << n;
  }
  // the order: eight accumulators, then ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
  const double big = 1e16;
  const double v[9] = {big, 1.0, -big, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0};
  EXPECT_EQ(numpy_order::pairwise_sum(v, 9), ((big + 1.0) + (-big + 1.0)) + 1.0);
}

// ---------------------------------------------------------------------------------------
// kernel_pca (kernel_pca_rbf: steps[1] is KernelPCA(5, rbf) on 4 columns, 75 fit rows)

TEST(KernelPcaStep, ParamsAreChecked) {
  Parsed p = parsed("kernel_pca_rbf");
  p.params(1)["kernel"] = "laplacian";
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.kernel must be linear, poly, rbf, sigmoid or cosine");
  p = parsed("kernel_pca_rbf");
  p.params(1)["degree"] = 65;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.degree must be an integer in [0, 64]");
  p = parsed("kernel_pca_rbf");
  p.params(1)["n_train"] = 0;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.n_train must be an integer in [1, 2^24]");
  p = parsed("kernel_pca_rbf");
  p.params(1).erase("k_fit_all");
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "k_fit_all");
}

TEST(KernelPcaStep, TensorShapesAndValues) {
  Parsed p = parsed("kernel_pca_rbf");
  p.params(1)["n_train"] = 74;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "(fit_rows) has shape [75, 4], expected [74, 4]");
  p = parsed("kernel_pca_rbf");
  p.set_float64_at("steps.1.fit_norms", 3, -1.0);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor role \"fit_norms\" must hold values >= 0");
  p = parsed("kernel_pca_rbf");
  p.set_float64_at("steps.1.alphas", 7, std::numeric_limits<double>::quiet_NaN());
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor role \"alphas\" has a non-finite value at [0, 7]");
  p = parsed("kernel_pca_rbf");
  p.set_float64("steps.1.k_fit_rows", std::vector<double>(74, 0.0));
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "(k_fit_rows) has shape [74], expected [75]");
}

// y = Σ_t centred K_t alphas[r, t] with the rbf kernel from the stored tensors, written out.
TEST(KernelPcaStep, ComputesTheSpecFormula) {
  const Parsed p = parsed("kernel_pca_rbf");
  const Model model = p.load();
  const RowMatrixXd X = input_of("kernel_pca_rbf", model);
  const std::vector<double> mean = p.float64_of("steps.0.mean"), scale = p.float64_of("steps.0.scale");
  const std::vector<double> fit = p.float64_of("steps.1.fit_rows"), norms = p.float64_of("steps.1.fit_norms");
  const std::vector<double> rows = p.float64_of("steps.1.k_fit_rows"), alphas = p.float64_of("steps.1.alphas");
  const nlohmann::json& params = p.header["pipeline"][1]["params"];
  const double gamma = params["gamma"].get<double>(), all = params["k_fit_all"].get<double>();
  const RowMatrixXd got = model.transform(X);
  for (Index i = 0; i < X.rows(); ++i) {
    double x[4];
    for (std::size_t j = 0; j < 4; ++j) x[j] = (X(i, static_cast<Index>(j)) - mean[j]) / scale[j];
    const double xx = (x[0] * x[0] + x[2] * x[2]) + (x[1] * x[1] + x[3] * x[3]);  // einsum's two lanes
    std::vector<double> K(75);
    for (std::size_t t = 0; t < 75; ++t) {
      double s = 0.0;
      for (std::size_t j = 0; j < 4; ++j) s += x[j] * fit[t * 4 + j];
      K[t] = std::exp(std::max((-2.0 * s + xx) + norms[t], 0.0) * -gamma);
    }
    const double c = numpy_order::numpy_row_sum(K.data(), 75) / 75.0;
    for (std::size_t t = 0; t < 75; ++t) K[t] = ((K[t] - rows[t]) - c) + all;
    for (std::size_t r = 0; r < 5; ++r) {
      double s = 0.0;
      for (std::size_t t = 0; t < 75; ++t) s += K[t] * alphas[r * 75 + t];
      EXPECT_EQ(got(i, static_cast<Index>(r)), s) << i << ", " << r;
    }
  }
}

// ---------------------------------------------------------------------------------------
// kernel_centerer (kernel_centerer_ridge: 30 kernel columns)

TEST(KernelCentererStep, ParamsAndTensors) {
  Parsed p = parsed("kernel_centerer_ridge");
  p.params(0)["k_fit_all"] = "0.5";
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "k_fit_all");
  p = parsed("kernel_centerer_ridge");
  p.set_float64("steps.0.k_fit_rows", std::vector<double>(29, 0.0));
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "(k_fit_rows) has shape [29], expected [30]");
  p = parsed("kernel_centerer_ridge");
  p.step(0)["n_features_out"] = 29;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "n_features_out");
}

TEST(KernelCentererStep, ComputesTheSpecFormula) {
  const Parsed p = parsed("kernel_centerer_ridge");
  const Model model = p.load();
  const RowMatrixXd X = input_of("kernel_centerer_ridge", model);
  const std::vector<double> rows = p.float64_of("steps.0.k_fit_rows");
  const double all = p.header["pipeline"][0]["params"]["k_fit_all"].get<double>();
  const RowMatrixXd got = model.transform(X);
  for (Index i = 0; i < X.rows(); ++i) {
    const double c = numpy_order::numpy_row_sum(X.row(i).data(), 30) / 30.0;
    for (Index j = 0; j < 30; ++j)
      EXPECT_EQ(got(i, j), ((X(i, j) - rows[static_cast<std::size_t>(j)]) - c) + all) << i << ", " << j;
  }
}

// ---------------------------------------------------------------------------------------
// pls_projection (pls_transform_ridge: 10 columns, 3 scores) and pls_regression

TEST(PlsProjectionStep, ScaleMustBeNonZeroAndShapesChecked) {
  Parsed p = parsed("pls_transform_ridge");
  p.set_float64_at("steps.0.scale", 2, 0.0);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor role \"scale\" has 0 at [2]; it must be non-zero");
  p = parsed("pls_transform_ridge");
  p.set_float64("steps.0.mean", std::vector<double>(9, 0.0));
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "(mean) has shape [9], expected [10]");
}

TEST(PlsProjectionStep, ComputesTheSpecFormula) {
  const Parsed p = parsed("pls_transform_ridge");
  const Model model = p.load();
  const RowMatrixXd X = input_of("pls_transform_ridge", model);
  const std::vector<double> mean = p.float64_of("steps.0.mean"), scale = p.float64_of("steps.0.scale");
  const std::vector<double> comp = p.float64_of("steps.0.components");
  const RowMatrixXd got = model.transform(X);
  for (Index i = 0; i < X.rows(); ++i)
    for (std::size_t r = 0; r < 3; ++r) {
      double s = 0.0;
      for (std::size_t j = 0; j < 10; ++j) s += ((X(i, static_cast<Index>(j)) - mean[j]) / scale[j]) * comp[r * 10 + j];
      EXPECT_EQ(got(i, static_cast<Index>(r)), s) << i << ", " << r;
    }
}

TEST(PlsRegressionEstimator, ShapesAndScaleAreChecked) {
  Parsed p = parsed("pls_regression_two_targets");
  p.set_float64_at("estimator.scale", 1, 0.0);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor role \"scale\" has 0 at [1]; it must be non-zero");
  p = parsed("pls_regression_two_targets");
  p.set_float64("estimator.intercept", std::vector<double>(1, 0.0));
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "(intercept) has shape [1], expected [2]");
}

TEST(PlsRegressionEstimator, ComputesTheSpecFormula) {
  const Parsed p = parsed("pls_regression_two_targets");
  const Model model = p.load();
  const RowMatrixXd X = input_of("pls_regression_two_targets", model);
  const std::vector<double> smean = p.float64_of("steps.0.mean"), sscale = p.float64_of("steps.0.scale");
  const std::vector<double> mean = p.float64_of("estimator.mean"), scale = p.float64_of("estimator.scale");
  const std::vector<double> coef = p.float64_of("estimator.coef"), intercept = p.float64_of("estimator.intercept");
  const Prediction got = model.predict(X);
  for (Index i = 0; i < X.rows(); ++i)
    for (std::size_t t = 0; t < 2; ++t) {
      double s = 0.0;
      for (std::size_t j = 0; j < 7; ++j) {
        const double z = (X(i, static_cast<Index>(j)) - smean[j]) / sscale[j];
        s += ((z - mean[j]) / scale[j]) * coef[t * 7 + j];
      }
      EXPECT_EQ(got.values(i, static_cast<Index>(t)), s + intercept[t]) << i << ", " << t;
    }
}

}  // namespace
}  // namespace ferry::detail
