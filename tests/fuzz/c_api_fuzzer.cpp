// libFuzzer target for the C boundary (include/ferry/ferry.h): hostile bytes loaded from
// memory, then every output and the explanation computed on two rows. The C API must answer
// every input with a status it documents and, on failure, a message; no exception may leave
// it. A status outside the enum, or a failure without a message, aborts (a finding).
#include <zlib.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

#include "ferry/ferry.h"

namespace {

void check(ferry_status status) {
  const bool known = status >= FERRY_OK && status <= FERRY_SIGNATURE;
  if (!known || (status != FERRY_OK && std::strlen(ferry_last_error()) == 0)) std::abort();
}

void run(const std::uint8_t* data, std::size_t size) {
  ferry_model* model = nullptr;
  const ferry_status loaded = ferry_model_load_from_memory(data, size, /*verify=*/1, &model);
  check(loaded);
  if (loaded != FERRY_OK) {
    if (model != nullptr) std::abort();  // set on success only
    return;
  }
  const std::size_t n = ferry_model_n_inputs(model);
  if (n > 4096) {
    ferry_model_free(model);
    return;
  }
  // A plain row and a row of the values hosts get wrong: NaN, infinity, huge.
  std::vector<double> X(2 * n, 0.0);
  for (std::size_t j = 0; j < n; ++j)
    X[n + j] = j % 3 == 0 ? std::nan("") : j % 3 == 1 ? std::numeric_limits<double>::infinity() : 1e308;
  for (const ferry_output output : {FERRY_PREDICT, FERRY_PREDICT_PROBA, FERRY_DECISION_FUNCTION}) {
    const std::size_t width = ferry_model_output_width(model, output);
    std::vector<double> out(2 * width + 1);
    check(ferry_compute_d(model, output, X.data(), 2, n, out.data(), out.size()));
    // Too small a buffer is refused before any work.
    if (width > 0 && ferry_compute_d(model, output, X.data(), 2, n, out.data(), 2 * width - 1) != FERRY_SHAPE)
      std::abort();
  }
  const std::size_t explained = ferry_model_output_width(model, FERRY_EXPLAIN);
  if (n <= 10) {  // the default method may enumerate 2^n coalitions
    std::vector<double> values(explained * n + 1), base(explained + 1);
    check(ferry_explain_d(model, X.data(), 1, n, values.data(), values.size(), base.data(), base.size()));
  }
  for (std::size_t c = 0; c < ferry_model_n_classes(model); ++c)
    if (ferry_model_class_label(model, c) == nullptr) std::abort();
  ferry_model_free(model);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  run(data, size);
  // As the loader's fuzzer: also with the trailer CRC repaired, to reach the checks behind it.
  if (size >= 28) {
    std::vector<std::uint8_t> repaired(data, data + size);
    const uLong crc = crc32_z(crc32(0L, Z_NULL, 0), repaired.data(), size - 4);
    for (std::size_t i = 0; i < 4; ++i) repaired[size - 4 + i] = static_cast<std::uint8_t>(crc >> (8 * i));
    run(repaired.data(), size);
  }
  return 0;
}
