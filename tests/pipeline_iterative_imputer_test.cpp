// The iterative_imputer step (IterativeImputer; docs/format.md §4.51): load-time refusals naming
// the step, the spec's formula with the shipped tensors, each row alone against the batch (a
// row with every value missing included), explanations through it. Parity with scikit-learn
// over whole files is tests/golden_test.cpp's job (tests/data/impute_iterative_*).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ferry/model.hpp"
#include "support/test_support.hpp"

namespace ferry::detail {
namespace {

using Parsed = test::EditableArtifact;

Parsed parsed(const std::string& name) { return Parsed::from_case("tests/data/" + name); }
RowMatrixXd input_of(const std::string& name, const Model& model) { return test::case_input("tests/data/" + name, model); }

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(IterativeImputerStep, EachRowAloneIsItsRowOfTheBatch) {
  for (const char* name : {"impute_iterative_bayesian", "impute_iterative_ridge_clip"}) {
    SCOPED_TRACE(name);
    const Model model = parsed(name).load();
    RowMatrixXd X = input_of(name, model);
    const RowMatrixXd all = model.transform(X);
    for (Index i = 0; i < X.rows(); ++i) EXPECT_EQ(model.transform(RowMatrixXd(X.row(i))).row(0), all.row(i)) << i;
    // a batch of rows with every value missing: the rounds all the same
    const RowMatrixXd missing = RowMatrixXd::Constant(2, X.cols(), kNaN);
    const RowMatrixXd out = model.transform(missing);
    EXPECT_EQ(out.row(0), out.row(1));
    EXPECT_TRUE(out.allFinite());
  }
}

// The rounds written out with the shipped tensors (impute_iterative_ridge_clip: 6 kept columns,
// 20 rounds of 3 neighbours, then a StandardScaler).
TEST(IterativeImputerStep, ComputesTheSpecFormula) {
  const Parsed p = parsed("impute_iterative_ridge_clip");
  const Model model = p.load();
  const RowMatrixXd X = input_of("impute_iterative_ridge_clip", model);
  const std::vector<double> fill = p.float64_of("steps.0.fill"), lo = p.float64_of("steps.0.min_value"),
                            hi = p.float64_of("steps.0.max_value"), coef = p.float64_of("steps.0.coef"),
                            intercept = p.float64_of("steps.0.intercept"), mean = p.float64_of("steps.1.mean"),
                            scale = p.float64_of("steps.1.scale");
  const std::vector<std::int64_t> feature = p.int64_of("steps.0.feature"), offsets = p.int64_of("steps.0.offsets"),
                                  neighbors = p.int64_of("steps.0.neighbors");
  const RowMatrixXd got = model.transform(X);
  int clipped = 0;
  for (Index i = 0; i < X.rows(); ++i) {
    double z[6];
    bool missing[6];
    for (std::size_t c = 0; c < 6; ++c) {
      missing[c] = std::isnan(X(i, static_cast<Index>(c)));
      z[c] = missing[c] ? fill[c] : X(i, static_cast<Index>(c));
    }
    for (std::size_t r = 0; r < feature.size(); ++r) {
      const auto f = static_cast<std::size_t>(feature[r]);
      if (!missing[f]) continue;
      double s = 0.0;
      for (auto k = static_cast<std::size_t>(offsets[r]); k < static_cast<std::size_t>(offsets[r + 1]); ++k)
        s += z[neighbors[k]] * coef[k];
      double v = s + intercept[r];
      if (!(v > lo[f]) || !(v < hi[f])) ++clipped;
      v = v > lo[f] ? v : lo[f];
      z[f] = v < hi[f] ? v : hi[f];
    }
    for (std::size_t c = 0; c < 6; ++c) EXPECT_EQ(got(i, static_cast<Index>(c)), (z[c] - mean[c]) / scale[c]) << i << ", " << c;
  }
  EXPECT_GT(clipped, 0);  // the case reaches the bounds
}

TEST(IterativeImputerStep, LoadTimeRefusals) {
  Parsed p = parsed("impute_iterative_bayesian");
  std::vector<std::int64_t> nb = p.int64_of("steps.0.neighbors");
  nb[4] = 6;
  p.set_int64("steps.0.neighbors", nb);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor role \"neighbors\" has 6 at [4], outside [0, 6)");
  p = parsed("impute_iterative_bayesian");
  std::vector<std::int64_t> off = p.int64_of("steps.0.offsets");
  off.back() -= 1;
  p.set_int64("steps.0.offsets", off);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor role \"offsets\" must start at 0 and end at n_links");
  p = parsed("impute_iterative_bayesian");
  std::vector<std::int64_t> feature = p.int64_of("steps.0.feature");
  feature[2] = -1;
  p.set_int64("steps.0.feature", feature);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor role \"feature\" has -1 at [2], outside [0, 6)");
  p = parsed("impute_iterative_bayesian");
  p.set_float64_at("steps.0.min_value", 1, std::numeric_limits<double>::max());
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "min_value[1] must be below max_value[1]");
  p = parsed("impute_iterative_bayesian");
  p.params(0)["add_indicator"] = false;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "n_features_out must be n_kept");
  p = parsed("impute_iterative_bayesian");
  p.params(0)["n_kept"] = 8;
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "params.n_kept must be an integer in [1, n_features_in]");
  p = parsed("impute_iterative_bayesian");
  std::vector<std::int64_t> columns = p.int64_of("steps.0.columns");
  columns[1] = columns[0];
  p.set_int64("steps.0.columns", columns);
  EXPECT_FERRY_ERROR(p.load(), ErrorCode::kFormat, "tensor role \"columns\" is not strictly increasing at [1]");
}

TEST(IterativeImputerStep, MissingValuesAreAcceptedAndExplanationsAreModelAgnostic) {
  const Model model = parsed("impute_iterative_bayesian").load();
  for (const auto& c : model.schema().inputs) EXPECT_TRUE(c.nullable);
  RowMatrixXd X = input_of("impute_iterative_bayesian", model).topRows(2);
  X(0, 0) = kNaN;
  ExplainOptions options;
  options.method = ExplainOptions::Method::kInterventional;
  const Explanation e = model.explain(X, options);
  EXPECT_EQ(e.method, Explanation::Method::kInterventionalExact);
  const RowMatrixXd scores = model.predict(X).scores;
  for (Index r = 0; r < 2; ++r) EXPECT_NEAR(e.base_values(r, 0) + e.values[0].row(r).sum(), scores(r, 0), 1e-9);
}

}  // namespace
}  // namespace ferry::detail
