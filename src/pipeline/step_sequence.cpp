#include "pipeline/step_sequence.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "artifact/json_fields.hpp"
#include "ferry/error.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

// feature_names_out, or the names feature_names_prefix numbers (docs/format.md §3.3).
std::vector<std::string> names_out(const nlohmann::json& entry, const StepInputs& in) {
  const artifact::Fields fields(entry, in.path());
  if (fields.has("feature_names_prefix")) {
    if (fields.has("feature_names_out"))
      in.invalid("feature_names_prefix and feature_names_out are both present; a step has one of them");
    const std::string prefix = fields.string("feature_names_prefix");
    std::vector<std::string> out;
    out.reserve(static_cast<std::size_t>(in.n_features_out()));
    for (Index j = 0; j < in.n_features_out(); ++j) out.push_back(prefix + std::to_string(j));
    return out;
  }
  const nlohmann::json& names = fields.any("feature_names_out");
  if (!names.is_array() || static_cast<Index>(names.size()) != in.n_features_out() ||
      !std::all_of(names.begin(), names.end(), [](const nlohmann::json& n) { return n.is_string(); }))
    in.invalid("feature_names_out must be an array of n_features_out strings");
  return names.get<std::vector<std::string>>();
}

std::vector<TextVocabulary*> text_out(const Step& step, const StepInputs& in) {
  std::vector<TextVocabulary*> out(static_cast<std::size_t>(in.n_features_out()), nullptr);
  const std::vector<Index> copied = step.copied_columns();
  for (std::size_t j = 0; j < copied.size() && j < out.size(); ++j)
    if (copied[j] >= 0 && copied[j] < static_cast<Index>(in.columns_in().text.size()))
      out[j] = in.columns_in().text[static_cast<std::size_t>(copied[j])];
  return out;
}

}  // namespace

std::vector<std::unique_ptr<Step>> build_steps(const nlohmann::json& entries, const std::string& path,
                                               const artifact::Artifact& artifact, std::set<std::string>& used,
                                               Columns& columns) {
  if (!entries.is_array()) throw Error(ErrorCode::kFormat, fmt::format("header: {} must be an array", path));
  std::vector<std::unique_ptr<Step>> steps;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto width = static_cast<Index>(columns.names.size());
    const StepInputs in(entries[i], fmt::format("{}[{}]", path, i), artifact, used, columns);
    if (in.n_features_in() != width)
      in.invalid(fmt::format("n_features_in is {} but its input has {} columns", in.n_features_in(), width));
    steps.push_back(make_step(in));
    in.check_text_handled();
    columns.text = text_out(*steps.back(), in);
    columns.names = names_out(entries[i], in);
  }
  return steps;
}

void run_steps(const std::vector<std::unique_ptr<Step>>& steps, StepRows& X, const TextBatch* text) {
  for (const auto& step : steps) step->transform_rows(X, text);
}

void run_steps(const std::vector<std::unique_ptr<Step>>& steps, RowMatrixXd& X, const TextBatch* text) {
  StepRows rows(std::move(X));
  run_steps(steps, rows, text);
  X = std::move(rows.densify());
}

std::vector<Index> source_columns_through(const std::vector<std::unique_ptr<Step>>& steps, Index n_in) {
  std::vector<Index> origin = same_columns(n_in);
  for (const auto& step : steps) {
    const std::vector<Index> sources = step->source_columns(static_cast<Index>(origin.size()));
    if (sources.empty()) {
      // Not analysed: every output counts as mixed; the width is whatever the step gives, which
      // the caller knows (the step's n_features_out), so report that nothing is traceable.
      return {};
    }
    std::vector<Index> next(sources.size(), -1);
    for (std::size_t j = 0; j < sources.size(); ++j)
      if (sources[j] >= 0 && sources[j] < static_cast<Index>(origin.size()))
        next[j] = origin[static_cast<std::size_t>(sources[j])];
    origin = std::move(next);
  }
  return origin;
}

}  // namespace detail
FERRY_END_NAMESPACE
