#if FERRY_HAVE_ZLIB
#include <zlib.h>
#endif

#include <algorithm>
#include <array>
#include <limits>

#include "artifact/artifact.hpp"
#include "artifact/tensor_data.hpp"

#include <cstring>

FERRY_BEGIN_NAMESPACE
namespace detail::artifact {

const char* dtype_name(DType dtype) noexcept {
  switch (dtype) {
    case DType::kFloat64: return "float64";
    case DType::kFloat32: return "float32";
    case DType::kInt64: return "int64";
    case DType::kInt32: return "int32";
    case DType::kUInt8: return "uint8";
  }
  return "?";
}

std::size_t dtype_size(DType dtype) noexcept {
  switch (dtype) {
    case DType::kFloat64:
    case DType::kInt64: return 8;
    case DType::kFloat32:
    case DType::kInt32: return 4;
    case DType::kUInt8: return 1;
  }
  return 1;
}

std::int64_t Tensor::count() const noexcept {
  std::int64_t n = 1;
  for (std::int64_t d : shape) n *= d;
  return n;
}

#if FERRY_HAVE_ZLIB
std::uint32_t crc32(const std::uint8_t* data, std::size_t size) noexcept {
  uLong crc = ::crc32(0L, Z_NULL, 0);
  // zlib takes uInt lengths; feed large buffers in pieces.
  while (size > 0) {
    const auto n = static_cast<uInt>(std::min<std::size_t>(size, std::numeric_limits<uInt>::max()));
    crc = ::crc32(crc, data, n);
    data += n;
    size -= n;
  }
  return static_cast<std::uint32_t>(crc);
}
#else
// A build without zlib (FERRY_WITH_ZLIB=OFF) still checks every CRC: the same ISO-HDLC CRC-32,
// a byte at a time from a table. Slower than zlib's, still far faster than parsing.
std::uint32_t crc32(const std::uint8_t* data, std::size_t size) noexcept {
  static const std::array<std::uint32_t, 256> table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  std::uint32_t crc = 0xFFFFFFFFu;
  for (std::size_t i = 0; i < size; ++i) crc = table[(crc ^ data[i]) & 0xFFu] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}
#endif

}  // namespace detail::artifact
FERRY_END_NAMESPACE

FERRY_BEGIN_NAMESPACE
namespace detail::artifact {
namespace {

template <typename T>
Tensor make_tensor(DType dtype, std::vector<std::int64_t> shape, const T* values) {
  Tensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  const auto n = static_cast<std::size_t>(t.count());
  t.bytes.reserve(n * sizeof(T));
  for (std::size_t i = 0; i < n; ++i) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, values + i, sizeof(T));
    for (std::size_t b = 0; b < sizeof(T); ++b) t.bytes.push_back(static_cast<std::uint8_t>(bits >> (8 * b)));
  }
  return t;
}

}  // namespace

Tensor make_float64(std::vector<std::int64_t> shape, const double* values) {
  return make_tensor(DType::kFloat64, std::move(shape), values);
}

Tensor make_int64(std::vector<std::int64_t> shape, const std::int64_t* values) {
  return make_tensor(DType::kInt64, std::move(shape), values);
}

}  // namespace detail::artifact
FERRY_END_NAMESPACE
