// The table of step types. An explicit table rather than self-registering statics: those
// are silently dropped when ferry is linked as a static library.
#include "pipeline/registry.hpp"

#include <string_view>

#include "ferry/error.hpp"
#include "pipeline/step_inputs.hpp"

namespace ferry {
namespace {

struct Entry {
  std::string_view type;
  std::unique_ptr<Step> (*make)(const StepInputs&);
};

constexpr Entry kSteps[] = {
    {"standard_scaler", make_standard_scaler},
    {"min_max_scaler", make_min_max_scaler},
    {"max_abs_scaler", make_max_abs_scaler},
    {"robust_scaler", make_robust_scaler},
    {"normalizer", make_normalizer},
    {"binarizer", make_binarizer},
    {"polynomial_features", make_polynomial_features},
    {"linear_projection", make_linear_projection},
    {"function_transformer", make_function_transformer},
    {"kbins_discretizer", make_kbins_discretizer},
    {"power_transformer", make_power_transformer},
    {"quantile_transformer", make_quantile_transformer},
    {"simple_imputer", make_simple_imputer},
    {"missing_indicator", make_missing_indicator},
    {"one_hot_encoder", make_one_hot_encoder},
    {"ordinal_encoder", make_ordinal_encoder},
    {"column_transformer", make_column_transformer},
    {"spline_transformer", make_spline_transformer},
    {"select_columns", make_select_columns},
};

}  // namespace

std::unique_ptr<Step> make_step(const StepInputs& inputs) {
  for (const Entry& e : kSteps)
    if (e.type == inputs.type()) return e.make(inputs);
  throw Error(ErrorCode::kUnsupported, inputs.where() + ": unknown step type \"" + inputs.type() +
                                           "\"; this ferry may be older than the exporter that wrote the file");
}

}  // namespace ferry
