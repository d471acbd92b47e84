// The arguments of Estimator::shap_interventional, checked once for every estimator that
// implements it, so that no kernel reads outside its inputs.
#ifndef FERRY_SRC_MODELS_INTERVENTIONAL_HPP
#define FERRY_SRC_MODELS_INTERVENTIONAL_HPP

#include <vector>

#include <fmt/format.h>

#include "ferry/error.hpp"
#include "ferry/matrix.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail::explain {

inline void check_interventional_arguments(Index n_features, const RowMatrixXd& X, const RowMatrixXd& background,
                                           const Eigen::VectorXd& weights, const std::vector<Index>& group,
                                           Index n_groups) {
  auto fail = [](const std::string& what) { throw Error(ErrorCode::kShape, "interventional explanation: " + what); };
  if (X.cols() != n_features || background.cols() != n_features)
    fail(fmt::format("the rows have {} and the background rows {} columns where the estimator takes {}", X.cols(),
                     background.cols(), n_features));
  if (background.rows() < 1) fail("the background has no rows");
  if (weights.size() != background.rows())
    fail(fmt::format("{} weights for {} background rows", weights.size(), background.rows()));
  if (static_cast<Index>(group.size()) != n_features)
    fail(fmt::format("{} column groups for {} columns", group.size(), n_features));
  if (n_groups < 1) fail("there must be at least one group");
  for (Index f = 0; f < n_features; ++f)
    if (group[static_cast<std::size_t>(f)] < 0 || group[static_cast<std::size_t>(f)] >= n_groups)
      fail(fmt::format("column {} has group {}, outside [0, {})", f, group[static_cast<std::size_t>(f)], n_groups));
}

}  // namespace detail::explain
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_MODELS_INTERVENTIONAL_HPP
