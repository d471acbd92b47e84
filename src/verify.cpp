// Re-runs the exporter's test rows (docs/format.md §3.4) where the model is deployed.
#include <cmath>

#include <fmt/format.h>

#include "ferry/error.hpp"
#include "engine.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

void compare(const char* output, const RowMatrixXd& got, const RowMatrixXd& expected, const Verification& v) {
  for (Index i = 0; i < expected.rows(); ++i)
    for (Index j = 0; j < expected.cols(); ++j) {
      const double diff = std::abs(got(i, j) - expected(i, j));
      const double tolerance = v.atol + v.rtol * std::abs(expected(i, j));
      if (!(diff <= tolerance))
        throw Error(ErrorCode::kVerification,
                    fmt::format("row {}, {}[{}]: got {}, scikit-learn gave {} (difference {:.3g}, tolerance {:.3g})",
                                i, output, j, got(i, j), expected(i, j), diff, tolerance));
    }
}

}  // namespace

std::size_t Engine::verify() const {
  if (!verification)
    throw Error(ErrorCode::kUnsupported, fmt::format("model \"{}\" has no embedded test rows (export it with "
                                                     "X_sample to add them)",
                                                     metadata.name));
  const Verification& v = *verification;
  const Prediction p = predict(scores(run_steps_on(v.input, &v.text)));  // text inputs hold codes already
  if (v.predict_values) compare("predict", p.values, *v.predict_values, v);
  if (v.predict_proba) compare("predict_proba", p.probabilities, *v.predict_proba, v);
  if (v.decision_function) compare("decision_function", p.scores, *v.decision_function, v);
  if (v.predict_classes)
    for (std::size_t i = 0; i < v.predict_classes->size(); ++i) {
      const auto expected = static_cast<Index>((*v.predict_classes)[i]);
      if (p.class_index[i] != expected)
        throw Error(ErrorCode::kVerification,
                    fmt::format("row {}, predict: got class \"{}\", scikit-learn gave \"{}\"", i,
                                schema.classes.to_string(static_cast<std::size_t>(p.class_index[i])),
                                schema.classes.to_string(static_cast<std::size_t>(expected))));
    }
  return static_cast<std::size_t>(v.input.rows());
}

}  // namespace detail
FERRY_END_NAMESPACE
