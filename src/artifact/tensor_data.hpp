// Decoding tensor bytes (little-endian by the format) into host values, on any host.
#ifndef FERRY_SRC_ARTIFACT_TENSOR_DATA_HPP
#define FERRY_SRC_ARTIFACT_TENSOR_DATA_HPP

#include <cstdint>
#include <cstring>
#include <vector>

#include "ferry/detail/config.hpp"
#include "artifact/artifact.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail::artifact {

// Assembling each element from its bytes is correct on big-endian hosts too; on
// little-endian ones the compiler reduces it to a plain load.
template <typename Bits>
Bits load_le_bits(const std::uint8_t* p) noexcept {
  Bits v = 0;
  for (std::size_t i = 0; i < sizeof(Bits); ++i) v |= static_cast<Bits>(static_cast<Bits>(p[i]) << (8 * i));
  return v;
}

// Elements of an 8-byte dtype into `out`; the caller has checked dtype and element count.
template <typename T>
void copy_elements(const Tensor& t, T* out) noexcept {
  static_assert(sizeof(T) == 8, "float64 and int64 tensors only");
  for (std::size_t i = 0; i * 8 < t.bytes.size(); ++i) {
    const std::uint64_t bits = load_le_bits<std::uint64_t>(t.bytes.data() + 8 * i);
    std::memcpy(out + i, &bits, 8);
  }
}
inline void copy_float64(const Tensor& t, double* out) noexcept { copy_elements(t, out); }
inline void copy_int64(const Tensor& t, std::int64_t* out) noexcept { copy_elements(t, out); }

// Tensors built in memory (C++ writer, tests).
Tensor make_float64(std::vector<std::int64_t> shape, const double* values);
Tensor make_int64(std::vector<std::int64_t> shape, const std::int64_t* values);

}  // namespace detail::artifact
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_ARTIFACT_TENSOR_DATA_HPP
