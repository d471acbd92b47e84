// Damaged and hostile artifacts: every one must be refused with the exact ferry::ErrorCode
// that docs/format.md's "Reading order" assigns to it, and a message naming the problem.
//
// Three ways of building bad files:
//   * damaging the shipped iris artifact byte by byte (truncation, flips);
//   * crafting frames by hand (frame() / craft() below), with correct CRCs, so each case
//     reaches exactly the check it targets instead of stopping at the trailer CRC;
//   * editing the parsed header of a shipped artifact and re-serialising it with
//     ferry::detail::artifact::write(), for the semantic checks of sections 3-4.
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "artifact/artifact.hpp"
#include "artifact/tensor_data.hpp"
#include "ferry/error.hpp"
#include "ferry/model.hpp"
#include "ferry/version.hpp"

namespace {

using Bytes = std::vector<std::uint8_t>;
using ferry::ErrorCode;
using nlohmann::json;
namespace fa = ferry::detail::artifact;

constexpr std::size_t kMinSize = 28;  // preamble (24) + trailer (4)

// ---------------------------------------------------------------------------------------
// Helpers

Bytes shipped(const std::string& name) {
  return fa::read_file(std::string(FERRY_SOURCE_DIR) + "/artifacts/" + name + "/model.ferry");
}

const Bytes& iris_bytes() {
  static const Bytes bytes = shipped("iris");
  return bytes;
}

std::uint64_t align64(std::uint64_t x) { return (x + 63) / 64 * 64; }

void put_le(Bytes& b, std::size_t at, std::uint64_t value, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) b[at + i] = static_cast<std::uint8_t>(value >> (8 * i));
}

void append_le(Bytes& b, std::uint64_t value, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) b.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

std::uint32_t load_u32(const Bytes& b, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(b[at + i]) << (8 * i);
  return v;
}

std::uint32_t crc_of(const Bytes& b) { return fa::crc32(b.data(), b.size()); }

// Recomputes the trailer so that a deliberately edited file passes reading-order step 4.
Bytes with_valid_trailer(Bytes b) {
  put_le(b, b.size() - 4, fa::crc32(b.data(), b.size() - 4), 4);
  return b;
}

const char* code_name(ErrorCode code) { return ferry::to_string(code); }

std::string printable(const std::string& s) {
  return s.size() <= 300 ? s : s.substr(0, 300) + "...";
}

// The expect_error helper: loads `bytes` through the public API and checks that exactly
// ferry::Error with `code` is thrown, and that its message contains `substring`.
::testing::AssertionResult load_error(const Bytes& bytes, ErrorCode code, const std::string& substring,
                                      const ferry::LoadOptions& options = {}) {
  try {
    ferry::Model::from_bytes(bytes.data(), bytes.size(), options);
  } catch (const ferry::Error& e) {
    if (e.code() != code)
      return ::testing::AssertionFailure() << "expected a " << code_name(code) << " error containing \""
                                           << substring << "\", got " << code_name(e.code()) << ": "
                                           << printable(e.message());
    if (e.message().find(substring) == std::string::npos)
      return ::testing::AssertionFailure() << "the " << code_name(code) << " error \"" << printable(e.message())
                                           << "\" does not contain \"" << substring << "\"";
    const std::string prefix = std::string("ferry ") + code_name(code) + " error: ";
    if (std::string(e.what()).rfind(prefix, 0) != 0)
      return ::testing::AssertionFailure() << "what() does not start with \"" << prefix << "\": " << e.what();
    return ::testing::AssertionSuccess();
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "expected ferry::Error(" << code_name(code)
                                         << "), got another exception: " << e.what();
  }
  return ::testing::AssertionFailure() << "loaded without error; expected a " << code_name(code)
                                       << " error containing \"" << substring << "\"";
}

#define EXPECT_LOAD_ERROR(...) EXPECT_TRUE(load_error(__VA_ARGS__))

::testing::AssertionResult loads(const Bytes& bytes, const ferry::LoadOptions& options = {}) {
  try {
    ferry::Model::from_bytes(bytes.data(), bytes.size(), options);
    return ::testing::AssertionSuccess();
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "did not load: " << e.what();
  }
}

// Container-level check only (sections 1-2), for the controls of crafted files, whose
// headers have no pipeline and would fail the semantic checks.
::testing::AssertionResult container_reads(const Bytes& bytes) {
  try {
    fa::read(bytes.data(), bytes.size());
    return ::testing::AssertionSuccess();
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "container refused: " << e.what();
  }
}

// For the container-only cases whose header would fail the semantic checks anyway: the
// refusal must come from ferry::detail::artifact::read itself.
::testing::AssertionResult container_error(const Bytes& bytes, ErrorCode code, const std::string& substring) {
  try {
    const fa::Artifact a = fa::read(bytes.data(), bytes.size());
    return ::testing::AssertionFailure() << "container accepted, header read as " << printable(a.header.dump());
  } catch (const ferry::Error& e) {
    if (e.code() != code || e.message().find(substring) == std::string::npos)
      return ::testing::AssertionFailure() << "expected a " << code_name(code) << " error containing \""
                                           << substring << "\", got " << code_name(e.code()) << ": "
                                           << printable(e.message());
    return ::testing::AssertionSuccess();
  }
}

// --- Hand-made frames ---------------------------------------------------------------------

// Frames an arbitrary header text and data region into a file whose trailer CRC is right.
// Each field of the preamble can be overridden, so a case reaches the check it targets.
struct Frame {
  std::string header = R"({"tensors":{}})";
  Bytes data;                                // the tensor region, written as is
  std::uint16_t major = 1;
  std::uint16_t minor = 0;
  std::optional<std::uint32_t> header_length;  // the field; default header.size()
  std::optional<std::uint64_t> data_length;    // the field; default data.size()
  std::uint8_t header_pad = 0;                 // value of the header padding bytes
  Bytes extra;                                 // bytes between the data region and the trailer
};

Bytes frame(const Frame& f) {
  Bytes out(std::begin(fa::kMagic), std::end(fa::kMagic));
  append_le(out, f.major, 2);
  append_le(out, f.minor, 2);
  append_le(out, f.header_length.value_or(static_cast<std::uint32_t>(f.header.size())), 4);
  append_le(out, f.data_length.value_or(f.data.size()), 8);
  out.insert(out.end(), f.header.begin(), f.header.end());
  while (out.size() % 64 != 0) out.push_back(f.header_pad);
  out.insert(out.end(), f.data.begin(), f.data.end());
  out.insert(out.end(), f.extra.begin(), f.extra.end());
  append_le(out, crc_of(out), 4);
  return out;
}

Bytes frame_header(const std::string& header_text) {
  Frame f;
  f.header = header_text;
  return frame(f);
}

// One tensor as stored in a crafted file. By default it is placed and described correctly;
// each override breaks one rule.
struct RawTensor {
  std::string name;
  json dtype = "float64";
  json shape = json::array({1});
  Bytes stored = Bytes(8, 0);
  std::string compression = "none";
  std::optional<std::uint64_t> place_at;   // where the bytes go in the region; default packed
  std::optional<json> offset;              // the entry's "offset"; default where they went
  std::optional<json> length;              // the entry's "length"; default stored.size()
  std::optional<json> crc;                 // the entry's "crc32"; default the right CRC
  std::uint8_t pad = 0;                    // value of the alignment padding after it
};

// Builds a file from `header` (without "tensors") and `tensors`, in the order given, with
// all CRCs right. data_length is align64 of the last byte placed unless overridden (a
// larger override is backed by zero bytes, so the file size stays consistent).
Bytes craft(json header, const std::vector<RawTensor>& tensors,
            std::optional<std::uint64_t> data_length = std::nullopt) {
  Bytes region;
  json table = json::object();
  std::uint64_t next = 0;
  for (const RawTensor& t : tensors) {
    const std::uint64_t at = t.place_at.value_or(next);
    const std::uint64_t end = at + t.stored.size();
    if (region.size() < align64(end)) region.resize(static_cast<std::size_t>(align64(end)), 0);
    std::copy(t.stored.begin(), t.stored.end(), region.begin() + static_cast<std::ptrdiff_t>(at));
    for (std::uint64_t i = end; i < align64(end); ++i) region[static_cast<std::size_t>(i)] = t.pad;
    next = align64(end);
    table[t.name] = {{"dtype", t.dtype},
                     {"shape", t.shape},
                     {"offset", t.offset.value_or(json(at))},
                     {"length", t.length.value_or(json(t.stored.size()))},
                     {"compression", t.compression},
                     {"crc32", t.crc.value_or(json(crc_of(t.stored)))}};
  }
  header["tensors"] = table;
  if (data_length && *data_length > region.size() && *data_length < (1u << 20))
    region.resize(static_cast<std::size_t>(*data_length), 0);  // real bytes behind the claim
  Frame f;
  f.header = header.dump();
  f.data = region;
  f.data_length = data_length;
  return frame(f);
}

Bytes craft(const std::vector<RawTensor>& tensors) { return craft(json::object(), tensors); }

RawTensor tensor_named(std::string name) {
  RawTensor t;
  t.name = std::move(name);
  return t;
}

Bytes doubles_bytes(const std::vector<double>& values) {
  return fa::make_float64({static_cast<std::int64_t>(values.size())}, values.data()).bytes;
}

Bytes zlib_compress(const Bytes& raw) {
  uLongf bound = compressBound(static_cast<uLong>(raw.size()));
  Bytes out(bound);
  EXPECT_EQ(compress2(out.data(), &bound, raw.data(), static_cast<uLong>(raw.size()), 9), Z_OK);
  out.resize(bound);
  return out;
}

// A zlib stream of `n` zero bytes, built in pieces so the test never holds `n` bytes.
Bytes zlib_zeros(std::size_t n) {
  z_stream s{};
  EXPECT_EQ(deflateInit(&s, 9), Z_OK);
  const Bytes chunk(1 << 20, 0);
  Bytes out;
  Bytes buffer(1 << 16);
  std::size_t left = n;
  int flush = Z_NO_FLUSH;
  do {
    const std::size_t take = std::min(left, chunk.size());
    left -= take;
    flush = left == 0 ? Z_FINISH : Z_NO_FLUSH;
    s.next_in = const_cast<Bytef*>(chunk.data());
    s.avail_in = static_cast<uInt>(take);
    do {
      s.next_out = buffer.data();
      s.avail_out = static_cast<uInt>(buffer.size());
      deflate(&s, flush);
      out.insert(out.end(), buffer.begin(), buffer.end() - s.avail_out);
    } while (s.avail_out == 0);
  } while (flush != Z_FINISH);
  deflateEnd(&s);
  return out;
}

// --- Edited shipped artifacts ---------------------------------------------------------------

struct Parsed {
  json header;  // without "tensors"
  std::map<std::string, fa::Tensor> tensors;

  Bytes bytes() const { return fa::write(header, tensors); }
};

Parsed parsed(const std::string& name) {
  const Bytes b = shipped(name);
  fa::Artifact a = fa::read(b.data(), b.size());
  return {std::move(a.header), std::move(a.tensors)};
}

std::vector<double> values_of(const fa::Tensor& t) {
  std::vector<double> v(static_cast<std::size_t>(t.count()));
  fa::copy_float64(t, v.data());
  return v;
}

fa::Tensor float64_tensor(std::vector<std::int64_t> shape, const std::vector<double>& values) {
  return fa::make_float64(std::move(shape), values.data());
}

// The same numbers stored with another dtype.
fa::Tensor retyped(const fa::Tensor& t, fa::DType dtype) {
  fa::Tensor out;
  out.dtype = dtype;
  out.shape = t.shape;
  for (double v : values_of(t)) {
    std::uint32_t bits = 0;
    if (dtype == fa::DType::kFloat32) {
      const float f = static_cast<float>(v);
      std::memcpy(&bits, &f, 4);
    } else {
      bits = static_cast<std::uint32_t>(static_cast<std::int32_t>(v));
    }
    append_le(out.bytes, bits, 4);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Controls: the unmodified inputs load, so every refusal below is caused by the damage.

TEST(CorruptionControl, ShippedArtifactsLoadAndVerify) {
  ferry::LoadOptions verify;
  verify.verify = true;
  for (const char* name : {"iris", "breast_cancer", "diabetes"}) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(loads(shipped(name), verify));
  }
}

TEST(CorruptionControl, RewrittenArtifactsLoadAndVerify) {
  ferry::LoadOptions verify;
  verify.verify = true;
  for (const char* name : {"iris", "breast_cancer", "diabetes"}) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(loads(parsed(name).bytes(), verify));
  }
}

TEST(CorruptionControl, CraftedFramesPassTheContainerChecks) {
  EXPECT_TRUE(container_reads(frame_header(R"({"tensors":{}})")));
  EXPECT_TRUE(container_reads(craft({tensor_named("a"), tensor_named("b")})));
  RawTensor z = tensor_named("z");
  z.shape = {2};
  z.compression = "zlib";
  z.stored = zlib_compress(Bytes(16, 7));
  EXPECT_TRUE(container_reads(craft({z})));
  RawTensor rank8 = tensor_named("r");
  rank8.shape = {1, 1, 1, 1, 1, 1, 1, 1};
  EXPECT_TRUE(container_reads(craft({rank8})));
  RawTensor scalar = tensor_named("s");
  scalar.shape = json::array();
  EXPECT_TRUE(container_reads(craft({scalar})));
  RawTensor empty = tensor_named("e");
  empty.shape = {0, 1u << 30, 1u << 30};
  empty.stored.clear();
  EXPECT_TRUE(container_reads(craft({empty})));
  // Equal keys in different objects are not duplicates.
  EXPECT_TRUE(container_reads(frame_header(R"({"a":{"k":1},"b":{"k":1},"tensors":{}})")));
  // Deep but reasonable nesting.
  EXPECT_TRUE(container_reads(frame_header(R"({"x":)" + std::string(40, '[') + std::string(40, ']') +
                                           R"(,"tensors":{}})")));
  // The reader is not fooled into the semantic checks by a bare container.
  EXPECT_LOAD_ERROR(frame_header(R"({"tensors":{}})"), ErrorCode::kFormat, "metadata is missing");
}

// ---------------------------------------------------------------------------------------
// Truncation and byte flips of a real artifact (reading-order steps 1-4)

// Reading order: a file shorter than 28 bytes fails step 1 [format]. A longer prefix has the
// right magic and major, so it reaches step 4, where the last 4 bytes of the prefix are taken
// as the trailer: [checksum], unless those 4 bytes happen to equal the CRC of the bytes
// before them, in which case step 5 fails (the size disagrees with the lengths) [format].
// Every shipped artifact, at every length ("Done when": any byte of a shipped artifact).
const char* const kShipped[] = {"iris", "breast_cancer", "diabetes"};

TEST(CorruptionTruncation, EveryPrefixOfEveryShippedArtifact) {
  std::size_t chance_matches = 0;
  for (const char* name : kShipped) {
  const Bytes full = shipped(name);
  ASSERT_GT(full.size(), 3000u);
  for (std::size_t n = 0; n < full.size(); ++n) {
    SCOPED_TRACE(std::string(name) + " truncated to " + std::to_string(n) + " bytes");
    const Bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    if (n < kMinSize) {
      EXPECT_LOAD_ERROR(cut, ErrorCode::kFormat, "too small to be a ferry artifact");
    } else if (load_u32(cut, n - 4) != fa::crc32(cut.data(), n - 4)) {
      EXPECT_LOAD_ERROR(cut, ErrorCode::kChecksum, "file CRC-32");
    } else {
      ++chance_matches;
      EXPECT_LOAD_ERROR(cut, ErrorCode::kFormat, "imply");
    }
  }
  }
  EXPECT_EQ(chance_matches, 0u) << "no prefix of a shipped artifact happens to end in its own CRC";
}

TEST(CorruptionTruncation, EmptyAndNullInput) {
  EXPECT_LOAD_ERROR(Bytes{}, ErrorCode::kFormat, "0 bytes is too small");
  try {
    ferry::Model::from_bytes(nullptr, 0);
    ADD_FAILURE() << "a null buffer loaded";
  } catch (const ferry::Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kFormat);
    EXPECT_NE(e.message().find("0 bytes is too small"), std::string::npos) << e.message();
  }
}

void check_flip(const Bytes& original, std::size_t offset, std::uint8_t mask) {
  Bytes b = original;
  b[offset] ^= mask;
  if (offset < 8) {
    EXPECT_LOAD_ERROR(b, ErrorCode::kFormat, "not a ferry artifact");
  } else if (offset < 10) {
    const unsigned major = b[8] | (b[9] << 8);
    if (major == 0) {
      EXPECT_LOAD_ERROR(b, ErrorCode::kFormat, "major version 0");
    } else {
      // Names both the file's version and the one this reader understands.
      const unsigned minor = b[10] | (b[11] << 8);
      EXPECT_LOAD_ERROR(b, ErrorCode::kVersion,
                        "artifact format " + std::to_string(major) + "." + std::to_string(minor));
      EXPECT_LOAD_ERROR(b, ErrorCode::kVersion, "reads format 1.x");
    }
  } else {
    // The minor (10-11) is accepted when newer, so those flips also end at the CRC.
    EXPECT_LOAD_ERROR(b, ErrorCode::kChecksum, "CRC-32");
  }
}

TEST(CorruptionFlip, EveryByteOfEveryShippedArtifactXorFF) {
  for (const char* name : kShipped) {
    const Bytes bytes = shipped(name);
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      SCOPED_TRACE(std::string(name) + " offset " + std::to_string(i));
      check_flip(bytes, i, 0xFF);
    }
  }
}

TEST(CorruptionFlip, EveryByteOfEveryShippedArtifactXor01) {
  for (const char* name : kShipped) {
    const Bytes bytes = shipped(name);
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      SCOPED_TRACE(std::string(name) + " offset " + std::to_string(i));
      check_flip(bytes, i, 0x01);
    }
  }
}

TEST(CorruptionFlip, MajorByteFlipsGiveTheDocumentedCodes) {
  // Spelled out for the two bytes of `major` (iris is format 1.2: major bytes 01 00).
  Bytes b = iris_bytes();
  ASSERT_EQ(b[8], 1);
  ASSERT_EQ(b[9], 0);
  b[8] ^= 0x01;  // major 0
  EXPECT_LOAD_ERROR(b, ErrorCode::kFormat, "format major version 0 is invalid");
  b = iris_bytes();
  b[8] ^= 0xFF;  // major 254
  EXPECT_LOAD_ERROR(b, ErrorCode::kVersion, "artifact format 254.2");
  b = iris_bytes();
  b[9] ^= 0x01;  // major 257
  EXPECT_LOAD_ERROR(b, ErrorCode::kVersion, "artifact format 257.2");
  b = iris_bytes();
  b[9] ^= 0xFF;  // major 65281
  EXPECT_LOAD_ERROR(b, ErrorCode::kVersion, "artifact format 65281.2");
}

// ---------------------------------------------------------------------------------------
// Magic and versions, with a valid CRC

TEST(CorruptionMagic, ForeignMagicWithValidCrc) {
  const std::uint8_t png[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  Bytes b = iris_bytes();
  std::memcpy(b.data(), png, 8);
  EXPECT_LOAD_ERROR(with_valid_trailer(b), ErrorCode::kFormat, "not a ferry artifact");

  b = iris_bytes();
  b[6] = '\n';  // \r\n -> \n\n: a text-mode transfer damage the magic is designed to catch
  EXPECT_LOAD_ERROR(with_valid_trailer(b), ErrorCode::kFormat, "not a ferry artifact");

  EXPECT_LOAD_ERROR(Bytes(100, 0), ErrorCode::kFormat, "not a ferry artifact");
  EXPECT_LOAD_ERROR(Bytes(kMinSize, 0xFF), ErrorCode::kFormat, "not a ferry artifact");
  // Magic is checked before the size: 27 bytes of the right magic is still "too small".
  Bytes short_file(iris_bytes().begin(), iris_bytes().begin() + 27);
  EXPECT_LOAD_ERROR(short_file, ErrorCode::kFormat, "too small");
}

TEST(CorruptionVersion, NewerMajorIsAVersionErrorNamingBothVersions) {
  Bytes b = iris_bytes();  // format 1.2 (it has an explain section with background rows)
  put_le(b, 8, 2, 2);
  b = with_valid_trailer(b);
  EXPECT_LOAD_ERROR(b, ErrorCode::kVersion, "artifact format 2.2");
  EXPECT_LOAD_ERROR(b, ErrorCode::kVersion, "which reads format 1.x");

  Bytes c = iris_bytes();
  put_le(c, 8, 2, 2);
  put_le(c, 10, 3, 2);
  EXPECT_LOAD_ERROR(with_valid_trailer(c), ErrorCode::kVersion, "artifact format 2.3");

  // The version is decided before the CRC (step 3 before step 4): a newer major with a
  // broken trailer is still a version error, so a host can tell "too new" from "damaged".
  Bytes d = iris_bytes();
  put_le(d, 8, 2, 2);
  EXPECT_LOAD_ERROR(d, ErrorCode::kVersion, "artifact format 2.2");
}

TEST(CorruptionVersion, MajorZeroIsAFormatError) {
  Bytes b = iris_bytes();
  put_le(b, 8, 0, 2);
  EXPECT_LOAD_ERROR(with_valid_trailer(b), ErrorCode::kFormat, "major version 0");
}

TEST(CorruptionVersion, NewerMinorLoadsAndWarns) {
  Bytes b = iris_bytes();
  put_le(b, 10, 7, 2);
  b = with_valid_trailer(b);

  std::vector<std::pair<ferry::LogLevel, std::string>> logged;
  ferry::LoadOptions options;
  options.log = [&](ferry::LogLevel level, const std::string& message) { logged.emplace_back(level, message); };
  options.verify = true;
  try {
    const ferry::Model model = ferry::Model::from_bytes(b.data(), b.size(), options);
    EXPECT_EQ(model.metadata().format_major, 1);
    EXPECT_EQ(model.metadata().format_minor, 7);
  } catch (const std::exception& e) {
    FAIL() << "format 1.7 must load: " << e.what();
  }
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_EQ(logged[0].first, ferry::LogLevel::kWarning);
  EXPECT_NE(logged[0].second.find("1.7"), std::string::npos) << logged[0].second;

  // Without a log callback it loads silently; the current minor logs nothing.
  EXPECT_TRUE(loads(b));
  logged.clear();
  EXPECT_TRUE(loads(iris_bytes(), options));
  EXPECT_TRUE(logged.empty());
}

// ---------------------------------------------------------------------------------------
// Framing (reading-order step 5) and header padding (step 6), with valid CRCs

TEST(CorruptionFrame, HeaderLengthPastEndOfFile) {
  Frame f;
  f.header_length = 5000;
  EXPECT_LOAD_ERROR(frame(f), ErrorCode::kFormat, "header length 5000");
  // Just one byte too long, and the maximum a u32 can say.
  f.header_length = static_cast<std::uint32_t>(f.header.size() + 64);
  EXPECT_LOAD_ERROR(frame(f), ErrorCode::kFormat, "imply");
  f.header_length = 0xFFFFFFFFu;
  EXPECT_LOAD_ERROR(frame(f), ErrorCode::kFormat, "exceeds the limit");
}

TEST(CorruptionFrame, HeaderLengthOverTheConfiguredLimit) {
  const Bytes b = iris_bytes();
  ferry::LoadOptions small;
  small.max_header_bytes = 1000;  // iris' header is about 2 KB
  EXPECT_LOAD_ERROR(b, ErrorCode::kFormat, "exceeds the limit of 1000 bytes", small);
}

TEST(CorruptionFrame, HeaderLengthBelowTwo) {
  Frame f;
  f.header = "{";
  f.header_length = 1;
  EXPECT_LOAD_ERROR(frame(f), ErrorCode::kFormat, "below 2 bytes");
  f.header = "";
  f.header_length = 0;
  EXPECT_LOAD_ERROR(frame(f), ErrorCode::kFormat, "below 2 bytes");
}

TEST(CorruptionFrame, DataLengthNotAMultipleOf64) {
  Frame f;
  f.data = Bytes(32, 0);
  EXPECT_LOAD_ERROR(frame(f), ErrorCode::kFormat, "data length 32 (offset 16) is not a multiple of 64");
}

TEST(CorruptionFrame, DataLengthPastEndOfFile) {
  Frame f;
  f.data_length = 64;  // but no data follows
  EXPECT_LOAD_ERROR(frame(f), ErrorCode::kFormat, "imply");
  f.data_length = std::numeric_limits<std::uint64_t>::max() - 63;  // data_start + this overflows
  EXPECT_LOAD_ERROR(frame(f), ErrorCode::kFormat, "imply");
}

TEST(CorruptionFrame, TrailingBytes) {
  Frame f;
  f.extra = Bytes(64, 0);  // covered by the trailer CRC, but by neither length
  EXPECT_LOAD_ERROR(frame(f), ErrorCode::kFormat, "imply");
}

TEST(CorruptionFrame, NonZeroHeaderPadding) {
  Frame f;
  f.header_pad = ' ';  // would even be valid JSON whitespace
  EXPECT_LOAD_ERROR(frame(f), ErrorCode::kFormat, "non-zero header padding");
  // The same in a real file: the last padding byte before iris' data region.
  Bytes b = iris_bytes();
  const std::uint32_t header_length = load_u32(b, 12);
  const std::size_t data_start = static_cast<std::size_t>(align64(24 + header_length));
  ASSERT_LT(24 + header_length, data_start);
  b[data_start - 1] = 1;
  EXPECT_LOAD_ERROR(with_valid_trailer(b), ErrorCode::kFormat, "non-zero header padding");
}

// ---------------------------------------------------------------------------------------
// The header as JSON (reading-order step 6)

TEST(CorruptionHeaderJson, NotJson) {
  EXPECT_LOAD_ERROR(frame_header("this is not JSON at all"), ErrorCode::kFormat, "header is not valid JSON");
  EXPECT_LOAD_ERROR(frame_header(R"({"tensors":{})"), ErrorCode::kFormat, "header is not valid JSON");
  EXPECT_LOAD_ERROR(frame_header(R"({"tensors":{}} x)"), ErrorCode::kFormat, "header is not valid JSON");
  EXPECT_LOAD_ERROR(frame_header(R"({"tensors":{},})"), ErrorCode::kFormat, "header is not valid JSON");
  EXPECT_LOAD_ERROR(frame_header(R"({/*c*/"tensors":{}})"), ErrorCode::kFormat, "header is not valid JSON");
  EXPECT_LOAD_ERROR(frame_header(R"({"tensors":{},"x":NaN})"), ErrorCode::kFormat, "header is not valid JSON");
  EXPECT_LOAD_ERROR(frame_header(R"({"tensors":{},"x":1e999})"), ErrorCode::kFormat, "header is not valid JSON");
  EXPECT_LOAD_ERROR(frame_header(R"({'tensors':{}})"), ErrorCode::kFormat, "header is not valid JSON");
}

TEST(CorruptionHeaderJson, TopLevelNotAnObject) {
  for (const char* text : {"[]", R"([{"tensors":{}}])", "42", R"("tensors")", "null", "true"}) {
    SCOPED_TRACE(text);
    EXPECT_LOAD_ERROR(frame_header(text), ErrorCode::kFormat, "header JSON must be an object");
  }
}

TEST(CorruptionHeaderJson, MissingOrWrongTensorsTable) {
  EXPECT_LOAD_ERROR(frame_header("{}"), ErrorCode::kFormat, "no \"tensors\" object");
  EXPECT_LOAD_ERROR(frame_header(R"({"tensors":[]})"), ErrorCode::kFormat, "no \"tensors\" object");
}

TEST(CorruptionHeaderJson, DuplicateKeyAtTopLevel) {
  EXPECT_LOAD_ERROR(frame_header(R"({"tensors":{},"tensors":{}})"), ErrorCode::kFormat,
                    "duplicate key \"tensors\"");
  EXPECT_LOAD_ERROR(frame_header(R"({"metadata":{},"tensors":{},"metadata":{}})"), ErrorCode::kFormat,
                    "duplicate key \"metadata\"");
}

TEST(CorruptionHeaderJson, DuplicateKeyNested) {
  EXPECT_LOAD_ERROR(frame_header(R"({"metadata":{"name":"a","name":"b"},"tensors":{}})"), ErrorCode::kFormat,
                    "duplicate key \"name\"");
  EXPECT_LOAD_ERROR(frame_header(R"({"x":[1,[{"k":1,"j":2,"k":3}]],"tensors":{}})"), ErrorCode::kFormat,
                    "duplicate key \"k\"");
  // Keys compare after unescaping: "\u0061" is "a".
  EXPECT_LOAD_ERROR(frame_header(R"({"a":1,"\u0061":2,"tensors":{}})"), ErrorCode::kFormat,
                    "duplicate key \"a\"");
}

TEST(CorruptionHeaderJson, DuplicateKeyInARealHeader) {
  // iris with "task" given twice in schema: the header's two readings would differ.
  Bytes b = iris_bytes();
  const std::uint32_t header_length = load_u32(b, 12);
  std::string text(b.begin() + 24, b.begin() + 24 + header_length);
  const std::string from = R"("task": "classification")";
  const std::string compact = R"("task":"classification")";
  const std::size_t at = text.find(compact);
  ASSERT_NE(at, std::string::npos) << (text.find(from) != std::string::npos ? "header is not compact" : "");
  std::string doubled = text;
  doubled.insert(at, R"("task":"regression",)");
  Frame f;
  f.header = doubled;
  f.data.assign(b.begin() + static_cast<std::ptrdiff_t>(align64(24 + header_length)), b.end() - 4);
  EXPECT_LOAD_ERROR(frame(f), ErrorCode::kFormat, "duplicate key \"task\"");
}

TEST(CorruptionHeaderJson, NestingDepth10000DoesNotCrash) {
  const std::size_t depth = 10000;
  const std::string arrays = R"({"x":)" + std::string(depth, '[') + std::string(depth, ']') + R"(,"tensors":{}})";
  EXPECT_LOAD_ERROR(frame_header(arrays), ErrorCode::kFormat, "nesting deeper than");
  std::string objects;
  for (std::size_t i = 0; i < depth; ++i) objects += R"({"a":)";
  objects += "1";
  objects += std::string(depth, '}');
  EXPECT_LOAD_ERROR(frame_header(objects), ErrorCode::kFormat, "nesting deeper than");
  // Unbalanced, too: the depth limit, or a syntax error, but never a crash.
  EXPECT_LOAD_ERROR(frame_header(R"({"x":)" + std::string(depth, '[')), ErrorCode::kFormat, "header");
}

TEST(CorruptionHeaderJson, InvalidUtf8InAString) {
  const std::vector<std::string> bad = {
      "\xFF",              // never valid
      "\xC3",              // truncated sequence
      "\xC0\xAF",          // overlong "/"
      "\xE0\x80\xAF",      // overlong, three bytes
      "\xED\xA0\x80",      // an encoded surrogate
      "\xF4\x90\x80\x80",  // above U+10FFFF
      "\x80",              // lone continuation byte
  };
  for (const std::string& s : bad) {
    SCOPED_TRACE(::testing::PrintToString(s));
    EXPECT_LOAD_ERROR(frame_header(R"({"metadata":{"name":")" + s + R"("},"tensors":{}})"), ErrorCode::kFormat,
                      "header is not valid JSON");
  }
  // A lone surrogate escape is not a character either.
  EXPECT_LOAD_ERROR(frame_header(R"({"metadata":{"name":"\ud800"},"tensors":{}})"), ErrorCode::kFormat,
                    "header is not valid JSON");
  // Invalid UTF-8 in a key, too.
  EXPECT_LOAD_ERROR(frame_header("{\"\xFF\":1,\"tensors\":{}}"), ErrorCode::kFormat, "header is not valid JSON");
  // Control: valid multi-byte UTF-8 passes.
  EXPECT_TRUE(container_reads(frame_header("{\"name\":\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\",\"tensors\":{}}")));
}

// docs/format.md §1: the header is "UTF-8 JSON text, no byte-order mark (section 3)".
// nlohmann's lexer would skip a BOM; the reader refuses it first.
TEST(CorruptionHeaderJson, ByteOrderMarkIsRefused) {
  EXPECT_TRUE(container_error(frame_header("\xEF\xBB\xBF{\"tensors\":{}}"), ErrorCode::kFormat, "header"));
}

// Reading order step 6: "the header is valid UTF-8 JSON". nlohmann's lexer treats a NUL byte
// as the end of its input, so without the reader's own check `{...}\0<anything>` would pass.
TEST(CorruptionHeaderJson, BytesAfterANulAreRefused) {
  using namespace std::string_literals;
  EXPECT_TRUE(container_error(frame_header("{\"tensors\":{}}\0garbage \xFF\xFE"s), ErrorCode::kFormat, "header"));
  EXPECT_TRUE(container_error(frame_header("{\"tensors\":{}}\0"s), ErrorCode::kFormat, "header"));
}

// ---------------------------------------------------------------------------------------
// The tensor table (reading-order step 7, section 2), with valid CRCs

TEST(CorruptionTensor, OffsetOutOfRange) {
  RawTensor t = tensor_named("t");
  t.offset = json(std::uint64_t{1} << 40);
  EXPECT_LOAD_ERROR(craft({t}), ErrorCode::kFormat, "tensor \"t\": offset 1099511627776 should be 0");
  t.offset = json(std::numeric_limits<std::uint64_t>::max());
  EXPECT_LOAD_ERROR(craft({t}), ErrorCode::kFormat, "tensor \"t\": offset 18446744073709551615 should be 0");
  t.offset = json(-64);
  EXPECT_LOAD_ERROR(craft({t}), ErrorCode::kFormat, "tensors.t.offset must be a non-negative integer");
  t.offset = json(0.0);
  EXPECT_LOAD_ERROR(craft({t}), ErrorCode::kFormat, "tensors.t.offset must be a non-negative integer");
  t.offset = json("0");
  EXPECT_LOAD_ERROR(craft({t}), ErrorCode::kFormat, "tensors.t.offset must be a non-negative integer");
}

TEST(CorruptionTensor, LengthPastTheDataRegion) {
  RawTensor t = tensor_named("t");
  t.length = json(1000);
  EXPECT_LOAD_ERROR(craft({t}), ErrorCode::kFormat, "tensor \"t\": bytes [0, 1000) run past the data region of 64");
  t.length = json(std::numeric_limits<std::uint64_t>::max());
  EXPECT_LOAD_ERROR(craft({t}), ErrorCode::kFormat, "run past the data region");
  // The second of two tensors runs past the end.
  RawTensor a = tensor_named("a"), b = tensor_named("b");
  b.length = json(65);
  EXPECT_LOAD_ERROR(craft({a, b}), ErrorCode::kFormat, "tensor \"b\": bytes [64, 129) run past the data region");
}

TEST(CorruptionTensor, LengthDoesNotMatchShape) {
  RawTensor t = tensor_named("t");
  t.stored = Bytes(16, 0);  // 16 bytes, correct CRC, but shape [1] float64 is 8
  EXPECT_LOAD_ERROR(craft({t}), ErrorCode::kFormat, "tensor \"t\": length 16 does not match shape [1]");
  t.stored = Bytes(4, 0);
  EXPECT_LOAD_ERROR(craft({t}), ErrorCode::kFormat, "tensor \"t\": length 4 does not match shape [1]");
}

TEST(CorruptionTensor, PlacementWithAHole) {
  RawTensor a = tensor_named("a"), b = tensor_named("b");
  b.place_at = 128;  // align64(0 + 8) is 64
  EXPECT_LOAD_ERROR(craft({a, b}), ErrorCode::kFormat, "tensor \"b\": offset 128 should be 64");
  // A hole at the start.
  RawTensor c = tensor_named("c");
  c.place_at = 64;
  EXPECT_LOAD_ERROR(craft({c}), ErrorCode::kFormat, "tensor \"c\": offset 64 should be 0");
}

TEST(CorruptionTensor, PlacementWithAnOverlap) {
  RawTensor a = tensor_named("a"), b = tensor_named("b");
  b.place_at = 0;  // both at 0: b shares a's bytes (same contents, so the CRC is right)
  EXPECT_LOAD_ERROR(craft({a, b}), ErrorCode::kFormat, "tensor \"b\": offset 0 should be 64");
  // Unaligned, inside a's padding.
  RawTensor c = tensor_named("c");
  c.place_at = 8;
  EXPECT_LOAD_ERROR(craft({a, c}), ErrorCode::kFormat, "tensor \"c\": offset 8 should be 64");
}

TEST(CorruptionTensor, PlacementInTheWrongOrder) {
  // Stored as b then a; the format requires name order, a first.
  RawTensor a = tensor_named("a"), b = tensor_named("b");
  b.place_at = 0;
  a.place_at = 64;
  EXPECT_LOAD_ERROR(craft({b, a}), ErrorCode::kFormat, "tensor \"a\": offset 64 should be 0");
  // Byte order, not case-insensitive order: "B" (0x42) comes before "a" (0x61).
  RawTensor upper = tensor_named("B");
  upper.place_at = 64;
  RawTensor lower = tensor_named("a");
  lower.place_at = 0;
  EXPECT_LOAD_ERROR(craft({lower, upper}), ErrorCode::kFormat, "tensor \"B\": offset 64 should be 0");
}

TEST(CorruptionTensor, DataRegionLongerThanTheTensors) {
  EXPECT_LOAD_ERROR(craft(json::object(), {tensor_named("a")}, 128), ErrorCode::kFormat,
                    "tensors end at data offset 64 but the data region is 128 bytes");
  Frame f;  // no tensors, but a data region
  f.data = Bytes(64, 0);
  EXPECT_LOAD_ERROR(frame(f), ErrorCode::kFormat, "tensors end at data offset 0 but the data region is 64 bytes");
}

TEST(CorruptionTensor, NonZeroTensorPadding) {
  RawTensor a = tensor_named("a");
  a.pad = 0xAA;
  EXPECT_LOAD_ERROR(craft({a}), ErrorCode::kFormat, "tensor \"a\": non-zero padding after data offset 8");
  RawTensor b = tensor_named("b");
  a.pad = 1;
  EXPECT_LOAD_ERROR(craft({a, b}), ErrorCode::kFormat, "tensor \"a\": non-zero padding after data offset 8");
}

TEST(CorruptionTensor, CrcMismatchIsAChecksumError) {
  RawTensor t = tensor_named("t");
  t.stored = doubles_bytes({1.5});
  t.crc = json(crc_of(t.stored) ^ 1u);
  EXPECT_LOAD_ERROR(craft({t}), ErrorCode::kChecksum, "tensor \"t\": CRC-32 mismatch");
  // The same damage in a real file: a flipped byte of iris' first tensor, trailer repaired.
  Bytes b = iris_bytes();
  const std::size_t data_start = static_cast<std::size_t>(align64(24 + load_u32(b, 12)));
  b[data_start + 3] ^= 0x10;
  EXPECT_LOAD_ERROR(with_valid_trailer(b), ErrorCode::kChecksum, "tensor \"estimator.coef\": CRC-32 mismatch");
}

TEST(CorruptionTensor, CrcOutOfRange) {
  RawTensor t = tensor_named("t");
  t.crc = json(std::uint64_t{1} << 32);
  EXPECT_LOAD_ERROR(craft({t}), ErrorCode::kFormat, "tensor \"t\": crc32 is not a 32-bit value");
  t.crc = json(-1);
  EXPECT_LOAD_ERROR(craft({t}), ErrorCode::kFormat, "tensors.t.crc32 must be a non-negative integer");
}

TEST(CorruptionTensor, UnknownDtype) {
  for (const char* dtype : {"float16", "Float64", "int8", "bool", "", "object"}) {
    SCOPED_TRACE(dtype);
    RawTensor t = tensor_named("t");
    t.dtype = dtype;
    EXPECT_LOAD_ERROR(craft({t}), ErrorCode::kFormat, std::string("unknown dtype \"") + dtype + "\"");
  }
  RawTensor t = tensor_named("t");
  t.dtype = 8;
  EXPECT_LOAD_ERROR(craft({t}), ErrorCode::kFormat, "tensors.t.dtype must be a string");
}

TEST(CorruptionTensor, RankAboveEight) {
  RawTensor t = tensor_named("t");
  t.shape = json::array({1, 1, 1, 1, 1, 1, 1, 1, 1});
  EXPECT_LOAD_ERROR(craft({t}), ErrorCode::kFormat, "tensor \"t\": rank 9 exceeds 8");
  t.shape = json(std::vector<int>(100000, 1));
  EXPECT_LOAD_ERROR(craft({t}), ErrorCode::kFormat, "tensor \"t\": rank 100000 exceeds 8");
}

TEST(CorruptionTensor, ShapeProductOverflow) {
  const std::int64_t big = std::int64_t{1} << 40;
  const auto started = std::chrono::steady_clock::now();
  for (const json& shape : {json::array({big, big, big}), json::array({std::int64_t{1} << 62, 4}),
                            json::array({std::numeric_limits<std::int64_t>::max()}),
                            json::array({1 << 20, 1 << 20, 1 << 20, 1 << 20, 1 << 20, 1 << 20, 1 << 20, 1 << 20}),
                            // over the 1 GiB default limit without overflowing: 2^27 + 1 doubles
                            json::array({(1 << 27) + 1})}) {
    SCOPED_TRACE(shape.dump());
    RawTensor t = tensor_named("t");
    t.shape = shape;
    EXPECT_LOAD_ERROR(craft({t}), ErrorCode::kFormat, "tensor \"t\": shape " + shape.dump() + " exceeds the tensor size limit");
    t.compression = "zlib";  // the bound applies before any buffer is sized for inflation
    t.stored = zlib_compress(Bytes(8, 0));
    EXPECT_LOAD_ERROR(craft({t}), ErrorCode::kFormat, "exceeds the tensor size limit");
  }
  // The running product is bounded left to right (docs/format.md §2): a zero at the end does
  // not excuse the dimensions before it, while a zero first keeps every product at 0.
  RawTensor zero_last = tensor_named("t");
  zero_last.shape = json::array({big, big, 0});
  zero_last.stored.clear();
  EXPECT_LOAD_ERROR(craft({zero_last}), ErrorCode::kFormat, "tensor \"t\": shape [1099511627776,1099511627776,0] exceeds the tensor size limit");
  RawTensor zero_first = zero_last;
  zero_first.shape = json::array({0, big, big});
  EXPECT_TRUE(container_reads(craft({zero_first})));

  // No allocation proportional to the claimed size happened (that would take seconds, or fail).
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));

  // The limit is the host's: a small max_tensor_bytes refuses a tensor the default accepts.
  RawTensor ok = tensor_named("t");
  ok.shape = {4};
  ok.stored = Bytes(32, 0);
  ferry::LoadOptions tight;
  tight.max_tensor_bytes = 16;
  EXPECT_LOAD_ERROR(craft({ok}), ErrorCode::kFormat, "exceeds the tensor size limit of 16 bytes", tight);
  EXPECT_LOAD_ERROR(craft({ok}), ErrorCode::kFormat, "metadata is missing");  // passed the container
}

TEST(CorruptionTensor, NegativeOrNonIntegerDimension) {
  const std::vector<std::pair<json, int>> cases = {
      {json::array({-1}), 0},
      {json::array({2, -3}), 1},
      {json::array({1, 1, std::numeric_limits<std::int64_t>::min()}), 2},
      {json::array({std::numeric_limits<std::uint64_t>::max()}), 0},  // -1 as int64
      {json::array({1.0}), 0},
      {json::array({"1"}), 0},
      {json::array({nullptr}), 0},
      {json::array({json::array({1})}), 0},
  };
  for (const auto& [shape, index] : cases) {
    SCOPED_TRACE(shape.dump());
    RawTensor t = tensor_named("t");
    t.shape = shape;
    EXPECT_LOAD_ERROR(craft({t}), ErrorCode::kFormat,
                      "tensor \"t\": shape[" + std::to_string(index) + "] must be a non-negative integer");
  }
  RawTensor t = tensor_named("t");
  t.shape = 1;
  EXPECT_LOAD_ERROR(craft({t}), ErrorCode::kFormat, "tensors.t.shape must be an array");
}

TEST(CorruptionTensor, UnknownCompression) {
  RawTensor t = tensor_named("t");
  t.compression = "gzip";
  EXPECT_LOAD_ERROR(craft({t}), ErrorCode::kFormat, "tensor \"t\": unknown compression \"gzip\"");
}

TEST(CorruptionTensor, ZlibInflatesToMoreBytesThanTheShape) {
  RawTensor t = tensor_named("t");
  t.compression = "zlib";
  t.stored = zlib_compress(Bytes(16, 1));  // shape [1] float64 is 8 bytes
  EXPECT_LOAD_ERROR(craft({t}), ErrorCode::kFormat, "tensor \"t\": zlib stream is corrupt or does not inflate to exactly 8 bytes");
  t.stored = zlib_compress(Bytes(9, 1));  // one byte too many
  EXPECT_LOAD_ERROR(craft({t}), ErrorCode::kFormat, "does not inflate to exactly 8 bytes");
}

TEST(CorruptionTensor, ZlibInflatesToFewerBytesThanTheShape) {
  RawTensor t = tensor_named("t");
  t.compression = "zlib";
  t.stored = zlib_compress(Bytes(7, 1));
  EXPECT_LOAD_ERROR(craft({t}), ErrorCode::kFormat, "does not inflate to exactly 8 bytes");
  t.stored = zlib_compress(Bytes{});
  EXPECT_LOAD_ERROR(craft({t}), ErrorCode::kFormat, "does not inflate to exactly 8 bytes");
}

TEST(CorruptionTensor, ZlibStreamCorruptTruncatedOrFollowedByJunk) {
  const Bytes good = zlib_compress(Bytes(8, 1));
  RawTensor t = tensor_named("t");
  t.compression = "zlib";

  t.stored = Bytes(good.begin(), good.end() - 1);  // Adler-32 cut short
  EXPECT_LOAD_ERROR(craft({t}), ErrorCode::kFormat, "does not inflate to exactly 8 bytes");
  t.stored = good;
  t.stored.back() ^= 1;  // wrong Adler-32
  EXPECT_LOAD_ERROR(craft({t}), ErrorCode::kFormat, "zlib stream is corrupt");
  t.stored = good;
  t.stored.push_back(0);  // a byte after the end of the stream
  EXPECT_LOAD_ERROR(craft({t}), ErrorCode::kFormat, "zlib stream is corrupt");
  t.stored = Bytes(8, 0);  // not zlib at all
  EXPECT_LOAD_ERROR(craft({t}), ErrorCode::kFormat, "zlib stream is corrupt");
  t.stored.clear();
  EXPECT_LOAD_ERROR(craft({t}), ErrorCode::kFormat, "zlib stream is corrupt");
}

TEST(CorruptionTensor, ZipBombFailsFast) {
  const Bytes bomb = zlib_zeros(std::size_t{100} << 20);  // 100 MB of zeros in ~100 KB
  ASSERT_LT(bomb.size(), std::size_t{1} << 20);
  RawTensor t = tensor_named("t");
  t.compression = "zlib";
  t.stored = bomb;  // declared as shape [1] float64: 8 bytes
  const Bytes file = craft({t});
  const auto started = std::chrono::steady_clock::now();
  EXPECT_LOAD_ERROR(file, ErrorCode::kFormat, "does not inflate to exactly 8 bytes");
  const auto elapsed = std::chrono::steady_clock::now() - started;
  // Inflating 100 MB takes far longer than stopping after 9 bytes; the bound is generous for
  // sanitizer builds, and covers CRC-checking the ~100 KB stream.
  EXPECT_LT(elapsed, std::chrono::milliseconds(500))
      << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms";
}

TEST(CorruptionTensor, NameWithABadCharacter) {
  for (const std::string& name : std::vector<std::string>{"a b", "a/b", "a\\b", "a:b", "../x", "a\"b", "\xC3\xA9", "a\tb", std::string(129, 'a'),
                                 std::string("a\0b", 3)}) {
    SCOPED_TRACE(::testing::PrintToString(name));
    EXPECT_LOAD_ERROR(craft({tensor_named(name)}), ErrorCode::kFormat,
                      "name must be 1-128 characters of [A-Za-z0-9._-]");
  }
  EXPECT_LOAD_ERROR(craft({tensor_named("")}), ErrorCode::kFormat, "name must be 1-128 characters");
  // Control: the longest and the full alphabet are fine.
  EXPECT_TRUE(container_reads(craft({tensor_named(std::string(128, 'a'))})));
  EXPECT_TRUE(container_reads(craft({tensor_named("AZaz09._-")})));
}

TEST(CorruptionTensor, EntryNotAnObjectOrMissingKeys) {
  Frame f;
  f.header = R"({"tensors":{"t":[1,2]}})";
  EXPECT_LOAD_ERROR(frame(f), ErrorCode::kFormat, "tensors.t must be an object");
  for (const char* key : {"dtype", "shape", "offset", "length", "compression", "crc32"}) {
    SCOPED_TRACE(key);
    json header = json::parse(R"({"t":{"dtype":"float64","shape":[1],"offset":0,"length":8,"compression":"none"}})");
    header["t"]["crc32"] = crc_of(Bytes(8, 0));
    header["t"].erase(key);
    f.header = json{{"tensors", header}}.dump();
    f.data = Bytes(64, 0);
    EXPECT_LOAD_ERROR(frame(f), ErrorCode::kFormat, std::string("tensors.t.") + key + " is missing");
  }
}

// ---------------------------------------------------------------------------------------
// Semantics (reading-order step 8, sections 3-4): shipped artifacts edited and rewritten

TEST(CorruptionSemantic, CoefWithTheWrongDtype) {
  Parsed p = parsed("iris");
  p.tensors["estimator.coef"] = retyped(p.tensors.at("estimator.coef"), fa::DType::kFloat32);
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "tensor \"estimator.coef\" (coef) has dtype float32, expected float64");
  p = parsed("iris");
  p.tensors["estimator.coef"] = retyped(p.tensors.at("estimator.coef"), fa::DType::kInt32);
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "tensor \"estimator.coef\" (coef) has dtype int32, expected float64");
  p = parsed("breast_cancer");
  p.tensors["steps.0.mean"] = retyped(p.tensors.at("steps.0.mean"), fa::DType::kFloat32);
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "tensor \"steps.0.mean\" (mean) has dtype float32, expected float64");
}

TEST(CorruptionSemantic, CoefWithTheWrongShape) {
  Parsed p = parsed("iris");
  p.tensors.at("estimator.coef").shape = {4, 3};
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "tensor \"estimator.coef\" (coef) has shape [4, 3], expected [3, 4]");
  p.tensors.at("estimator.coef").shape = {12};
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "tensor \"estimator.coef\" (coef) has shape [12], expected [3, 4]");
  p = parsed("iris");
  p.tensors.at("estimator.intercept").shape = {1, 3};
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "tensor \"estimator.intercept\" (intercept) has shape [1, 3], expected [3]");
  p = parsed("breast_cancer");
  const std::vector<double> scale = values_of(p.tensors.at("steps.0.scale"));
  p.tensors["steps.0.scale"] = float64_tensor({29}, std::vector<double>(scale.begin(), scale.end() - 1));
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "tensor \"steps.0.scale\" (scale) has shape [29], expected [30]");
}

TEST(CorruptionSemantic, StepRefersToAMissingTensor) {
  Parsed p = parsed("iris");
  p.tensors.erase("estimator.coef");
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "refers to missing tensor \"estimator.coef\"");
  p = parsed("iris");
  p.header["estimator"]["tensors"]["coef"] = "estimator.renamed";
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "tensor role \"coef\" refers to missing tensor \"estimator.renamed\"");
  p = parsed("breast_cancer");
  p.tensors.erase("steps.0.scale");
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "pipeline[0] (standard_scaler, steps[0]: StandardScaler): tensor role \"scale\" refers to missing tensor \"steps.0.scale\"");
  p = parsed("iris");
  p.header["verification"]["input"] = "verification.gone";
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "verification refers to missing tensor \"verification.gone\"");
}

TEST(CorruptionSemantic, StepLacksARequiredRole) {
  Parsed p = parsed("iris");
  p.header["estimator"]["tensors"].erase("intercept");
  p.tensors.erase("estimator.intercept");
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "tensor role \"intercept\" is missing");
  p = parsed("breast_cancer");
  p.header["pipeline"][0]["tensors"].erase("mean");
  p.tensors.erase("steps.0.mean");
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "tensor \"mean\" must be present exactly when with_mean");
}

TEST(CorruptionSemantic, UnreferencedExtraTensor) {
  Parsed p = parsed("iris");
  const double one = 1.0;
  p.tensors["zz.extra"] = fa::make_float64({1}, &one);
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "tensor \"zz.extra\" is not referenced");
  // A verification tensor left behind when its output is dropped is unreferenced too.
  p = parsed("iris");
  p.header["verification"]["outputs"].erase("decision_function");
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "tensor \"verification.decision_function\" is not referenced");

  // Only files of a minor this reader knows: a newer minor may add sections that refer to
  // tensors, so the same extra tensor is accepted there.
  p = parsed("iris");
  p.tensors["zz.extra"] = fa::make_float64({1}, &one);
  Bytes newer = p.bytes();
  put_le(newer, 10, FERRY_FORMAT_MINOR + 1, 2);
  EXPECT_TRUE(loads(with_valid_trailer(newer)));
}

TEST(CorruptionSemantic, UnknownRoleMustNameAnExistingTensor) {
  // A role this reader does not know is ignored, but its reference is still checked.
  Parsed p = parsed("iris");
  p.header["estimator"]["tensors"]["future_role"] = "estimator.nope";
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "tensor role \"future_role\" refers to missing tensor \"estimator.nope\"");
  p.header["estimator"]["tensors"]["future_role"] = 3;
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "estimator.tensors.future_role must be a tensor name");
  // Naming an existing tensor, it loads (and counts as a reference).
  p = parsed("iris");
  const double one = 1.0;
  p.tensors["zz.extra"] = fa::make_float64({1}, &one);
  p.header["estimator"]["tensors"]["future_role"] = "zz.extra";
  EXPECT_TRUE(loads(p.bytes()));
}

TEST(CorruptionSemantic, UnknownStepType) {
  Parsed p = parsed("breast_cancer");
  p.header["pipeline"][0]["type"] = "rbf_sampler";
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kUnsupported, "unknown step type \"rbf_sampler\"");
  // An estimator type is not a preprocessing step: a malformed file, not a newer one.
  p = parsed("breast_cancer");
  p.header["pipeline"][0]["type"] = "linear";
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "estimator type \"linear\" in the preprocessing pipeline");
}

TEST(CorruptionSemantic, UnknownEstimatorType) {
  Parsed p = parsed("iris");
  p.header["estimator"]["type"] = "gradient_boosting";
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kUnsupported, "unknown estimator type \"gradient_boosting\"");
  p.header["estimator"]["type"] = "standard_scaler";
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "preprocessing type \"standard_scaler\" used as the estimator");
}

TEST(CorruptionSemantic, UnknownLink) {
  Parsed p = parsed("iris");
  p.header["estimator"]["params"]["link"] = "probit";
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "unknown link \"probit\"");
  p.header["estimator"]["params"].erase("link");
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "estimator.params.link is missing");
}

// A nullable input loads; without a missing-value step a NaN there is refused once it
// reaches the estimator (tests/pipeline_impute_test.cpp), never turned into a NaN score.
TEST(CorruptionSemantic, NullableInputLoads) {
  Parsed p = parsed("diabetes");
  p.header["schema"]["inputs"][2]["nullable"] = true;
  const Bytes b = p.bytes();
  const ferry::Model m = ferry::Model::from_bytes(b.data(), b.size());
  EXPECT_TRUE(m.schema().inputs[2].nullable);
  ferry::RowMatrixXd X = ferry::RowMatrixXd::Zero(1, 10);
  X(0, 2) = std::numeric_limits<double>::quiet_NaN();
  try {
    (void)m.predict(X);
    ADD_FAILURE() << "a NaN reached the estimator without an error";
  } catch (const ferry::Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kValue);
    EXPECT_NE(std::string(e.what()).find("row 0: a missing value reached the estimator in column \"x2\""),
              std::string::npos)
        << e.what();
  }
  p.header["schema"]["inputs"][2]["nullable"] = 1;
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "nullable");
}

TEST(CorruptionSemantic, RegressionWithClassesIsRefused) {
  Parsed p = parsed("diabetes");
  p.header["schema"]["classes"] = {{"dtype", "int64"}, {"values", {0, 1}}};
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "schema.classes must be null for a regression task");
}

// docs/format.md §3.4: predict is always there, predict_proba for classifiers, and a
// regressor has neither probabilities nor a decision function.
TEST(CorruptionSemantic, VerificationOutputsMustMatchTheTask) {
  Parsed p = parsed("iris");
  p.header["verification"]["outputs"].erase("predict_proba");
  p.tensors.erase("verification.predict_proba");
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "verification.outputs has no \"predict_proba\"");
  p = parsed("diabetes");
  p.header["verification"]["outputs"].erase("predict");
  p.tensors.erase("verification.predict");
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "verification.outputs has no \"predict\"");
  p = parsed("diabetes");
  p.header["verification"]["outputs"]["decision_function"] = "verification.predict";
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "decision_function is not an output of a regressor");
}

// docs/format.md §4.2: two classes take one score; softmax over two scores is ambiguous.
TEST(CorruptionSemantic, SoftmaxWithTwoScoresIsRefused) {
  Parsed p = parsed("breast_cancer");
  p.header["estimator"]["params"]["link"] = "softmax";
  p.header["estimator"]["n_features_out"] = 2;
  p.tensors["estimator.coef"] = float64_tensor({2, 30}, std::vector<double>(60, 0.5));
  p.tensors["estimator.intercept"] = float64_tensor({2}, {0.0, 1.0});
  p.header.erase("verification");
  for (auto it = p.tensors.begin(); it != p.tensors.end();)
    it = it->first.rfind("verification.", 0) == 0 ? p.tensors.erase(it) : std::next(it);
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "link does not match the number of scores");
}

// docs/format.md §3.4: output names a reader does not know are ignored, but must name a tensor.
TEST(CorruptionSemantic, UnknownVerificationOutputIsIgnoredButMustExist) {
  Parsed p = parsed("iris");
  p.header["verification"]["outputs"]["predict_log_proba"] = "verification.predict_proba";
  ferry::LoadOptions verify;
  verify.verify = true;
  const Bytes ok = p.bytes();
  EXPECT_EQ(ferry::Model::from_bytes(ok.data(), ok.size(), verify).verify(), 16u);
  p.header["verification"]["outputs"]["predict_log_proba"] = "verification.nope";
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat,
                    "verification output \"predict_log_proba\" refers to missing tensor \"verification.nope\"");
}

TEST(CorruptionSemantic, LinkDoesNotMatchTheTask) {
  Parsed p = parsed("diabetes");
  p.header["estimator"]["params"]["link"] = "logistic";
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "a regressor must use the identity link");
  p = parsed("iris");
  p.header["estimator"]["params"]["link"] = "identity";
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "a classifier cannot use the identity link");
  p = parsed("iris");
  p.header["estimator"]["params"]["link"] = "logistic";  // k = 3
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "link does not match the number of scores");
}

TEST(CorruptionSemantic, NFeaturesInChainMismatch) {
  Parsed p = parsed("iris");  // no preprocessing: the estimator takes the 4 inputs
  p.header["estimator"]["n_features_in"] = 5;
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "estimator (linear, LogisticRegression): n_features_in is 5 but its input has 4 columns");
  p = parsed("breast_cancer");
  p.header["pipeline"][0]["n_features_in"] = 29;
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "pipeline[0] (standard_scaler, steps[0]: StandardScaler): n_features_in is 29 but its input has 30 columns");
  p = parsed("breast_cancer");
  p.header["pipeline"][0]["n_features_out"] = 29;
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "n_features_out must equal n_features_in");
  p = parsed("breast_cancer");
  p.header["estimator"]["n_features_in"] = 31;
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "estimator (linear, steps[1]: LogisticRegression): n_features_in is 31 but its input has 30 columns");
  p = parsed("iris");
  p.header["estimator"]["n_features_out"] = 4;
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "(coef) has shape [3, 4], expected [4, 4]");
  p = parsed("iris");
  p.header["estimator"]["n_features_in"] = -1;
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "estimator.n_features_in = -1 is out of range");
  p.header["estimator"]["n_features_in"] = 4.0;
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "estimator.n_features_in must be a 64-bit integer");
}

TEST(CorruptionSemantic, ClassesCountMismatch) {
  Parsed p = parsed("iris");
  p.header["schema"]["classes"]["values"] = {"setosa", "versicolor"};
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "schema.classes must list n_outputs");
  p = parsed("iris");
  p.header["schema"]["classes"]["values"].push_back("other");
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "schema.classes must list n_outputs");
  p = parsed("iris");
  p.header["schema"]["n_outputs"] = 4;
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "schema.classes must list n_outputs");
  p = parsed("iris");
  p.header["schema"]["classes"]["values"] = {"setosa", "setosa", "virginica"};
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "schema.classes.values has duplicate labels");
  p = parsed("iris");
  p.header["schema"]["classes"] = nullptr;
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "schema.classes must be an object");
  p = parsed("iris");
  p.header["schema"]["classes"]["values"] = {"setosa", 1, "virginica"};
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "schema.classes.values[1] must be a string");
}

TEST(CorruptionSemantic, DuplicateInputNames) {
  Parsed p = parsed("iris");
  p.header["schema"]["inputs"][2]["name"] = "sepal length (cm)";
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "input column \"sepal length (cm)\" appears twice");
  p = parsed("iris");
  p.header["schema"]["inputs"][1]["name"] = "";
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "schema.inputs[1].name is empty");
}

TEST(CorruptionSemantic, UnsupportedInputKind) {
  Parsed p = parsed("iris");
  p.header["schema"]["inputs"][3]["kind"] = "image";
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kUnsupported, "input kind \"image\" is not supported");
}

TEST(CorruptionSemantic, CategoricalInputWithoutCategories) {
  Parsed p = parsed("iris");
  p.header["schema"]["inputs"][3]["kind"] = "categorical";
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "categories");
  p.header["schema"]["inputs"][3]["categories"] = {"b", "a"};
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "categories must be distinct and sorted");
  p.header["schema"]["inputs"][3]["categories"] = {"a", 1};
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "categories[1] must be a string");
}

TEST(CorruptionSemantic, TextReachingTheEstimator) {
  Parsed p = parsed("iris");
  p.header["schema"]["inputs"][3]["kind"] = "categorical";
  p.header["schema"]["inputs"][3]["categories"] = {"a", "b"};
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat,
                    "estimator (linear, LogisticRegression): input column \"petal width (cm)\" holds text, which "
                    "this step cannot take");
}

TEST(CorruptionSemantic, NanCoefficient) {
  Parsed p = parsed("iris");
  std::vector<double> coef = values_of(p.tensors.at("estimator.coef"));
  coef[1 * 4 + 2] = std::numeric_limits<double>::quiet_NaN();
  p.tensors["estimator.coef"] = float64_tensor({3, 4}, coef);
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "tensor role \"coef\" has a non-finite value at [1, 2]");
  p = parsed("iris");
  std::vector<double> intercept = values_of(p.tensors.at("estimator.intercept"));
  intercept[2] = -std::numeric_limits<double>::infinity();
  p.tensors["estimator.intercept"] = float64_tensor({3}, intercept);
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "tensor role \"intercept\" has a non-finite value at [2]");
  p = parsed("breast_cancer");
  std::vector<double> mean = values_of(p.tensors.at("steps.0.mean"));
  mean[7] = std::numeric_limits<double>::infinity();
  p.tensors["steps.0.mean"] = float64_tensor({30}, mean);
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "pipeline[0] (standard_scaler, steps[0]: StandardScaler): tensor role \"mean\" has a non-finite value at [7]");
}

TEST(CorruptionSemantic, ZeroInStandardScalerScale) {
  Parsed p = parsed("breast_cancer");
  std::vector<double> scale = values_of(p.tensors.at("steps.0.scale"));
  scale[5] = 0.0;
  p.tensors["steps.0.scale"] = float64_tensor({30}, scale);
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "pipeline[0] (standard_scaler, steps[0]: StandardScaler): tensor role \"scale\" has a zero at [5]");
  scale[5] = -0.0;
  p.tensors["steps.0.scale"] = float64_tensor({30}, scale);
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "tensor role \"scale\" has a zero at [5]");
  scale[5] = std::numeric_limits<double>::quiet_NaN();
  p.tensors["steps.0.scale"] = float64_tensor({30}, scale);
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "tensor role \"scale\" has a non-finite value at [5]");
}

TEST(CorruptionSemantic, MissingMetadataName) {
  Parsed p = parsed("iris");
  p.header["metadata"].erase("name");
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "metadata.name is missing");
  p.header["metadata"]["name"] = 7;
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "metadata.name must be a string");
  p = parsed("iris");
  p.header["metadata"].erase("version");
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "metadata.version is missing");
  p = parsed("iris");
  p.header.erase("metadata");
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "metadata is missing");
}

TEST(CorruptionSemantic, MissingRequiredSections) {
  for (const char* section : {"schema", "pipeline", "estimator"}) {
    SCOPED_TRACE(section);
    Parsed p = parsed("iris");
    p.header.erase(section);
    EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, std::string(section) + " is missing");
  }
}

TEST(CorruptionSemantic, VerificationTensorOfTheWrongShape) {
  Parsed p = parsed("iris");
  p.tensors.at("verification.input").shape = {64};
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "verification tensor \"verification.input\" is float64 of rank 1, expected float64 of shape [16, 4]");
  p = parsed("iris");
  p.tensors.at("verification.predict_proba").shape = {12, 4};
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "verification tensor \"verification.predict_proba\"");
  p = parsed("iris");
  p.header["verification"]["rows"] = 15;
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "verification tensor \"verification.input\"");
  p = parsed("iris");  // predict must be int64 class indices for a classifier
  std::vector<double> as_double(16, 0.0);
  p.tensors["verification.predict"] = float64_tensor({16}, as_double);
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "verification tensor \"verification.predict\" is float64 of rank 1, expected int64");
}

TEST(CorruptionSemantic, VerificationClassIndexOutOfRange) {
  Parsed p = parsed("iris");
  std::vector<std::int64_t> classes(16, 0);
  classes[9] = 3;
  p.tensors["verification.predict"] = fa::make_int64({16}, classes.data());
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "verification class index 3 is out of range");
}

TEST(CorruptionSemantic, VerificationOutputDisagreesWithTheModel) {
  Parsed p = parsed("iris");
  std::vector<double> proba = values_of(p.tensors.at("verification.predict_proba"));
  proba[0] += 0.5;  // row 0, predict_proba[0]
  p.tensors["verification.predict_proba"] = float64_tensor({16, 3}, proba);
  const Bytes b = p.bytes();

  EXPECT_TRUE(loads(b)) << "verification is off by default";
  ferry::LoadOptions verify;
  verify.verify = true;
  EXPECT_LOAD_ERROR(b, ErrorCode::kVerification, "row 0, predict_proba[0]", verify);

  // The explicit call reports the same.
  const ferry::Model model = ferry::Model::from_bytes(b.data(), b.size());
  try {
    model.verify();
    ADD_FAILURE() << "verify() passed";
  } catch (const ferry::Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kVerification);
    EXPECT_NE(e.message().find("row 0"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("predict_proba"), std::string::npos) << e.message();
  }

  // A later row is named as such.
  p = parsed("iris");
  proba = values_of(p.tensors.at("verification.predict_proba"));
  proba[11 * 3 + 2] -= 0.5;
  p.tensors["verification.predict_proba"] = float64_tensor({16, 3}, proba);
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kVerification, "row 11, predict_proba[2]", verify);
}

TEST(CorruptionSemantic, UnknownKeysAreIgnored) {
  // Section 5: readers MUST ignore keys they do not know. (Control for the cases above.)
  Parsed p = parsed("breast_cancer");
  p.header["future_section"] = {{"anything", json::array({1, 2, 3})}};
  p.header["metadata"]["license"] = "MIT";
  p.header["schema"]["inputs"][0]["unit"] = "mm";
  p.header["pipeline"][0]["future"] = true;
  p.header["estimator"]["params"]["future"] = 1;
  ferry::LoadOptions verify;
  verify.verify = true;
  EXPECT_TRUE(loads(p.bytes(), verify));
}

// Estimator width vs. allocation. A small file can declare n_features_out up to 2^24 for a
// coef tensor of any shape; the mismatch is a format error naming the tensor.
TEST(CorruptionSemantic, DeclaredWidthDisagreesWithASmallTensor) {
  Parsed p = parsed("iris");
  p.header["estimator"]["n_features_out"] = 1 << 16;
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "tensor \"estimator.coef\" (coef) has shape [3, 4], expected [65536, 4]");
  p.header["estimator"]["n_features_out"] = (1 << 24) + 1;
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "estimator.n_features_out = 16777217 is out of range");
}

// A ~400 KB file (8192 inputs, n_features_out = 2^24, a 3x4 coef) once made the loader
// request 2^40 bytes before checking the coef's shape; declared widths must never drive an
// allocation larger than the tensor the file really holds.
TEST(CorruptionSemantic, HugeDeclaredWidthIsAFormatErrorWithoutAllocating) {
  Parsed p = parsed("iris");
  const json column = p.header["schema"]["inputs"][0];
  json inputs = json::array();
  const int n = 8192;
  for (int i = 0; i < n; ++i) {
    json c = column;
    c["name"] = "c" + std::to_string(i);
    inputs.push_back(c);
  }
  p.header["schema"]["inputs"] = inputs;
  p.header["estimator"]["n_features_in"] = n;
  p.header["estimator"]["n_features_out"] = 1 << 24;
  p.header.erase("verification");
  for (auto it = p.tensors.begin(); it != p.tensors.end();)
    it = it->first.rfind("verification.", 0) == 0 ? p.tensors.erase(it) : std::next(it);
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "tensor \"estimator.coef\" (coef) has shape [3, 4]");
}

// ---------------------------------------------------------------------------------------
// Sub-models (format.md §4.30) and kernel expressions (§4.40): a hostile file cannot make the
// loader recurse without bound or allocate by a count it only declares. Cycles cannot be
// written: the header is a JSON tree with no references between its objects (duplicate keys
// are refused above), so depth and width are all a file controls, and both are bounded.

Parsed parsed_case(const std::string& name) {
  const Bytes b = fa::read_file(std::string(FERRY_SOURCE_DIR) + "/tests/data/" + name + "/model.ferry");
  fa::Artifact a = fa::read(b.data(), b.size());
  return {std::move(a.header), std::move(a.tensors)};
}

// meta_voting_soft's estimator wrapped in `levels` one-model soft votings of weight 1 (the same
// probabilities, so the file's verification rows still pass), its sub-models then sitting
// levels + 1 deep.
Parsed wrapped_in_votings(int levels) {
  Parsed p = parsed_case("meta_voting_soft");
  p.tensors["wrap.weights"] = float64_tensor({1}, {1.0});
  json estimator = p.header["estimator"];
  for (int level = 0; level < levels; ++level) {
    const json entry = {{"name", "wrap"}, {"task", "classification"}, {"n_outputs", 3},
                        {"pipeline", json::array()}, {"estimator", estimator}};
    estimator = {{"type", "voting"}, {"n_features_in", 4}, {"n_features_out", 3},
                 {"tensors", {{"weights", "wrap.weights"}}},
                 {"params", {{"voting", "soft"}, {"n_estimators", 1}, {"weight_sum", 1.0},
                             {"estimators", json::array({entry})}}}};
  }
  p.header["estimator"] = estimator;
  return p;
}

TEST(CorruptionSubModel, NestingPastTheLimitIsAFormatErrorAndTheCountUnwinds) {
  ferry::LoadOptions verify;
  verify.verify = true;
  EXPECT_TRUE(loads(wrapped_in_votings(7).bytes(), verify));  // sub-models at level 8
  EXPECT_LOAD_ERROR(wrapped_in_votings(8).bytes(), ErrorCode::kFormat, "sub-models nested deeper than 8 levels");
  // Far deeper: the header's JSON depth limit refuses it before any sub-model is built.
  EXPECT_LOAD_ERROR(wrapped_in_votings(40).bytes(), ErrorCode::kFormat, "nesting deeper than");
  // A refusal from inside the deepest level leaves the per-thread count where it was: the
  // limit file still loads afterwards, on the same thread, as often as it is asked to.
  Parsed broken = wrapped_in_votings(7);
  ASSERT_EQ(broken.tensors.erase("estimator.estimators.0.steps.0.mean"), 1u);
  EXPECT_LOAD_ERROR(broken.bytes(), ErrorCode::kFormat, "refers to missing tensor \"estimator.estimators.0.steps.0.mean\"");
  for (int i = 0; i < 3; ++i) {
    EXPECT_LOAD_ERROR(wrapped_in_votings(8).bytes(), ErrorCode::kFormat, "nested deeper than 8 levels");
    EXPECT_TRUE(loads(wrapped_in_votings(7).bytes(), verify));
  }
}

TEST(CorruptionSubModel, DeclaredCountsAreCheckedAgainstWhatTheFileHolds) {
  const std::int64_t huge = std::int64_t{1} << 40;
  {
    Parsed p = parsed_case("meta_voting_soft");
    p.header["estimator"]["params"]["n_estimators"] = huge;
    EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "params.n_estimators does not match params.estimators");
  }
  {
    Parsed p = parsed_case("meta_voting_soft");
    p.header["estimator"]["params"]["estimators"][0]["n_outputs"] = huge;
    EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "estimators[0].n_outputs is out of range");
  }
  {
    Parsed p = parsed_case("meta_voting_soft");
    p.header["estimator"]["params"]["estimators"] = json::array();
    EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "params.estimators is empty");
  }
  {
    Parsed p = parsed_case("meta_one_vs_one");
    p.header["estimator"]["params"]["n_classes"] = huge;
    EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "params.n_classes must be in [2, 4096]");
  }
  {
    Parsed p = parsed_case("gp_classifier");
    json& gp = p.header["estimator"]["params"]["estimators"][0]["estimator"];
    gp["params"]["n_train"] = huge;
    EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "params.n_train is out of range");
    // In range but larger than the tensors: their shapes are checked before anything of
    // n_train x n_train is allocated.
    gp["params"]["n_train"] = std::int64_t{1} << 24;
    EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "expected [16777216, 4]");
  }
}

TEST(CorruptionSubModel, KernelNestingPastTheLimitIsAFormatError) {
  Parsed p = parsed_case("gp_regressor");
  json& kernel = p.header["estimator"]["params"]["kernel"];
  const json leaf = kernel;
  // Sums of the fitted kernel and a zero constant: the same values at every depth.
  auto nested = [&](int depth) {
    json k = leaf;
    for (int d = 0; d < depth; ++d) k = {{"op", "sum"}, {"terms", json::array({k, {{"op", "constant"}, {"value", 0.0}}})}};
    return k;
  };
  kernel = nested(16 - 2);  // stays within 16 whatever the fitted kernel's own depth (up to 2)
  EXPECT_TRUE(loads(p.bytes()));
  kernel = nested(17);
  EXPECT_LOAD_ERROR(p.bytes(), ErrorCode::kFormat, "the kernel expression is nested deeper than 16");
}

}  // namespace
