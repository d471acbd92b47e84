#include "ferry/model_slot.hpp"

#include <deque>
#include <mutex>
#include <optional>

#include <fmt/format.h>

#include "ferry/error.hpp"

FERRY_BEGIN_NAMESPACE

struct ModelSlot::State {
  explicit State(Model first, std::size_t history) : serving(std::move(first)), depth(history < 1 ? 1 : history) {}
  // A mutex rather than atomic shared_ptr operations: the critical sections copy one pointer,
  // and the same code is then plainly correct under ThreadSanitizer.
  mutable std::mutex mutex;
  Model serving;
  std::deque<Model> earlier;  // most recent last
  std::size_t depth;
  std::uint64_t generation = 0;
};

namespace {

const char* kind_name(ColumnKind kind) { return kind == ColumnKind::kNumeric ? "numeric" : "categorical"; }
const char* task_name(Task task) { return task == Task::kClassification ? "a classifier" : "a regressor"; }

// Error(kSchema) naming the first way the candidate's inputs or task differ from the serving
// model's; checked before anything is replaced.
void check_same_schema(const Model& serving, const Model& candidate) {
  const Schema& a = serving.schema();
  const Schema& b = candidate.schema();
  if (a.task != b.task)
    throw Error(ErrorCode::kSchema, fmt::format("the candidate is {}, the serving model {}", task_name(b.task),
                                                task_name(a.task)));
  const std::size_t n = std::min(a.inputs.size(), b.inputs.size());
  for (std::size_t i = 0; i < n; ++i) {
    const InputColumn& x = a.inputs[i];
    const InputColumn& y = b.inputs[i];
    if (x.name != y.name || x.kind != y.kind)
      throw Error(ErrorCode::kSchema,
                  fmt::format("input {} of the candidate is \"{}\" ({}), of the serving model \"{}\" ({})", i, y.name,
                              kind_name(y.kind), x.name, kind_name(x.kind)));
  }
  if (a.inputs.size() != b.inputs.size())
    throw Error(ErrorCode::kSchema, fmt::format("the candidate takes {} inputs, the serving model {}", b.inputs.size(),
                                                a.inputs.size()));
}

void verify_candidate(const Model& candidate, const SwapOptions& options) {
  try {
    candidate.verify();
  } catch (const Error& e) {
    // Model::verify says kUnsupported when there is nothing to run.
    if (e.code() != ErrorCode::kUnsupported) throw;
    if (options.require_test_rows)
      throw Error(ErrorCode::kVerification,
                  "the candidate has no embedded test rows, so nothing shows it reproduces scikit-learn's outputs "
                  "(export it with test rows, or set SwapOptions::require_test_rows = false)");
  }
}

Error refused(const Error& e) {
  return Error(e.code(), "swap refused, the serving model is unchanged: " + e.message());
}

}  // namespace

ModelSlot::ModelSlot(Model initial, std::size_t history) : state_(std::make_unique<State>(std::move(initial), history)) {}

ModelSlot::~ModelSlot() = default;

Model ModelSlot::current() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->serving;
}

Model ModelSlot::swap(const Model& candidate, const SwapOptions& options) {
  // Verified outside the lock: serving goes on while the candidate's test rows run.
  try {
    verify_candidate(candidate, options);
    if (!options.allow_schema_change) check_same_schema(current(), candidate);
  } catch (const Error& e) {
    throw refused(e);
  }
  std::lock_guard<std::mutex> lock(state_->mutex);
  // The schema was checked against the model serving then; a concurrent swap since could have
  // changed it, so check again where nothing can change.
  if (!options.allow_schema_change) {
    try {
      check_same_schema(state_->serving, candidate);
    } catch (const Error& e) {
      throw refused(e);
    }
  }
  state_->earlier.push_back(state_->serving);
  if (state_->earlier.size() > state_->depth) state_->earlier.pop_front();
  state_->serving = candidate;
  ++state_->generation;
  return state_->serving;
}

Model ModelSlot::swap(const std::string& path, const SwapOptions& options) {
  LoadOptions load = options.load;
  load.verify = false;  // verified below, with the rest of the checks
  std::optional<Model> candidate;
  try {
    candidate.emplace(Model::load(path, load));
  } catch (const Error& e) {
    throw refused(e);
  }
  return swap(*candidate, options);
}

Model ModelSlot::swap(const void* data, std::size_t size, const SwapOptions& options) {
  LoadOptions load = options.load;
  load.verify = false;
  std::optional<Model> candidate;
  try {
    candidate.emplace(Model::from_bytes(data, size, load));
  } catch (const Error& e) {
    throw refused(e);
  }
  return swap(*candidate, options);
}

Model ModelSlot::rollback() {
  std::lock_guard<std::mutex> lock(state_->mutex);
  if (state_->earlier.empty())
    throw Error(ErrorCode::kUnsupported, "rollback: there is no earlier model to serve again");
  state_->serving = state_->earlier.back();
  state_->earlier.pop_back();
  ++state_->generation;
  return state_->serving;
}

std::size_t ModelSlot::history_size() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->earlier.size();
}

std::uint64_t ModelSlot::generation() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->generation;
}

FERRY_END_NAMESPACE
