// The population stability index of one binned distribution against another.
#ifndef FERRY_SRC_MONITOR_PSI_HPP
#define FERRY_SRC_MONITOR_PSI_HPP

#include <cstdint>
#include <vector>

#include "ferry/detail/config.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {

// PSI = sum_i (q_i - p_i) ln(q_i / p_i), with the smoothed shares
// p_i = (training_i + s) / (sum(training) + s * bins) and q_i likewise for `current`, so that an
// empty bin on either side gives a finite term. 0 when `current` holds no row. Requires s > 0
// and equal sizes.
double population_stability_index(const std::vector<std::int64_t>& training, const std::vector<std::int64_t>& current,
                                  double smoothing);

}  // namespace detail
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_MONITOR_PSI_HPP
