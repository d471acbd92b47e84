#include "models/composition.hpp"

#include <fmt/format.h>

#include "artifact/json_fields.hpp"
#include "ferry/error.hpp"
#include "pipeline/step_sequence.hpp"
#include "spec_limits.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

// How deep the sub-model being built sits, per loading thread: the file decides the nesting,
// so it is counted as it is built, and the count unwinds with any error.
thread_local int nesting = 0;

class NestingLevel {
 public:
  explicit NestingLevel(const std::string& path) {
    if (nesting >= spec::kMaxCompositionDepth)
      throw Error(ErrorCode::kFormat, fmt::format("{}: sub-models nested deeper than {} levels", path,
                                                  spec::kMaxCompositionDepth));
    ++nesting;
  }
  ~NestingLevel() { --nesting; }
  NestingLevel(const NestingLevel&) = delete;
  NestingLevel& operator=(const NestingLevel&) = delete;
};

// The rules the loader applies to the top-level estimator against the schema
// (engine_loader.cpp), for a sub-model's estimator against its own task and n_outputs.
void check_link(const Estimator& e, Task task, Index n_outputs, const StepInputs& in) {
  const Link link = e.link();
  if (task == Task::kRegression) {
    if (link != Link::kIdentity && link != Link::kExp && link != Link::kLogistic)
      in.invalid("a regressor sub-model must use the identity, exp or logistic link");
    if (e.n_scores() != n_outputs) in.invalid("number of scores does not match the sub-model's n_outputs");
    if (link != Link::kIdentity && e.n_scores() != 1) in.invalid("the exp and logistic links take one score");
  } else {
    if (link == Link::kIdentity || link == Link::kExp || link == Link::kIsolation)
      in.invalid("a classifier sub-model cannot use the identity, exp or isolation link");
    if (n_probabilities(link, e.n_scores()) != n_outputs)
      in.invalid("number of scores does not match the sub-model's number of classes");
  }
}

}  // namespace

void SubModel::scores(const RowMatrixXd& X, RowMatrixXd& s) const {
  if (steps.empty() && columns.empty()) {
    estimator->decision(X, s);
    return;
  }
  RowMatrixXd Z;
  if (columns.empty()) {
    Z = X;
  } else {
    Z.resize(X.rows(), static_cast<Index>(columns.size()));
    for (Index i = 0; i < X.rows(); ++i)
      for (std::size_t j = 0; j < columns.size(); ++j) Z(i, static_cast<Index>(j)) = X(i, columns[j]);
  }
  run_steps(steps, Z);
  estimator->decision(Z, s);
}

SubModel build_sub_model(const StepInputs& parent, const nlohmann::json& entry, const std::string& path,
                         const std::vector<std::string>& names) {
  const NestingLevel level(path);
  const artifact::Fields f(entry, path);
  SubModel sub;
  sub.name = f.string_or("name", path);
  const std::string task = f.string("task");
  if (task == "classification")
    sub.task = Task::kClassification;
  else if (task == "regression")
    sub.task = Task::kRegression;
  else
    parent.invalid(fmt::format("{}.task \"{}\" is not regression or classification", path, task));
  const std::int64_t n_outputs = f.int64("n_outputs");
  if (n_outputs < 1 || n_outputs > spec::kMaxWidth || (sub.task == Task::kClassification && n_outputs < 2))
    parent.invalid(fmt::format("{}.n_outputs is out of range", path));
  sub.n_outputs = static_cast<Index>(n_outputs);

  Columns columns;
  if (f.has("columns") && !f.any("columns").is_null()) {
    const nlohmann::json& selected = f.array("columns");
    if (selected.empty() || selected.size() > static_cast<std::size_t>(spec::kMaxWidth))
      parent.invalid(fmt::format("{}.columns is empty or too long", path));
    for (std::size_t c = 0; c < selected.size(); ++c) {
      if (!selected[c].is_number_integer() || selected[c].get<std::int64_t>() < 0 ||
          selected[c].get<std::int64_t>() >= static_cast<std::int64_t>(names.size()))
        parent.invalid(fmt::format("{}.columns[{}] is not a column index below {}", path, c, names.size()));
      const auto j = static_cast<std::size_t>(selected[c].get<std::int64_t>());
      sub.columns.push_back(static_cast<Index>(j));
      columns.names.push_back(names[j]);
    }
  } else {
    columns.names = names;
  }
  columns.text.assign(columns.names.size(), nullptr);
  sub.steps = build_steps(f.array("pipeline"), path + ".pipeline", parent.artifact(), parent.used(), columns);
  const StepInputs in(f.any("estimator"), path + ".estimator", parent.artifact(), parent.used(), columns);
  if (in.n_features_in() != static_cast<Index>(columns.names.size()))
    in.invalid(fmt::format("n_features_in is {} but its input has {} columns", in.n_features_in(),
                           columns.names.size()));
  sub.estimator = make_estimator(in);
  in.check_text_handled();
  check_link(*sub.estimator, sub.task, sub.n_outputs, in);
  sub.capabilities = sub.estimator->capabilities();
  return sub;
}

std::vector<SubModel> build_sub_models(const StepInputs& parent, const char* key) {
  const nlohmann::json& entries = parent.params().array(key);
  if (entries.empty()) parent.invalid(fmt::format("params.{} is empty", key));
  const std::vector<std::string> names = parent.names_in();
  std::vector<SubModel> subs;
  for (std::size_t i = 0; i < entries.size(); ++i)
    subs.push_back(build_sub_model(parent, entries[i], fmt::format("{}.params.{}[{}]", parent.path(), key, i), names));
  return subs;
}

void require_sub_model(const StepInputs& parent, const SubModel& sub, Task task, Index n_outputs) {
  if (sub.task != task || sub.n_outputs != n_outputs)
    parent.invalid(fmt::format("sub-model \"{}\" must be a {} with {} {}", sub.name,
                               task == Task::kClassification ? "classifier" : "regressor", n_outputs,
                               task == Task::kClassification ? "classes" : "outputs"));
}

void require_probabilities(const StepInputs& parent, const SubModel& sub) {
  if (!sub.capabilities.probabilities) parent.invalid(fmt::format("sub-model \"{}\" has no predict_proba", sub.name));
}

void require_decision_function(const StepInputs& parent, const SubModel& sub) {
  if (!sub.capabilities.decision_function)
    parent.invalid(fmt::format("sub-model \"{}\" has no decision_function", sub.name));
}

}  // namespace detail
FERRY_END_NAMESPACE
