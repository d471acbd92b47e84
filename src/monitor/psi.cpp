#include "monitor/psi.hpp"

#include <cassert>
#include <cmath>
#include <numeric>

FERRY_BEGIN_NAMESPACE
namespace detail {

double population_stability_index(const std::vector<std::int64_t>& training, const std::vector<std::int64_t>& current,
                                  double smoothing) {
  assert(training.size() == current.size() && smoothing > 0);
  const auto bins = static_cast<double>(training.size());
  const auto n_training = static_cast<double>(std::accumulate(training.begin(), training.end(), std::int64_t{0}));
  const auto n_current = static_cast<double>(std::accumulate(current.begin(), current.end(), std::int64_t{0}));
  if (n_current == 0 || training.empty()) return 0.0;
  double psi = 0.0;
  for (std::size_t i = 0; i < training.size(); ++i) {
    const double p = (static_cast<double>(training[i]) + smoothing) / (n_training + smoothing * bins);
    const double q = (static_cast<double>(current[i]) + smoothing) / (n_current + smoothing * bins);
    psi += (q - p) * std::log(q / p);
  }
  return psi;
}

}  // namespace detail
FERRY_END_NAMESPACE
