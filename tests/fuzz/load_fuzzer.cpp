// libFuzzer target for the whole loading path, bytes -> ferry::Model (docs/format.md).
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

// With verify, the embedded rows also run through every step and the estimator, so hostile
// parameters meet the kernels, not only the loader.
void load(const std::uint8_t* data, std::size_t size) {
  ferry::LoadOptions options;
  options.verify = true;
  try {
    ferry::Model::from_bytes(data, size, options);
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
