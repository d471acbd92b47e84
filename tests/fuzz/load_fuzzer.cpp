// libFuzzer target for the whole loading path, bytes -> ferry::Model (docs/format.md), and
// the explanations of the loaded model.
// ferry::Error is the only way the library may refuse a file: any other exception, a crash,
// a sanitizer report, a leak or a timeout is a bug, and the fuzzer reports it.
#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "ferry/error.hpp"
#include "ferry/model.hpp"

namespace {

// Every explanation method on one plain row, so that hostile covers, background rows and
// weights meet the SHAP kernels too. Bounded so that a run stays fast: kAuto enumerates only up
// to 4 columns, kInterventional up to 10, and sampling draws 2 orderings.
void explain(const ferry::Model& model) {
  ferry::Row row;
  for (const ferry::InputColumn& c : model.schema().inputs) {
    if (c.kind == ferry::ColumnKind::kNumeric)
      row.set(c.name, 0.0);
    else if (c.categories.empty())
      row.set_missing(c.name);
    else
      row.set(c.name, c.categories.front());
  }
  using Method = ferry::ExplainOptions::Method;
  for (const Method method : {Method::kAuto, Method::kPathDependent, Method::kInterventional, Method::kSampling}) {
    ferry::ExplainOptions options;
    options.method = method;
    options.max_exact_columns = 4;
    options.permutations = 2;
    if (method == Method::kInterventional && model.schema().inputs.size() > 10) continue;  // may enumerate 2^M
    try {
      model.explain(row, options);
    } catch (const ferry::Error&) {
    }
  }
  try {
    model.explain_interactions(row);
  } catch (const ferry::Error&) {
  }
}

// With verify, the embedded rows also run through every step and the estimator, so hostile
// parameters meet the kernels, not only the loader.
void load(const std::uint8_t* data, std::size_t size) {
  ferry::LoadOptions options;
  options.verify = true;
  try {
    explain(ferry::Model::from_bytes(data, size, options));
  } catch (const ferry::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  load(data, size);
  // Nearly every mutation breaks the trailer CRC, which the reader checks before the header
  // (reading order, step 4), so the input is also loaded with its trailer repaired: that
  // lets mutations reach the framing, JSON, tensor-table and step checks behind it.
  if (size >= 28) {
    std::vector<std::uint8_t> repaired(data, data + size);
    const uLong crc = crc32_z(crc32(0L, Z_NULL, 0), repaired.data(), size - 4);
    for (std::size_t i = 0; i < 4; ++i) repaired[size - 4 + i] = static_cast<std::uint8_t>(crc >> (8 * i));
    if (!std::equal(repaired.end() - 4, repaired.end(), data + size - 4)) load(repaired.data(), size);
  }
  return 0;
}
