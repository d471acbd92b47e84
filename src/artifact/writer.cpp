// Writes docs/format.md: the exact inverse of reader.cpp, deterministic byte for byte.
#include <zlib.h>

#include <limits>

#include <fmt/format.h>

#include "artifact/artifact.hpp"
#include "ferry/error.hpp"
#include "ferry/version.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail::artifact {
namespace {

void store_le(std::vector<std::uint8_t>& out, std::uint64_t value, std::size_t bytes) {
  for (std::size_t i = 0; i < bytes; ++i) out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

void pad_to_alignment(std::vector<std::uint8_t>& out, std::size_t base) {
  while ((out.size() - base) % kAlignment != 0) out.push_back(0);
}

std::vector<std::uint8_t> deflate_bytes(const std::vector<std::uint8_t>& raw) {
  uLongf bound = compressBound(static_cast<uLong>(raw.size()));
  std::vector<std::uint8_t> out(bound);
  if (compress2(out.data(), &bound, raw.data(), static_cast<uLong>(raw.size()), 9) != Z_OK)
    throw Error(ErrorCode::kIo, "zlib compression failed");
  out.resize(bound);
  return out;
}

}  // namespace

std::vector<std::uint8_t> write(const nlohmann::json& header, const std::map<std::string, Tensor>& tensors,
                                const WriteOptions& options) {
  nlohmann::json full = header;
  nlohmann::json table = nlohmann::json::object();
  std::vector<std::uint8_t> region;
  // std::map iterates in byte order of the names: the placement order the format requires.
  for (const auto& [name, tensor] : tensors) {
    if (static_cast<std::uint64_t>(tensor.count()) * dtype_size(tensor.dtype) != tensor.bytes.size())
      throw Error(ErrorCode::kShape, fmt::format("tensor \"{}\": {} bytes do not match its shape", name,
                                                 tensor.bytes.size()));
    const std::vector<std::uint8_t> stored = options.compress ? deflate_bytes(tensor.bytes) : tensor.bytes;
    table[name] = {{"dtype", dtype_name(tensor.dtype)},
                   {"shape", tensor.shape},
                   {"offset", region.size()},
                   {"length", stored.size()},
                   {"compression", options.compress ? "zlib" : "none"},
                   {"crc32", crc32(stored.data(), stored.size())}};
    region.insert(region.end(), stored.begin(), stored.end());
    pad_to_alignment(region, 0);
  }
  full["tensors"] = std::move(table);
  const std::string text = full.dump();
  if (text.size() > std::numeric_limits<std::uint32_t>::max())
    throw Error(ErrorCode::kFormat, "header exceeds 4 GiB");

  std::vector<std::uint8_t> out(std::begin(kMagic), std::end(kMagic));
  store_le(out, FERRY_FORMAT_MAJOR, 2);
  // The lowest minor that expresses the file (docs/format.md §5): the explain section came in
  // 1.1, its background rows in 1.2, the baseline section in 1.3.
  const bool background = header.contains("explain") && header["explain"].contains("background");
  store_le(out, header.contains("baseline") ? 3 : background ? 2 : header.contains("explain") ? 1 : 0, 2);
  store_le(out, text.size(), 4);
  store_le(out, region.size(), 8);
  out.insert(out.end(), text.begin(), text.end());
  pad_to_alignment(out, 0);
  out.insert(out.end(), region.begin(), region.end());
  store_le(out, crc32(out.data(), out.size()), 4);
  return out;
}

}  // namespace detail::artifact
FERRY_END_NAMESPACE
