// The limits of spec/steps.json ("limits"), for the C++ reader. The spec is the source: a
// test (tests/spec_limits_test.cpp) fails when a value here and there disagree, so both
// readers refuse the same files. Internal: the public LoadOptions defaults repeat the two
// configurable sizes, and the same test holds them to the spec too.
#ifndef FERRY_SRC_SPEC_LIMITS_HPP
#define FERRY_SRC_SPEC_LIMITS_HPP

#include <cstddef>
#include <cstdint>

#include "ferry/detail/config.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail::spec {

inline constexpr int kMaxJsonDepth = 64;
inline constexpr std::size_t kMaxTensorRank = 8;
inline constexpr std::size_t kMaxTensorNameBytes = 128;
inline constexpr std::size_t kDefaultMaxHeaderBytes = std::size_t{16} << 20;
inline constexpr std::uint64_t kDefaultMaxTensorBytes = std::uint64_t{1} << 30;
inline constexpr std::uint64_t kDefaultMaxTotalBytes = std::uint64_t{4} << 30;
inline constexpr std::int64_t kMaxWidth = std::int64_t{1} << 24;
inline constexpr std::int64_t kMaxVerificationRows = std::int64_t{1} << 20;
inline constexpr std::int64_t kMaxBackgroundRows = 1024;
inline constexpr double kBackgroundWeightsTolerance = 1e-9;
inline constexpr std::int64_t kMaxCategories = std::int64_t{1} << 24;
inline constexpr std::int64_t kMaxBins = std::int64_t{1} << 24;
inline constexpr std::int64_t kMaxQuantiles = std::int64_t{1} << 24;
inline constexpr std::int64_t kMaxKnots = std::int64_t{1} << 24;
inline constexpr std::int64_t kMaxPolynomialDegree = 64;
inline constexpr std::int64_t kMaxSplineDegree = 64;
inline constexpr std::int64_t kMaxBaselineBins = 1024;
inline constexpr std::int64_t kMaxBaselineCategories = 1024;
inline constexpr int kMaxTreeDepth = 1024;
// Global node indices are 32-bit in the kernels.
inline constexpr std::int64_t kMaxTreeNodes = 2147483647;
// A child's cover may exceed its parent's by the rounding of the sums that made them.
inline constexpr double kCoverSlack = 1e-6;
// Sub-models inside sub-models (meta-estimators of meta-estimators), the top estimator at 0.
inline constexpr int kMaxCompositionDepth = 8;
// Nesting of a gaussian_process kernel expression (sums, products, powers), the root at 0.
inline constexpr int kMaxKernelDepth = 16;
inline constexpr std::int64_t kMaxNgram = 64;
inline constexpr std::int64_t kMaxTokenMinLength = 1024;

}  // namespace detail::spec
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_SPEC_LIMITS_HPP
