#include "serve/response_json.hpp"

#include <cmath>

namespace ferry::serve {
namespace {

using nlohmann::json;

json label_json(const ClassLabels& classes, std::size_t i) {
  switch (classes.type()) {
    case LabelType::kString: return classes.string()[i];
    case LabelType::kInt64: return classes.int64()[i];
    case LabelType::kBool: return classes.int64()[i] != 0;
    case LabelType::kFloat64: return classes.float64()[i];
  }
  return classes.to_string(i);
}

// JSON has no NaN or infinity; nlohmann writes them as null, which is what a reader can take.
json number(double v) { return v; }

json row_array(const RowMatrixXd& m, Index row) {
  json out = json::array();
  for (Index j = 0; j < m.cols(); ++j) out.push_back(number(m(row, j)));
  return out;
}

}  // namespace

json model_identity(const Metadata& m) {
  return {{"name", m.name}, {"version", m.version}, {"content_id", m.content_id}};
}

json model_identity(const Prediction& p) {
  return {{"name", p.model_name}, {"version", p.model_version}, {"content_id", p.model_content_id}};
}

json predictions_json(const Prediction& p) {
  json rows = json::array();
  const bool classifier = p.task == Task::kClassification;
  const bool proba = classifier && p.probabilities.cols() == static_cast<Index>(p.classes.size()) &&
                     p.probabilities.rows() == p.rows();
  for (Index i = 0; i < p.rows(); ++i) {
    json row = json::object();
    if (classifier) {
      row["prediction"] = label_json(p.classes, static_cast<std::size_t>(p.class_index[static_cast<std::size_t>(i)]));
      if (proba) {
        json by_label = json::object();
        for (std::size_t c = 0; c < p.classes.size(); ++c)
          by_label[p.classes.to_string(c)] = number(p.probabilities(i, static_cast<Index>(c)));
        row["probabilities"] = std::move(by_label);
      } else {
        row["scores"] = row_array(p.scores, i);
      }
    } else if (p.values.cols() == 1) {
      row["prediction"] = number(p.values(i, 0));
    } else {
      row["prediction"] = row_array(p.values, i);
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

json warnings_json(const Prediction& p) {
  json out = json::array();
  for (const ValidationIssue& w : p.warnings)
    out.push_back({{"column", w.column}, {"rows", w.rows}, {"message", w.message}});
  return out;
}

json explanations_json(const Explanation& e) {
  json rows = json::array();
  for (Index i = 0; i < e.rows(); ++i) {
    json base = json::object(), values = json::object();
    for (std::size_t o = 0; o < e.output_names.size(); ++o) {
      base[e.output_names[o]] = number(e.base_values(i, static_cast<Index>(o)));
      json by_column = json::object();
      for (std::size_t c = 0; c < e.feature_names.size(); ++c)
        by_column[e.feature_names[c]] = number(e.values[o](i, static_cast<Index>(c)));
      values[e.output_names[o]] = std::move(by_column);
    }
    rows.push_back({{"base_values", std::move(base)}, {"values", std::move(values)}});
  }
  return rows;
}

json model_json(const Model& model) {
  const Metadata& m = model.metadata();
  const Schema& s = model.schema();
  json inputs = json::array();
  for (const InputColumn& c : s.inputs) {
    json col = {{"name", c.name},
                {"kind", c.kind == ColumnKind::kNumeric ? "numeric" : "categorical"},
                {"nullable", c.nullable}};
    if (c.min) col["min"] = *c.min;
    if (c.max) col["max"] = *c.max;
    if (c.kind == ColumnKind::kCategorical) col["categories"] = c.categories;
    inputs.push_back(std::move(col));
  }
  json classes = json::array();
  for (std::size_t i = 0; i < s.classes.size(); ++i) classes.push_back(label_json(s.classes, i));
  json out = model_identity(m);
  out["description"] = m.description;
  out["created"] = m.created;
  out["producer"] = m.producer;
  out["format"] = std::to_string(m.format_major) + "." + std::to_string(m.format_minor);
  if (m.training_rows) out["training_rows"] = *m.training_rows;
  out["schema"] = {{"task", s.task == Task::kClassification ? "classification" : "regression"},
                   {"inputs", std::move(inputs)},
                   {"outputs", s.n_outputs},
                   {"classes", std::move(classes)},
                   {"target", s.target}};
  return out;
}

json table_rows_json(const Table& table) {
  json rows = json::array();
  for (Index i = 0; i < table.rows(); ++i) {
    json row = json::object();
    for (const TableColumn& c : table.columns()) {
      const auto r = static_cast<std::size_t>(i);
      if (c.is_text) {
        row[c.name] = c.text[r] ? json(*c.text[r]) : json(nullptr);
      } else {
        row[c.name] = std::isnan(c.numbers[r]) ? json(nullptr) : json(c.numbers[r]);
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

json agreement_json(const Agreement& a) {
  json out = {{"rows", a.rows},
              {"score", a.score},
              {"score_entries", a.score_entries},
              {"mean_abs_score_difference", a.mean_abs_score_difference},
              {"max_abs_score_difference", a.max_abs_score_difference},
              {"candidate_failed_rows", a.candidate_failed_rows}};
  if (!a.confusion.empty()) {
    out["same_label"] = a.same_label;
    out["label_agreement"] = a.label_agreement();
    out["confusion"] = a.confusion;
  }
  if (!a.last_candidate_error.empty()) out["last_candidate_error"] = a.last_candidate_error;
  return out;
}

}  // namespace ferry::serve
