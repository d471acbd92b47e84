// The table of estimator types (explicit, as pipeline/registry.cpp explains).
#include "models/registry.hpp"

#include <stdexcept>
#include <string>
#include <string_view>

#include "ferry/error.hpp"
#include "pipeline/step_inputs.hpp"

namespace ferry {
namespace {

struct Entry {
  std::string_view type;
  std::unique_ptr<Estimator> (*make)(const StepInputs&);
};

constexpr Entry kEstimators[] = {
    {"linear", make_linear},
    {"quadratic_discriminant", make_quadratic_discriminant},
    {"tree_ensemble", make_tree_ensemble},
};

}  // namespace

void Estimator::undeclared(const char* hook) {
  throw std::logic_error(std::string("ferry: Estimator::") + hook + " called where capabilities() does not declare it");
}

std::unique_ptr<Estimator> make_estimator(const StepInputs& inputs) {
  for (const Entry& e : kEstimators)
    if (e.type == inputs.type()) return e.make(inputs);
  throw Error(ErrorCode::kUnsupported, inputs.where() + ": unknown estimator type \"" + inputs.type() +
                                           "\"; this ferry may be older than the exporter that wrote the file");
}

}  // namespace ferry
