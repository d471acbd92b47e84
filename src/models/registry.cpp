// The table of estimator types, generated from the spec as pipeline/registry.cpp explains.
#include "models/registry.hpp"

#include <stdexcept>
#include <string>
#include <string_view>

#include "ferry/error.hpp"
#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

struct Entry {
  std::string_view type;
  std::unique_ptr<Estimator> (*make)(const StepInputs&);
};

#define FERRY_STEP_TYPE(type)
#define FERRY_ESTIMATOR_TYPE(type) {#type, make_##type},
constexpr Entry kEstimators[] = {
#include "spec_types.inc"
};
#undef FERRY_ESTIMATOR_TYPE
#undef FERRY_STEP_TYPE

}  // namespace

void Estimator::undeclared(const char* hook) {
  throw std::logic_error(std::string("ferry: Estimator::") + hook + " called where capabilities() does not declare it");
}

#define FERRY_ESTIMATOR_TYPE(type)
#define FERRY_STEP_TYPE(type) #type,
constexpr std::string_view kStepTypes[] = {
#include "spec_types.inc"
};
#undef FERRY_STEP_TYPE
#undef FERRY_ESTIMATOR_TYPE

std::unique_ptr<Estimator> make_estimator(const StepInputs& inputs) {
  for (const Entry& e : kEstimators)
    if (e.type == inputs.type()) return e.make(inputs);
  for (std::string_view type : kStepTypes)  // known, but in the wrong place: a malformed file
    if (type == inputs.type())
      throw Error(ErrorCode::kFormat, inputs.where() + ": preprocessing type \"" + inputs.type() +
                                          "\" used as the estimator");
  throw Error(ErrorCode::kUnsupported, inputs.where() + ": unknown estimator type \"" + inputs.type() +
                                           "\"; this ferry may be older than the exporter that wrote the file");
}

}  // namespace detail
FERRY_END_NAMESPACE
