// Factories of the estimator types: one per file in models/.
#ifndef FERRY_SRC_MODELS_REGISTRY_HPP
#define FERRY_SRC_MODELS_REGISTRY_HPP

#include <memory>

#include "models/estimator.hpp"

namespace ferry {

std::unique_ptr<Estimator> make_linear(const StepInputs& inputs);
std::unique_ptr<Estimator> make_quadratic_discriminant(const StepInputs& inputs);
std::unique_ptr<Estimator> make_tree_ensemble(const StepInputs& inputs);

class CompactForest;
// The trees behind a tree_ensemble estimator (null for any other), for explanations and tests.
const CompactForest* tree_ensemble_forest(const Estimator& estimator) noexcept;

}  // namespace ferry

#endif  // FERRY_SRC_MODELS_REGISTRY_HPP
