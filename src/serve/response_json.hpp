// The JSON the server answers with: model identity, predictions, explanations, the schema.
#ifndef FERRY_SRC_SERVE_RESPONSE_JSON_HPP
#define FERRY_SRC_SERVE_RESPONSE_JSON_HPP

#include <nlohmann/json.hpp>

#include "ferry/explanation.hpp"
#include "ferry/model.hpp"
#include "ferry/prediction.hpp"
#include "ferry/shadow.hpp"
#include "ferry/table.hpp"

namespace ferry::serve {

// {"name", "version", "content_id"}.
nlohmann::json model_identity(const Metadata& metadata);
nlohmann::json model_identity(const Prediction& p);

// One entry per row: {"prediction": label or value(s), "probabilities": {label: p, ...}} for a
// classifier with predict_proba, {"prediction", "scores": [...]} for one without; labels keep
// their type (string, integer, number, boolean).
nlohmann::json predictions_json(const Prediction& p);
// The validation warnings of a prediction (counted, not refused).
nlohmann::json warnings_json(const Prediction& p);
// One entry per row: {"base_values": {output: v}, "values": {output: {column: v}}}.
nlohmann::json explanations_json(const Explanation& e);
// The model's metadata and schema (GET /v1/model).
nlohmann::json model_json(const Model& model);
// The rows of a request as JSON objects (null for missing), for the prediction log.
nlohmann::json table_rows_json(const Table& table);
// An Agreement (shadow mode, `ferry compare --json`).
nlohmann::json agreement_json(const Agreement& a);

}  // namespace ferry::serve

#endif  // FERRY_SRC_SERVE_RESPONSE_JSON_HPP
