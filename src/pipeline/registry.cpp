// The table of step types, generated from spec/steps.json (cmake/FerrySpecTypes.cmake): each
// FERRY_STEP_TYPE(type) entry needs a make_<type> in the step's own file. A generated table
// rather than self-registering statics: those are silently dropped when ferry is linked as a
// static library.
#include "pipeline/registry.hpp"

#include <string_view>

#include "ferry/error.hpp"
#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

struct Entry {
  std::string_view type;
  std::unique_ptr<Step> (*make)(const StepInputs&);
};

#define FERRY_ESTIMATOR_TYPE(type)
#define FERRY_STEP_TYPE(type) {#type, make_##type},
constexpr Entry kSteps[] = {
#include "spec_types.inc"
};
#undef FERRY_STEP_TYPE
#undef FERRY_ESTIMATOR_TYPE

}  // namespace

#define FERRY_STEP_TYPE(type)
#define FERRY_ESTIMATOR_TYPE(type) #type,
constexpr std::string_view kEstimatorTypes[] = {
#include "spec_types.inc"
};
#undef FERRY_ESTIMATOR_TYPE
#undef FERRY_STEP_TYPE

std::unique_ptr<Step> make_step(const StepInputs& inputs) {
  for (const Entry& e : kSteps)
    if (e.type == inputs.type()) return e.make(inputs);
  for (std::string_view type : kEstimatorTypes)  // known, but in the wrong place: a malformed file
    if (type == inputs.type())
      throw Error(ErrorCode::kFormat, inputs.where() + ": estimator type \"" + inputs.type() +
                                          "\" in the preprocessing pipeline");
  throw Error(ErrorCode::kUnsupported, inputs.where() + ": unknown step type \"" + inputs.type() +
                                           "\"; this ferry may be older than the exporter that wrote the file");
}

}  // namespace detail
FERRY_END_NAMESPACE
