// The C++ writer and reader are inverses, deterministic, and agree with the Python writer.
#include <gtest/gtest.h>

#include <cstring>

#include "artifact/artifact.hpp"
#include "artifact/tensor_data.hpp"
#include "support/test_support.hpp"

namespace ferry::detail::artifact {
namespace {

Tensor raw(DType dtype, std::vector<std::int64_t> shape, std::uint8_t seed) {
  Tensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.bytes.resize(static_cast<std::size_t>(t.count()) * dtype_size(dtype));
  for (std::size_t i = 0; i < t.bytes.size(); ++i) t.bytes[i] = static_cast<std::uint8_t>(seed + 31 * i);
  return t;
}

std::map<std::string, Tensor> sample_tensors() {
  std::map<std::string, Tensor> m;
  m["a.float64"] = raw(DType::kFloat64, {3, 5}, 1);
  m["b.float32"] = raw(DType::kFloat32, {7}, 2);
  m["c.int64"] = raw(DType::kInt64, {2, 2, 2}, 3);
  m["d.int32"] = raw(DType::kInt32, {1}, 4);
  m["e.uint8"] = raw(DType::kUInt8, {100}, 5);
  m["f.scalar"] = raw(DType::kFloat64, {}, 6);
  m["g.empty"] = raw(DType::kFloat64, {0, 4}, 7);
  m["h.after_empty"] = raw(DType::kUInt8, {3}, 8);
  return m;
}

const nlohmann::json kHeader = {{"metadata", {{"name", "t\u00e9st \"quoted\""}}}, {"anything", {1, 2.5, nullptr}}};

void expect_same(const std::map<std::string, Tensor>& a, const std::map<std::string, Tensor>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, t] : a) {
    const Tensor& u = b.at(name);
    EXPECT_EQ(t.dtype, u.dtype) << name;
    EXPECT_EQ(t.shape, u.shape) << name;
    EXPECT_EQ(t.bytes, u.bytes) << name;
  }
}

TEST(ArtifactRoundTrip, EveryDtypeAndShapeSurvives) {
  for (bool compress : {false, true}) {
    const auto bytes = write(kHeader, sample_tensors(), WriteOptions{compress});
    const Artifact a = read(bytes.data(), bytes.size());
    EXPECT_EQ(a.major, 1);
    EXPECT_EQ(a.minor, 0);
    EXPECT_EQ(a.header, kHeader);
    expect_same(a.tensors, sample_tensors());
    EXPECT_EQ(a.tensors.at("a.float64").compressed, compress);
  }
}

TEST(ArtifactRoundTrip, LayoutIsAlignedAndDeterministic) {
  const auto first = write(kHeader, sample_tensors());
  EXPECT_EQ(first, write(kHeader, sample_tensors()));
  std::uint32_t header_length = 0;
  std::memcpy(&header_length, first.data() + 12, 4);
  const std::size_t data_start = (24 + header_length + 63) / 64 * 64;
  const Artifact a = read(first.data(), first.size());
  EXPECT_EQ(std::memcmp(first.data() + data_start, a.tensors.at("a.float64").bytes.data(), 15 * 8), 0);
  EXPECT_EQ(first.size() % 64, 4u);  // aligned data region, then the CRC
}

TEST(ArtifactRoundTrip, NoTensorsAtAll) {
  const auto bytes = write(kHeader, {});
  const Artifact a = read(bytes.data(), bytes.size());
  EXPECT_TRUE(a.tensors.empty());
}

TEST(ArtifactRoundTrip, CrcIsTheZlibOne) {
  const char* check = "123456789";
  EXPECT_EQ(crc32(reinterpret_cast<const std::uint8_t*>(check), 9), 0xCBF43926u);
}

TEST(ArtifactRoundTrip, FloatHelpersAreLittleEndian) {
  const double values[] = {1.0, -2.5};
  const Tensor t = make_float64({2}, values);
  EXPECT_EQ(t.bytes[7], 0x3F);  // 1.0 = 0x3FF0000000000000, most significant byte last
  double back[2];
  copy_float64(t, back);
  EXPECT_EQ(back[1], -2.5);
}

// Rewriting a file the Python exporter wrote gives back the same bytes: both writers
// serialise the header identically (sorted keys, compact, UTF-8, shortest floats).
TEST(ArtifactRoundTrip, CppRewriteOfPythonFileIsByteIdentical) {
  for (const std::string& dir : test::golden_cases()) {
    const auto original = test::read_bytes(test::source_path(dir + "/model.ferry"));
    const Artifact a = read(original.data(), original.size());
    EXPECT_EQ(write(a.header, a.tensors), original) << dir;
  }
}

}  // namespace
}  // namespace ferry::detail::artifact
