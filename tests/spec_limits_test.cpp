// src/spec_limits.hpp against spec/steps.json: the Python reader takes its limits from the
// spec, so a value changed on one side only would let the two readers disagree on a file.
#include <cstdint>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "artifact/artifact.hpp"
#include "ferry/model.hpp"
#include "spec_limits.hpp"

namespace {

using nlohmann::json;

const json& spec_limits() {
  static const json limits = [] {
    std::ifstream in(std::string(FERRY_SOURCE_DIR) + "/spec/steps.json");
    return json::parse(in).at("limits");
  }();
  return limits;
}

template <typename T>
T limit(const char* name) {
  return spec_limits().at(name).at("value").get<T>();
}

TEST(SpecLimits, HeaderEqualsTheSpec) {
  namespace s = ferry::detail::spec;
  EXPECT_EQ(s::kMaxJsonDepth, limit<int>("max_json_depth"));
  EXPECT_EQ(s::kMaxTensorRank, limit<std::size_t>("max_tensor_rank"));
  EXPECT_EQ(s::kMaxTensorNameBytes, limit<std::size_t>("max_tensor_name_bytes"));
  EXPECT_EQ(s::kDefaultMaxHeaderBytes, limit<std::size_t>("default_max_header_bytes"));
  EXPECT_EQ(s::kDefaultMaxTensorBytes, limit<std::uint64_t>("default_max_tensor_bytes"));
  EXPECT_EQ(s::kDefaultMaxTotalBytes, limit<std::uint64_t>("default_max_total_bytes"));
  EXPECT_EQ(s::kMaxWidth, limit<std::int64_t>("max_width"));
  EXPECT_EQ(s::kMaxVerificationRows, limit<std::int64_t>("max_verification_rows"));
  EXPECT_EQ(s::kMaxBackgroundRows, limit<std::int64_t>("max_background_rows"));
  EXPECT_EQ(s::kBackgroundWeightsTolerance, limit<double>("background_weights_tolerance"));
  EXPECT_EQ(s::kMaxCategories, limit<std::int64_t>("max_categories"));
  EXPECT_EQ(s::kMaxBins, limit<std::int64_t>("max_bins"));
  EXPECT_EQ(s::kMaxQuantiles, limit<std::int64_t>("max_quantiles"));
  EXPECT_EQ(s::kMaxKnots, limit<std::int64_t>("max_knots"));
  EXPECT_EQ(s::kMaxPolynomialDegree, limit<std::int64_t>("max_polynomial_degree"));
  EXPECT_EQ(s::kMaxSplineDegree, limit<std::int64_t>("max_spline_degree"));
  EXPECT_EQ(s::kMaxBaselineBins, limit<std::int64_t>("max_baseline_bins"));
  EXPECT_EQ(s::kMaxBaselineCategories, limit<std::int64_t>("max_baseline_categories"));
  EXPECT_EQ(s::kMaxTreeDepth, limit<int>("max_tree_depth"));
  EXPECT_EQ(s::kMaxTreeNodes, limit<std::int64_t>("max_tree_nodes"));
  EXPECT_EQ(s::kCoverSlack, limit<double>("cover_slack"));
  EXPECT_EQ(s::kMaxCompositionDepth, limit<int>("max_composition_depth"));
  EXPECT_EQ(s::kMaxKernelDepth, limit<int>("max_kernel_depth"));
  EXPECT_EQ(s::kMaxNgram, limit<std::int64_t>("max_ngram"));
  EXPECT_EQ(s::kMaxTokenMinLength, limit<std::int64_t>("max_token_min_length"));
  EXPECT_EQ(spec_limits().size(), 25u) << "a limit was added to the spec but not to src/spec_limits.hpp";
}

// The public defaults cannot include an internal header; they must still say the same.
TEST(SpecLimits, PublicAndContainerDefaultsEqualTheSpec) {
  const ferry::LoadOptions options;
  const ferry::detail::artifact::Limits container;
  EXPECT_EQ(options.max_header_bytes, ferry::detail::spec::kDefaultMaxHeaderBytes);
  EXPECT_EQ(options.max_tensor_bytes, ferry::detail::spec::kDefaultMaxTensorBytes);
  EXPECT_EQ(options.max_total_bytes, ferry::detail::spec::kDefaultMaxTotalBytes);
  EXPECT_EQ(container.max_header_bytes, ferry::detail::spec::kDefaultMaxHeaderBytes);
  EXPECT_EQ(container.max_tensor_bytes, ferry::detail::spec::kDefaultMaxTensorBytes);
  EXPECT_EQ(container.max_total_bytes, ferry::detail::spec::kDefaultMaxTotalBytes);
}

}  // namespace
