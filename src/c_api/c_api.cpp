// The C boundary (include/ferry/ferry.h): opaque handles over ferry::Model, status codes and a
// per-thread last error. Every entry point catches everything: an exception never reaches C.
#include "ferry/ferry.h"

#include <cstddef>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "engine.hpp"
#include "ferry/error.hpp"
#include "ferry/model.hpp"

struct ferry_model {
  explicit ferry_model(ferry::Model m) : model(std::move(m)) {}
  ferry::Model model;
  std::vector<std::string> class_labels;  // as text, for ferry_model_class_label
  size_t widths[4] = {0, 0, 0, 0};        // per ferry_output
};

namespace {

// ferry_status carries ErrorCode's values unchanged.
static_assert(FERRY_IO == static_cast<int>(ferry::ErrorCode::kIo) &&
              FERRY_UNSUPPORTED == static_cast<int>(ferry::ErrorCode::kUnsupported) &&
              FERRY_VERIFICATION == static_cast<int>(ferry::ErrorCode::kVerification) &&
              FERRY_SIGNATURE == static_cast<int>(ferry::ErrorCode::kSignature));
// ferry_output's first three are Model::Output's.
static_assert(FERRY_PREDICT == static_cast<int>(ferry::Model::Output::kPredict) &&
              FERRY_PREDICT_PROBA == static_cast<int>(ferry::Model::Output::kPredictProba) &&
              FERRY_DECISION_FUNCTION == static_cast<int>(ferry::Model::Output::kDecisionFunction));

thread_local std::string last_error;

// A null pointer where the API requires one: FERRY_ARGUMENT, which has no ErrorCode.
struct ArgumentError {
  const char* what;
};

ferry_status fail(ferry_status status, std::string message) {
  last_error = std::move(message);
  return status;
}

// Runs f, turning any exception into a status and last_error.
template <typename F>
ferry_status guarded(F&& f) noexcept {
  try {
    last_error.clear();
    f();
    return FERRY_OK;
  } catch (const ArgumentError& e) {
    return fail(FERRY_ARGUMENT, std::string("ferry argument error: ") + e.what);
  } catch (const ferry::Error& e) {
    return fail(static_cast<ferry_status>(static_cast<int>(e.code())), e.what());
  } catch (const std::bad_alloc&) {
    return fail(FERRY_INTERNAL, "ferry internal error: out of memory");
  } catch (const std::exception& e) {
    return fail(FERRY_INTERNAL, std::string("ferry internal error: ") + e.what());
  } catch (...) {
    return fail(FERRY_INTERNAL, "ferry internal error: unknown exception");
  }
}

[[noreturn]] void argument_error(const char* what) { throw ArgumentError{what}; }

// A handle around a loaded model, with the widths and labels the C accessors hand out.
ferry_model* make_handle(ferry::Model loaded) {
  auto handle = std::make_unique<ferry_model>(std::move(loaded));
  const ferry::Schema& schema = handle->model.schema();
  for (std::size_t c = 0; c < schema.classes.size(); ++c) handle->class_labels.push_back(schema.classes.to_string(c));
  for (const ferry_output o : {FERRY_PREDICT, FERRY_PREDICT_PROBA, FERRY_DECISION_FUNCTION})
    handle->widths[o] = static_cast<size_t>(handle->model.output_width(static_cast<ferry::Model::Output>(o)));
  handle->widths[FERRY_EXPLAIN] = static_cast<size_t>(ferry::detail::engine_of(handle->model).estimator->n_scores());
  return handle.release();
}

template <typename T>
using RowMap = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;

// Error(kShape) when a buffer of len values cannot hold rows x width.
void check_size(const std::string& what, size_t rows, size_t width, size_t len) {
  if (width != 0 && len / width < rows)
    throw ferry::Error(ferry::ErrorCode::kShape, what + " of " + std::to_string(rows) + " rows needs " +
                                                     std::to_string(rows) + " x " + std::to_string(width) +
                                                     " values; the buffer holds " + std::to_string(len));
}

// Checks the pointers and the buffer size before any work.
void check_call(const ferry_model* model, const void* X, size_t rows, size_t cols, const double* out, size_t out_len,
                size_t width, const char* output) {
  if (model == nullptr) argument_error("model is null");
  if (X == nullptr && rows > 0) argument_error("X is null");
  if (width == 0)
    throw ferry::Error(ferry::ErrorCode::kUnsupported,
                       std::string("this model has no ") + output + " (scikit-learn's has none either)");
  if (out == nullptr && rows > 0) argument_error("the output buffer is null");
  if (cols != model->model.schema().inputs.size())
    throw ferry::Error(ferry::ErrorCode::kShape, "X has " + std::to_string(cols) + " columns; the model takes " +
                                                     std::to_string(model->model.schema().inputs.size()));
  check_size(output, rows, width, out_len);
}

void copy_out(const ferry::RowMatrixXd& m, double* out) {
  if (m.size() > 0) std::memcpy(out, m.data(), static_cast<std::size_t>(m.size()) * sizeof(double));
}

template <typename T>
ferry_status compute(const ferry_model* model, ferry_output output, const T* X, size_t rows, size_t cols, double* out,
                     size_t out_len) noexcept {
  return guarded([&] {
    static const char* const kNames[] = {"predict", "predict_proba", "decision_function"};
    if (output < FERRY_PREDICT || output > FERRY_DECISION_FUNCTION)
      argument_error("output is not FERRY_PREDICT, FERRY_PREDICT_PROBA or FERRY_DECISION_FUNCTION (explain: ferry_explain_d)");
    if (model == nullptr) argument_error("model is null");
    const size_t width = model->widths[output];
    check_call(model, X, rows, cols, out, out_len, width, kNames[output]);
    if (rows == 0) return;
    const RowMap<T> x(X, static_cast<ferry::Index>(rows), static_cast<ferry::Index>(cols));
    Eigen::Map<ferry::RowMatrixXd> into(out, static_cast<ferry::Index>(rows), static_cast<ferry::Index>(width));
    model->model.compute(static_cast<ferry::Model::Output>(output), x, into);
  });
}

}  // namespace

extern "C" {

const char* ferry_last_error(void) { return last_error.c_str(); }

const char* ferry_status_name(ferry_status status) {
  switch (status) {
    case FERRY_OK:
      return "ok";
    case FERRY_ARGUMENT:
      return "argument";
    case FERRY_INTERNAL:
      return "internal";
    default:
      if ((status >= FERRY_IO && status <= FERRY_VERIFICATION) || status == FERRY_SIGNATURE)
        return ferry::to_string(static_cast<ferry::ErrorCode>(static_cast<int>(status)));
      return "unknown";
  }
}

namespace {

ferry::LoadOptions load_options(const ferry_load_options* c) {
  if (c == nullptr) argument_error("options is null");
  // Fields appended in later versions will be read only when struct_size covers them, so a
  // program built against this ferry.h keeps working with later libraries.
  if (c->struct_size < offsetof(ferry_load_options, max_total_bytes) + sizeof c->max_total_bytes)
    argument_error("options->struct_size is not that of ferry_load_options (use FERRY_LOAD_OPTIONS_INIT)");
  if (c->n_trusted_keys > 0 && c->trusted_keys == nullptr) argument_error("options->trusted_keys is null");
  ferry::LoadOptions options;
  options.verify = c->verify != 0;
  for (size_t i = 0; i < c->n_trusted_keys; ++i) {
    if (c->trusted_keys[i] == nullptr) argument_error("options->trusted_keys has a null key");
    options.trusted_keys.emplace_back(c->trusted_keys[i]);
  }
  if (c->max_total_bytes > 0) options.max_total_bytes = c->max_total_bytes;
  return options;
}

}  // namespace

ferry_status ferry_model_load_with_options(const char* path, const ferry_load_options* options, ferry_model** model) {
  return guarded([&] {
    if (path == nullptr) argument_error("path is null");
    if (model == nullptr) argument_error("model is null");
    *model = make_handle(ferry::Model::load(path, load_options(options)));
  });
}

ferry_status ferry_model_load_from_memory_with_options(const void* data, size_t size, const ferry_load_options* options,
                                                       ferry_model** model) {
  return guarded([&] {
    if (data == nullptr && size > 0) argument_error("data is null");
    if (model == nullptr) argument_error("model is null");
    *model = make_handle(ferry::Model::from_bytes(data, size, load_options(options)));
  });
}

ferry_status ferry_model_load(const char* path, int verify, ferry_model** model) {
  return guarded([&] {
    if (path == nullptr) argument_error("path is null");
    if (model == nullptr) argument_error("model is null");
    ferry::LoadOptions options;
    options.verify = verify != 0;
    *model = make_handle(ferry::Model::load(path, options));
  });
}

ferry_status ferry_model_load_from_memory(const void* data, size_t size, int verify, ferry_model** model) {
  return guarded([&] {
    if (data == nullptr && size > 0) argument_error("data is null");
    if (model == nullptr) argument_error("model is null");
    ferry::LoadOptions options;
    options.verify = verify != 0;
    *model = make_handle(ferry::Model::from_bytes(data, size, options));
  });
}

void ferry_model_free(ferry_model* model) { delete model; }

const char* ferry_model_name(const ferry_model* model) {
  return model ? model->model.metadata().name.c_str() : nullptr;
}

const char* ferry_model_version(const ferry_model* model) {
  return model ? model->model.metadata().version.c_str() : nullptr;
}

size_t ferry_model_n_inputs(const ferry_model* model) { return model ? model->model.schema().inputs.size() : 0; }

const char* ferry_model_input_name(const ferry_model* model, size_t input) {
  if (model == nullptr || input >= model->model.schema().inputs.size()) return nullptr;
  return model->model.schema().inputs[input].name.c_str();
}

int ferry_model_input_is_text(const ferry_model* model, size_t input) {
  if (model == nullptr || input >= model->model.schema().inputs.size()) return 0;
  return model->model.schema().inputs[input].kind != ferry::ColumnKind::kNumeric;
}

int ferry_model_is_classifier(const ferry_model* model) {
  return model != nullptr && model->model.schema().task == ferry::Task::kClassification;
}

size_t ferry_model_n_classes(const ferry_model* model) { return model ? model->class_labels.size() : 0; }

const char* ferry_model_class_label(const ferry_model* model, size_t c) {
  if (model == nullptr || c >= model->class_labels.size()) return nullptr;
  return model->class_labels[c].c_str();
}

size_t ferry_model_output_width(const ferry_model* model, ferry_output output) {
  if (model == nullptr || output < FERRY_PREDICT || output > FERRY_EXPLAIN) return 0;
  return model->widths[output];
}

ferry_status ferry_compute_d(const ferry_model* model, ferry_output output, const double* X, size_t rows, size_t cols,
                             double* out, size_t out_len) {
  return compute(model, output, X, rows, cols, out, out_len);
}

ferry_status ferry_compute_f(const ferry_model* model, ferry_output output, const float* X, size_t rows, size_t cols,
                             double* out, size_t out_len) {
  return compute(model, output, X, rows, cols, out, out_len);
}

ferry_status ferry_explain_d(const ferry_model* model, const double* X, size_t rows, size_t cols, double* values,
                             size_t values_len, double* base, size_t base_len) {
  return guarded([&] {
    if (model == nullptr) argument_error("model is null");
    const size_t width = model->widths[FERRY_EXPLAIN];
    const size_t n = model->model.schema().inputs.size();
    check_call(model, X, rows, cols, base, base_len, width, "explain");
    if (values == nullptr && rows > 0) argument_error("the values buffer is null");
    check_size("explain", rows, width * n, values_len);
    if (rows == 0) return;
    const ferry::Explanation e =
        model->model.explain(RowMap<double>(X, static_cast<ferry::Index>(rows), static_cast<ferry::Index>(cols)));
    if (e.values.size() != width || static_cast<size_t>(e.base_values.cols()) != width)
      throw std::logic_error("explain gave " + std::to_string(e.values.size()) + " outputs, expected " +
                             std::to_string(width));
    for (size_t o = 0; o < width; ++o) copy_out(e.values[o], values + o * rows * n);
    copy_out(e.base_values, base);
  });
}

}  // extern "C"
