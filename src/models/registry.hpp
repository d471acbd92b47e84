// Factories of the estimator types: one per file in models/, listed by the spec.
#ifndef FERRY_SRC_MODELS_REGISTRY_HPP
#define FERRY_SRC_MODELS_REGISTRY_HPP

#include <memory>

#include "ferry/detail/config.hpp"
#include "models/estimator.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {

// make_<type> for every estimator type of the spec, defined in the family's own file.
#define FERRY_STEP_TYPE(type)
#define FERRY_ESTIMATOR_TYPE(type) std::unique_ptr<Estimator> make_##type(const StepInputs& inputs);
#include "spec_types.inc"
#undef FERRY_ESTIMATOR_TYPE
#undef FERRY_STEP_TYPE

class CompactForest;
// The trees behind a tree_ensemble estimator (null for any other), for explanations and tests.
const CompactForest* tree_ensemble_forest(const Estimator& estimator) noexcept;

}  // namespace detail
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_MODELS_REGISTRY_HPP
