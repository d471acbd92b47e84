/* ferry's C API: load a .ferry artifact and predict from C (or any language with a C FFI).
 *
 * C99, no C++ type crosses it, and no exception ever leaves it: every function that can fail
 * returns a ferry_status, and ferry_last_error() gives the message of the last failure on the
 * calling thread. Results go into buffers the caller owns, row-major; each function states
 * the size it needs and refuses a smaller buffer (FERRY_SHAPE) before computing.
 *
 * Dense input only: rows x ferry_model_n_inputs() values, row-major, in schema order. A model
 * with text (categorical) inputs refuses dense input with FERRY_SCHEMA; use the C++ Table API
 * for those. A model handle is immutable after loading and may be used from many threads at
 * once.
 */
#ifndef FERRY_FERRY_H
#define FERRY_FERRY_H

#include <stddef.h>

#if defined(FERRY_SHARED) && defined(_WIN32)
#  if defined(FERRY_BUILDING)
#    define FERRY_C_API __declspec(dllexport)
#  else
#    define FERRY_C_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__)
/* Always visible: a shared object made from the static library's objects (a plugin, a
 * language binding) exports the C API without the whole library's internals. */
#  define FERRY_C_API __attribute__((visibility("default")))
#else
#  define FERRY_C_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The values of ferry::ErrorCode, plus two of the C boundary's own. */
typedef enum ferry_status {
  FERRY_OK = 0,
  FERRY_IO = 1,            /* the file could not be opened or read */
  FERRY_FORMAT = 2,        /* the bytes do not form a valid artifact */
  FERRY_CHECKSUM = 3,      /* a CRC-32 does not match */
  FERRY_VERSION = 4,       /* a format major version this library does not read */
  FERRY_UNSUPPORTED = 5,   /* a step or output this model or library does not have */
  FERRY_SCHEMA = 6,        /* input columns do not match the model's schema */
  FERRY_SHAPE = 7,         /* input or output dimensions are wrong (a buffer too small) */
  FERRY_VALUE = 8,         /* an input value the model cannot take (NaN, infinity, ...) */
  FERRY_VERIFICATION = 9,  /* the embedded test rows did not reproduce scikit-learn's outputs */
  FERRY_ARGUMENT = 10,     /* a null pointer where one is required */
  FERRY_INTERNAL = 11,     /* out of memory, or a failure that is a bug in ferry */
  FERRY_SIGNATURE = 12     /* a required signature is missing, untrusted or does not match */
} ferry_status;

typedef struct ferry_model ferry_model;

/* The message of the last failure on this thread ("" when there was none). Valid until the
 * next ferry call on this thread. */
FERRY_C_API const char* ferry_last_error(void);
/* The short name of a status: "ok", "format", "shape", ... */
FERRY_C_API const char* ferry_status_name(ferry_status status);

/* verify != 0 re-runs the test rows embedded in the file (FERRY_VERIFICATION when they do not
 * reproduce scikit-learn's outputs). *model is set on success only; free it with
 * ferry_model_free. */
FERRY_C_API ferry_status ferry_model_load(const char* path, int verify, ferry_model** model);
FERRY_C_API ferry_status ferry_model_load_from_memory(const void* data, size_t size, int verify,
                                                      ferry_model** model);
FERRY_C_API void ferry_model_free(ferry_model* model); /* null is fine */

/* Everything ferry::LoadOptions offers a C host. Initialise with FERRY_LOAD_OPTIONS_INIT so
 * that struct_size tells the library which fields this program knows: fields are only ever
 * appended, and a zero field means the library's default. */
typedef struct ferry_load_options {
  size_t struct_size;
  int verify;                       /* as ferry_model_load's verify */
  const char* const* trusted_keys;  /* Ed25519 public keys, 64 hex digits each (docs/security.md) */
  size_t n_trusted_keys;            /* when > 0 the file must be signed by one of them */
  unsigned long long max_total_bytes; /* decoded tensor bytes in all; 0: the default (4 GiB) */
} ferry_load_options;
#define FERRY_LOAD_OPTIONS_INIT {sizeof(ferry_load_options), 0, NULL, 0, 0}

FERRY_C_API ferry_status ferry_model_load_with_options(const char* path, const ferry_load_options* options,
                                                       ferry_model** model);
FERRY_C_API ferry_status ferry_model_load_from_memory_with_options(const void* data, size_t size,
                                                                   const ferry_load_options* options,
                                                                   ferry_model** model);

/* What the model takes and gives. Strings live as long as the model. */
FERRY_C_API const char* ferry_model_name(const ferry_model* model);
FERRY_C_API const char* ferry_model_version(const ferry_model* model);
FERRY_C_API size_t ferry_model_n_inputs(const ferry_model* model);
FERRY_C_API const char* ferry_model_input_name(const ferry_model* model, size_t input); /* null past the end */
FERRY_C_API int ferry_model_input_is_text(const ferry_model* model, size_t input);
FERRY_C_API int ferry_model_is_classifier(const ferry_model* model);
FERRY_C_API size_t ferry_model_n_classes(const ferry_model* model);                  /* 0 for a regressor */
FERRY_C_API const char* ferry_model_class_label(const ferry_model* model, size_t c); /* as text, "setosa", "1" */

/* Columns per row of each output (0: the model has no such output, as scikit-learn's has none). */
typedef enum ferry_output {
  FERRY_PREDICT = 0,           /* regressor: one value per target; classifier: the class index */
  FERRY_PREDICT_PROBA = 1,     /* one probability per class */
  FERRY_DECISION_FUNCTION = 2, /* the raw scores, as scikit-learn's decision_function */
  FERRY_EXPLAIN = 3            /* explained outputs: one block of rows x n_inputs values each */
} ferry_output;
FERRY_C_API size_t ferry_model_output_width(const ferry_model* model, ferry_output output);

/* X: rows x cols, row-major, cols == ferry_model_n_inputs(). out: at least
 * rows * ferry_model_output_width(model, output) values (out_len counts values, not bytes).
 * FERRY_PREDICT writes, for a classifier, the index of the predicted class (a whole number,
 * see ferry_model_class_label). After an error status, out may hold part of the answer. */
FERRY_C_API ferry_status ferry_compute_d(const ferry_model* model, ferry_output output, const double* X, size_t rows,
                                         size_t cols, double* out, size_t out_len);
FERRY_C_API ferry_status ferry_compute_f(const ferry_model* model, ferry_output output, const float* X, size_t rows,
                                         size_t cols, double* out, size_t out_len);

/* SHAP values, by the model's default method (docs/api.md, "Explain"): values holds
 * width blocks (width = ferry_model_output_width(model, FERRY_EXPLAIN)) of rows x n_inputs,
 * one per explained output; base holds rows x width expected scores. For every row and output,
 * base + the sum of the row's values is the raw score. */
FERRY_C_API ferry_status ferry_explain_d(const ferry_model* model, const double* X, size_t rows, size_t cols,
                                         double* values, size_t values_len, double* base, size_t base_len);

#ifdef __cplusplus
}
#endif

#endif /* FERRY_FERRY_H */
