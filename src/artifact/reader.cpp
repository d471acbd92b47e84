// Reads docs/format.md sections 1-2. Every number taken from the file is range-checked
// before it is used as an offset, a size or a loop bound.
#if FERRY_HAVE_ZLIB
#include <zlib.h>
#endif

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <unordered_set>
#include <limits>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "artifact/artifact.hpp"
#include "artifact/json_fields.hpp"
#include "artifact/tensor_data.hpp"
#include "ferry/error.hpp"
#include "ferry/version.hpp"
#include "spec_limits.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail::artifact {
namespace {

using spec::kMaxJsonDepth;

[[noreturn]] void fail(ErrorCode code, const std::string& message) { throw Error(code, message); }

std::uint64_t align64(std::uint64_t x) { return (x + (kAlignment - 1)) / kAlignment * kAlignment; }

bool all_zero(const std::uint8_t* begin, const std::uint8_t* end) {
  return std::all_of(begin, end, [](std::uint8_t b) { return b == 0; });
}

// Parses the header, rejecting duplicate keys (which JSON parsers resolve differently, so a
// file could mean two things) and nesting deeper than any valid header needs.
nlohmann::json parse_header(const std::uint8_t* text, std::size_t size) {
  std::vector<std::unordered_set<std::string>> keys_per_object;
  std::string error;
  auto callback = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    if (depth > kMaxJsonDepth && error.empty()) error = fmt::format("nesting deeper than {}", kMaxJsonDepth);
    if (event == Event::object_start) {
      keys_per_object.emplace_back();
    } else if (event == Event::object_end) {
      keys_per_object.pop_back();
    } else if (event == Event::key && !keys_per_object.empty()) {
      const std::string& key = parsed.get_ref<const std::string&>();
      if (!keys_per_object.back().insert(key).second && error.empty())
        error = fmt::format("duplicate key \"{}\"", key);
    }
    return error.empty();
  };
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(text, text + size, callback, /*allow_exceptions=*/true,
                                   /*ignore_comments=*/false);
  } catch (const nlohmann::json::exception& e) {
    fail(ErrorCode::kFormat, fmt::format("header is not valid JSON: {}", e.what()));
  }
  if (!error.empty()) fail(ErrorCode::kFormat, "header JSON: " + error);
  if (!header.is_object()) fail(ErrorCode::kFormat, "header JSON must be an object");
  return header;
}

DType parse_dtype(const std::string& name, const std::string& where) {
  static constexpr DType kAll[] = {DType::kFloat64, DType::kFloat32, DType::kInt64, DType::kInt32,
                                   DType::kUInt8};
  for (DType d : kAll)
    if (name == dtype_name(d)) return d;
  fail(ErrorCode::kFormat, fmt::format("{}: unknown dtype \"{}\"", where, name));
}

bool valid_tensor_name(std::string_view name) {
  if (name.empty() || name.size() > spec::kMaxTensorNameBytes) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

// Inflates into a buffer that grows only as output appears, so a small hostile stream that
// declares a huge shape costs what it really inflates to, not what it claims.
std::vector<std::uint8_t> inflate_exact(const std::uint8_t* data, std::uint64_t size,
                                        std::uint64_t expected, const std::string& where) {
#if !FERRY_HAVE_ZLIB
  (void)data;
  (void)size;
  (void)expected;
  fail(ErrorCode::kUnsupported, where + ": zlib-compressed, and this ferry was built without zlib "
                                        "(FERRY_WITH_ZLIB=OFF); export with compress=False");
#else
  constexpr std::uint64_t kMaxZlib = std::numeric_limits<uInt>::max() - 1;
  constexpr std::size_t kFirstChunk = std::size_t{1} << 16;
  if (size > kMaxZlib || expected > kMaxZlib)
    fail(ErrorCode::kFormat, where + ": zlib-compressed tensors are limited to 4 GiB");
  std::vector<std::uint8_t> out;
  z_stream stream{};
  if (inflateInit(&stream) != Z_OK) fail(ErrorCode::kFormat, where + ": zlib initialisation failed");
  stream.next_in = const_cast<Bytef*>(data);
  stream.avail_in = static_cast<uInt>(size);
  int rc = Z_OK;
  // One byte of room beyond `expected` lets a stream that inflates to more show itself.
  while (rc == Z_OK && out.size() <= expected) {
    const std::size_t done = out.size();
    const std::size_t grow = std::min<std::uint64_t>(std::max(done, kFirstChunk), expected + 1 - done);
    out.resize(done + grow);
    stream.next_out = out.data() + done;
    stream.avail_out = static_cast<uInt>(grow);
    rc = inflate(&stream, Z_NO_FLUSH);
    out.resize(done + grow - stream.avail_out);
    if (rc == Z_OK && stream.avail_out == grow && stream.avail_in == 0) rc = Z_BUF_ERROR;  // truncated
  }
  const bool exact = rc == Z_STREAM_END && out.size() == expected && stream.avail_in == 0;
  inflateEnd(&stream);
  if (!exact)
    fail(ErrorCode::kFormat,
         fmt::format("{}: zlib stream is corrupt or does not inflate to exactly {} bytes", where, expected));
  return out;
#endif
}

// A tensor's name, dtype and shape, checked; *nbytes is its decoded size.
Tensor tensor_layout(const std::string& name, const nlohmann::json& entry, const Limits& limits,
                     std::uint64_t* nbytes) {
  const std::string where = fmt::format("tensor \"{}\"", name);
  if (!valid_tensor_name(name)) fail(ErrorCode::kFormat, where + ": name must be 1-128 characters of [A-Za-z0-9._-]");
  const Fields f(entry, "tensors." + name);
  Tensor tensor;
  tensor.dtype = parse_dtype(f.string("dtype"), where);
  const nlohmann::json& shape = f.array("shape");
  if (shape.size() > kMaxRank) fail(ErrorCode::kFormat, fmt::format("{}: rank {} exceeds {}", where, shape.size(), kMaxRank));
  const std::uint64_t elem = dtype_size(tensor.dtype);
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (!shape[i].is_number_integer() || shape[i].get<std::int64_t>() < 0)
      fail(ErrorCode::kFormat, fmt::format("{}: shape[{}] must be a non-negative integer", where, i));
    tensor.shape.push_back(shape[i].get<std::int64_t>());
  }
  // The running product, left to right, may never exceed the limit (docs/format.md §2);
  // dividing before multiplying keeps it from overflowing.
  const std::uint64_t max_count = limits.max_tensor_bytes / elem;
  std::uint64_t count = 1;
  for (std::int64_t dim : tensor.shape) {
    const auto d = static_cast<std::uint64_t>(dim);
    if (d != 0 && count > max_count / d)
      fail(ErrorCode::kFormat, fmt::format("{}: shape {} exceeds the tensor size limit of {} bytes", where,
                                           shape.dump(), limits.max_tensor_bytes));
    count *= d;
  }
  *nbytes = count * elem;
  return tensor;
}

Tensor read_tensor(const std::string& name, const nlohmann::json& entry, const std::uint8_t* region,
                   std::uint64_t data_length, std::uint64_t expected_offset, std::uint64_t* end,
                   const Limits& limits) {
  const std::string where = fmt::format("tensor \"{}\"", name);
  std::uint64_t nbytes = 0;
  Tensor tensor = tensor_layout(name, entry, limits, &nbytes);
  const Fields f(entry, "tensors." + name);
  const nlohmann::json& shape = f.array("shape");

  const std::uint64_t offset = f.uint64("offset");
  const std::uint64_t length = f.uint64("length");
  const std::uint64_t crc = f.uint64("crc32");
  const std::string compression = f.string("compression");
  if (offset != expected_offset)
    fail(ErrorCode::kFormat, fmt::format("{}: offset {} should be {} (tensors are packed in name order, "
                                         "64-byte aligned, without holes or overlaps)",
                                         where, offset, expected_offset));
  if (length > data_length || offset > data_length - length)
    fail(ErrorCode::kFormat, fmt::format("{}: bytes [{}, {}) run past the data region of {} bytes", where, offset,
                                         offset + length, data_length));
  if (crc > 0xFFFFFFFFu) fail(ErrorCode::kFormat, where + ": crc32 is not a 32-bit value");
  const std::uint8_t* stored = region + offset;
  if (crc32(stored, static_cast<std::size_t>(length)) != crc)
    fail(ErrorCode::kChecksum, fmt::format("{}: CRC-32 mismatch at data offset {}", where, offset));
  if (compression == "none") {
    if (length != nbytes)
      fail(ErrorCode::kFormat, fmt::format("{}: length {} does not match shape {} of {} ({} bytes)", where, length,
                                           shape.dump(), dtype_name(tensor.dtype), nbytes));
    tensor.bytes.assign(stored, stored + length);
  } else if (compression == "zlib") {
    tensor.bytes = inflate_exact(stored, length, nbytes, where);
  } else {
    fail(ErrorCode::kFormat, fmt::format("{}: unknown compression \"{}\"", where, compression));
  }
  tensor.stored_length = length;
  tensor.compressed = compression == "zlib";
  *end = offset + length;
  return tensor;
}

}  // namespace

std::vector<std::uint8_t> read_file(const std::string& path) {
  // C stdio rather than std::ifstream / std::filesystem: a static device build then carries no
  // iostream or locale code (docs/edge.md).
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) fail(ErrorCode::kIo, fmt::format("cannot open \"{}\": {}", path, std::strerror(errno)));
  struct stat status {};
  if (fstat(fileno(file.get()), &status) != 0 || !S_ISREG(status.st_mode))
    fail(ErrorCode::kIo, fmt::format("\"{}\" is not a readable file", path));
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(status.st_size));
  const std::size_t got = std::fread(bytes.data(), 1, bytes.size(), file.get());
  if (got != bytes.size() || std::fgetc(file.get()) != EOF)
    fail(ErrorCode::kIo, fmt::format("cannot read \"{}\" (it changed while being read?)", path));
  return bytes;
}

Artifact read(const std::uint8_t* data, std::size_t size, const Limits& limits) {
  const std::size_t min_size = kPreambleBytes + kTrailerBytes;
  if (data == nullptr || size < min_size)
    fail(ErrorCode::kFormat, fmt::format("{} bytes is too small to be a ferry artifact (at least {})", size, min_size));
  if (std::memcmp(data, kMagic, sizeof kMagic) != 0)
    fail(ErrorCode::kFormat, "not a ferry artifact: bad magic bytes at offset 0");
  Artifact artifact;
  artifact.major = load_le_bits<std::uint16_t>(data + 8);
  artifact.minor = load_le_bits<std::uint16_t>(data + 10);
  if (artifact.major == 0) fail(ErrorCode::kFormat, "format major version 0 is invalid (offset 8)");
  if (artifact.major != FERRY_FORMAT_MAJOR)
    fail(ErrorCode::kVersion, fmt::format("artifact format {}.{} is not readable by this ferry, which reads format {}.x",
                                          artifact.major, artifact.minor, FERRY_FORMAT_MAJOR));
  const std::uint32_t stored_crc = load_le_bits<std::uint32_t>(data + size - kTrailerBytes);
  const std::uint32_t actual_crc = crc32(data, size - kTrailerBytes);
  if (stored_crc != actual_crc)
    fail(ErrorCode::kChecksum, fmt::format("file CRC-32 is {:#010x} but the trailer at offset {} says {:#010x}: "
                                           "the file is damaged or truncated",
                                           actual_crc, size - kTrailerBytes, stored_crc));

  const std::uint64_t header_length = load_le_bits<std::uint32_t>(data + 12);
  const std::uint64_t data_length = load_le_bits<std::uint64_t>(data + 16);
  if (header_length > limits.max_header_bytes)
    fail(ErrorCode::kFormat, fmt::format("header length {} (offset 12) exceeds the limit of {} bytes", header_length,
                                         limits.max_header_bytes));
  if (header_length < 2) fail(ErrorCode::kFormat, "header length (offset 12) is below 2 bytes");
  const std::uint64_t data_start = align64(kPreambleBytes + header_length);
  if (data_length % kAlignment != 0)
    fail(ErrorCode::kFormat, fmt::format("data length {} (offset 16) is not a multiple of 64", data_length));
  if (data_start > size || data_length > size - data_start || size - data_start - data_length != kTrailerBytes)
    fail(ErrorCode::kFormat, fmt::format("file is {} bytes but its header length {} and data length {} "
                                         "imply {} bytes",
                                         size, header_length, data_length, data_start + data_length + kTrailerBytes));
  const std::uint8_t* header_text = data + kPreambleBytes;
  if (!all_zero(header_text + header_length, data + data_start))
    fail(ErrorCode::kFormat, fmt::format("non-zero header padding before offset {}", data_start));

  // JSON parsers disagree on a byte-order mark and on text after a NUL byte; refuse both so
  // that a header means the same to every reader.
  if (header_length >= 3 && std::memcmp(header_text, "\xEF\xBB\xBF", 3) == 0)
    fail(ErrorCode::kFormat, "header starts with a UTF-8 byte-order mark (offset 24)");
  if (const void* nul = std::memchr(header_text, 0, static_cast<std::size_t>(header_length)))
    fail(ErrorCode::kFormat, fmt::format("header contains a NUL byte at offset {}",
                                         static_cast<const std::uint8_t*>(nul) - data));
  artifact.header = parse_header(header_text, static_cast<std::size_t>(header_length));
  auto table_it = artifact.header.find("tensors");
  if (table_it == artifact.header.end() || !table_it->is_object())
    fail(ErrorCode::kFormat, "header has no \"tensors\" object");
  const nlohmann::json table = std::move(*table_it);
  artifact.header.erase("tensors");

  artifact.max_copied_bytes = limits.max_total_bytes;
  // The total a file makes us decode is bounded before any tensor is inflated or copied, so
  // many streams that each inflate to just under the tensor limit cannot exhaust memory.
  std::uint64_t total = 0;
  for (const auto& [name, entry] : table.items()) {
    std::uint64_t nbytes = 0;
    tensor_layout(name, entry, limits, &nbytes);
    if (nbytes > limits.max_total_bytes - total)
      fail(ErrorCode::kFormat, fmt::format("tensors decode to more than the limit of {} bytes in total "
                                           "(reached at tensor \"{}\")",
                                           limits.max_total_bytes, name));
    total += nbytes;
  }

  // nlohmann's object keeps keys sorted by byte order: the placement order of the format.
  const std::uint8_t* region = data + data_start;
  std::uint64_t expected_offset = 0, end = 0;
  for (const auto& [name, entry] : table.items()) {
    artifact.tensors.emplace(name, read_tensor(name, entry, region, data_length, expected_offset, &end, limits));
    if (!all_zero(region + end, region + std::min(align64(end), data_length)))
      fail(ErrorCode::kFormat, fmt::format("tensor \"{}\": non-zero padding after data offset {}", name, end));
    expected_offset = align64(end);
  }
  if (expected_offset != data_length)
    fail(ErrorCode::kFormat, fmt::format("tensors end at data offset {} but the data region is {} bytes",
                                         expected_offset, data_length));
  return artifact;
}

}  // namespace detail::artifact
FERRY_END_NAMESPACE
