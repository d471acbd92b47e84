// Factories of the preprocessing step types: one per file in pipeline/.
#ifndef FERRY_SRC_PIPELINE_REGISTRY_HPP
#define FERRY_SRC_PIPELINE_REGISTRY_HPP

#include <memory>

#include "pipeline/step.hpp"

namespace ferry {

std::unique_ptr<Step> make_standard_scaler(const StepInputs& inputs);
std::unique_ptr<Step> make_min_max_scaler(const StepInputs& inputs);
std::unique_ptr<Step> make_max_abs_scaler(const StepInputs& inputs);
std::unique_ptr<Step> make_robust_scaler(const StepInputs& inputs);
std::unique_ptr<Step> make_normalizer(const StepInputs& inputs);
std::unique_ptr<Step> make_binarizer(const StepInputs& inputs);
std::unique_ptr<Step> make_polynomial_features(const StepInputs& inputs);
std::unique_ptr<Step> make_linear_projection(const StepInputs& inputs);
std::unique_ptr<Step> make_function_transformer(const StepInputs& inputs);
std::unique_ptr<Step> make_kbins_discretizer(const StepInputs& inputs);
std::unique_ptr<Step> make_power_transformer(const StepInputs& inputs);
std::unique_ptr<Step> make_quantile_transformer(const StepInputs& inputs);
std::unique_ptr<Step> make_spline_transformer(const StepInputs& inputs);
std::unique_ptr<Step> make_simple_imputer(const StepInputs& inputs);
std::unique_ptr<Step> make_missing_indicator(const StepInputs& inputs);
std::unique_ptr<Step> make_one_hot_encoder(const StepInputs& inputs);
std::unique_ptr<Step> make_ordinal_encoder(const StepInputs& inputs);
std::unique_ptr<Step> make_select_columns(const StepInputs& inputs);
std::unique_ptr<Step> make_column_transformer(const StepInputs& inputs);

}  // namespace ferry

#endif  // FERRY_SRC_PIPELINE_REGISTRY_HPP
