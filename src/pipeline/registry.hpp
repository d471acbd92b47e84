// Factories of the preprocessing step types: one per file in pipeline/, listed by the spec.
#ifndef FERRY_SRC_PIPELINE_REGISTRY_HPP
#define FERRY_SRC_PIPELINE_REGISTRY_HPP

#include <memory>

#include "ferry/detail/config.hpp"
#include "pipeline/step.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {

// make_<type> for every step type of the spec, defined in the step's own file.
#define FERRY_ESTIMATOR_TYPE(type)
#define FERRY_STEP_TYPE(type) std::unique_ptr<Step> make_##type(const StepInputs& inputs);
#include "spec_types.inc"
#undef FERRY_STEP_TYPE
#undef FERRY_ESTIMATOR_TYPE

}  // namespace detail
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_PIPELINE_REGISTRY_HPP
