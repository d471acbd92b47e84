// The container format (docs/format.md): bytes <-> JSON header + named tensors.
// Knows nothing about machine learning; the loader gives the header its meaning.
#ifndef FERRY_SRC_ARTIFACT_ARTIFACT_HPP
#define FERRY_SRC_ARTIFACT_ARTIFACT_HPP

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ferry/detail/config.hpp"
#include "spec_limits.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail::artifact {

inline constexpr std::uint8_t kMagic[8] = {0x89, 'F', 'E', 'R', 'R', 'Y', '\r', '\n'};
inline constexpr std::size_t kPreambleBytes = 24;  // magic, major, minor, header and data length
inline constexpr std::size_t kTrailerBytes = 4;    // CRC-32
inline constexpr std::size_t kAlignment = 64;
inline constexpr std::size_t kMaxRank = spec::kMaxTensorRank;

enum class DType { kFloat64, kFloat32, kInt64, kInt32, kUInt8 };

const char* dtype_name(DType dtype) noexcept;
std::size_t dtype_size(DType dtype) noexcept;

struct Tensor {
  DType dtype = DType::kFloat64;
  std::vector<std::int64_t> shape;
  // Little-endian element bytes, row-major; owned so the artifact outlives its source.
  std::vector<std::uint8_t> bytes;
  // How the file stored it, for `ferry inspect`.
  std::uint64_t stored_length = 0;
  bool compressed = false;

  std::int64_t count() const noexcept;  // product of shape, validated at construction
};

struct Limits {
  std::size_t max_header_bytes = spec::kDefaultMaxHeaderBytes;
  std::uint64_t max_tensor_bytes = spec::kDefaultMaxTensorBytes;
  std::uint64_t max_total_bytes = spec::kDefaultMaxTotalBytes;
};

struct Artifact {
  int major = 0;
  int minor = 0;
  nlohmann::json header;  // without its "tensors" table, which became `tensors`
  std::map<std::string, Tensor> tensors;
  // Steps may refer to one tensor many times (sub-models sharing an array), and each copies
  // what it refers to: the copies, not only the stored tensors, are bounded by the total
  // limit (LoadOptions::max_total_bytes), counted as the loader hands tensors out.
  std::uint64_t max_copied_bytes = spec::kDefaultMaxTotalBytes;
  mutable std::uint64_t copied_bytes = 0;
};

// Validates everything docs/format.md sections 1-2 require, in its reading order; throws
// ferry::Error (kFormat, kChecksum, kVersion) naming the byte offset or tensor at fault.
Artifact read(const std::uint8_t* data, std::size_t size, const Limits& limits = {});

struct WriteOptions {
  bool compress = false;  // zlib each tensor
};

// The inverse of read(): header (without "tensors") and tensors to file bytes.
std::vector<std::uint8_t> write(const nlohmann::json& header,
                                const std::map<std::string, Tensor>& tensors,
                                const WriteOptions& options = {});

// Whole file into memory; Error(kIo) naming the path when it cannot be read.
std::vector<std::uint8_t> read_file(const std::string& path);

std::uint32_t crc32(const std::uint8_t* data, std::size_t size) noexcept;

}  // namespace detail::artifact
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_ARTIFACT_ARTIFACT_HPP
