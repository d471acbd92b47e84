// Signed artifacts (docs/security.md) and the total decoded-size limit: what a file from an
// untrusted channel meets before any of it is parsed.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "artifact/artifact.hpp"
#include "artifact/signature.hpp"
#include "ferry/error.hpp"
#include "ferry/model.hpp"
#include "support/test_support.hpp"

namespace ferry::detail {
namespace {

using Bytes = std::vector<std::uint8_t>;

class Signatures : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!artifact::signatures_available()) GTEST_SKIP() << "built without libsodium";
    file = test::read_bytes(test::source_path("artifacts/iris/model.ferry"));
    std::tie(public_key, secret_key) = artifact::generate_keys();
    signed_file = artifact::sign(file.data(), file.size(), secret_key);
    trusted.trusted_keys = {artifact::to_hex(public_key.data(), public_key.size())};
    trusted.verify = true;
  }
  static Model load(const Bytes& bytes, const LoadOptions& options) {
    return Model::from_bytes(bytes.data(), bytes.size(), options);
  }

  Bytes file, signed_file;
  artifact::PublicKey public_key{};
  artifact::SecretKey secret_key{};
  LoadOptions trusted;
};

TEST_F(Signatures, EnvelopeKeepsTheInnerFileAndItsAlignment) {
  ASSERT_EQ(signed_file.size(), file.size() + artifact::kEnvelopeBytes);
  EXPECT_EQ(artifact::kEnvelopeBytes % artifact::kAlignment, 0u);
  EXPECT_TRUE(std::equal(file.begin(), file.end(), signed_file.begin() + artifact::kEnvelopeBytes));
  const artifact::Envelope e = artifact::open_envelope(signed_file.data(), signed_file.size());
  EXPECT_EQ(e.signer, public_key);
}

TEST_F(Signatures, SignedByATrustedKeyLoadsAndVerifies) {
  const Model model = load(signed_file, trusted);
  EXPECT_EQ(model.metadata().name, load(file, {}).metadata().name);
  // Without keys a signed file loads too, its signature still checked.
  EXPECT_NO_THROW(load(signed_file, {}));
}

TEST_F(Signatures, ReSigningReplacesTheSignature) {
  const auto other = artifact::generate_keys();
  const Bytes resigned = artifact::sign(signed_file.data(), signed_file.size(), other.second);
  EXPECT_EQ(resigned.size(), signed_file.size());
  LoadOptions by_other;
  by_other.trusted_keys = {artifact::to_hex(other.first.data(), other.first.size())};
  EXPECT_NO_THROW(load(resigned, by_other));
  EXPECT_FERRY_ERROR(load(resigned, trusted), ErrorCode::kSignature, "not a trusted key");
}

TEST_F(Signatures, UnsignedFileIsRefusedWhenAKeyIsRequired) {
  EXPECT_FERRY_ERROR(load(file, trusted), ErrorCode::kSignature, "not signed");
}

TEST_F(Signatures, AnotherKeyIsNotTrusted) {
  const auto other = artifact::generate_keys();
  LoadOptions options;
  options.trusted_keys = {artifact::to_hex(other.first.data(), other.first.size())};
  EXPECT_FERRY_ERROR(load(signed_file, options), ErrorCode::kSignature,
                     artifact::to_hex(public_key.data(), public_key.size()));
  // Any one of several trusted keys will do.
  options.trusted_keys.push_back(trusted.trusted_keys[0]);
  EXPECT_NO_THROW(load(signed_file, options));
}

// Every byte after the envelope's fixed fields is covered: a change anywhere in the inner file
// or the signature is a signature error, reported before the CRC or anything else is read.
TEST_F(Signatures, AnyChangedByteIsRefusedBeforeParsing) {
  for (std::size_t at : {std::size_t{48}, std::size_t{111}, artifact::kEnvelopeBytes, artifact::kEnvelopeBytes + 9,
                         signed_file.size() / 2, signed_file.size() - 1}) {
    SCOPED_TRACE(at);
    Bytes damaged = signed_file;
    damaged[at] ^= 0x01;
    EXPECT_FERRY_ERROR(load(damaged, trusted), ErrorCode::kSignature, "does not match");
    EXPECT_FERRY_ERROR(load(damaged, {}), ErrorCode::kSignature, "does not match");
  }
  // The signer field: another key, so not trusted; without keys, the signature does not match it.
  Bytes damaged = signed_file;
  damaged[20] ^= 0x01;
  EXPECT_FERRY_ERROR(load(damaged, trusted), ErrorCode::kSignature, "not a trusted key");
  EXPECT_FERRY_ERROR(load(damaged, {}), ErrorCode::kSignature, "does not match");
}

TEST_F(Signatures, MalformedEnvelopesAreFormatErrors) {
  Bytes version = signed_file;
  version[8] = 2;
  EXPECT_FERRY_ERROR(load(version, {}), ErrorCode::kFormat, "envelope version 2");
  Bytes algorithm = signed_file;
  algorithm[10] = 7;
  EXPECT_FERRY_ERROR(load(algorithm, {}), ErrorCode::kFormat, "algorithm 7");
  for (std::size_t at : {std::size_t{12}, std::size_t{127}}) {
    Bytes reserved = signed_file;
    reserved[at] = 1;
    EXPECT_FERRY_ERROR(load(reserved, {}), ErrorCode::kFormat, "reserved");
  }
  for (std::size_t size : {std::size_t{8}, std::size_t{100}}) {
    const Bytes truncated(signed_file.begin(), signed_file.begin() + static_cast<std::ptrdiff_t>(size));
    EXPECT_FERRY_ERROR(load(truncated, {}), ErrorCode::kFormat, "shorter than its 128-byte envelope");
  }
  // An envelope around nothing: the signature may even match, the inner file is still refused.
  const Bytes empty = artifact::sign(nullptr, 0, secret_key);
  EXPECT_FERRY_ERROR(load(empty, trusted), ErrorCode::kFormat, "too small");
}

TEST_F(Signatures, MalformedKeysAreNamed) {
  LoadOptions options;
  options.trusted_keys = {"abc"};
  EXPECT_FERRY_ERROR(load(signed_file, options), ErrorCode::kSignature, "64 hexadecimal digits");
  options.trusted_keys = {std::string(63, '0') + "g"};
  EXPECT_FERRY_ERROR(load(signed_file, options), ErrorCode::kSignature, "non-hexadecimal");
  // Key files end with a newline.
  EXPECT_EQ(artifact::parse_public_key(trusted.trusted_keys[0] + "\n"), public_key);
  artifact::SecretKey damaged = secret_key;
  damaged[40] ^= 0x01;  // the public half no longer matches the seed
  EXPECT_FERRY_ERROR(artifact::sign(file.data(), file.size(), damaged), ErrorCode::kSignature, "damaged");
}

// Many streams that each inflate to just under the per-tensor limit are refused by the total
// before the first one is inflated.
TEST(TotalDecodedBytes, LimitIsCheckedBeforeAnyTensorIsDecoded) {
  const Bytes file = test::read_bytes(test::source_path("artifacts/iris/model.ferry"));
  const artifact::Artifact a = artifact::read(file.data(), file.size());
  std::uint64_t total = 0;
  for (const auto& [name, t] : a.tensors) total += t.bytes.size();
  LoadOptions options;
  options.max_total_bytes = total;
  EXPECT_NO_THROW(Model::from_bytes(file.data(), file.size(), options));
  options.max_total_bytes = total - 1;
  EXPECT_FERRY_ERROR(Model::from_bytes(file.data(), file.size(), options), ErrorCode::kFormat,
                     "more than the limit of");

  // Declared sizes far above what is stored, in zlib streams: the total refuses them without
  // inflating (a per-tensor limit alone would inflate each one).
  std::map<std::string, artifact::Tensor> bombs;
  for (int i = 0; i < 8; ++i) {
    artifact::Tensor t;
    t.dtype = artifact::DType::kUInt8;
    t.shape = {1 << 20};
    t.bytes.assign(std::size_t{1} << 20, 0);
    bombs.emplace("bomb" + std::to_string(i), std::move(t));
  }
  const Bytes packed = artifact::write(nlohmann::json::object(), bombs, {/*compress=*/true});
  ASSERT_LT(packed.size(), std::size_t{1} << 20);
  artifact::Limits limits;
  limits.max_total_bytes = std::uint64_t{4} << 20;
  EXPECT_FERRY_ERROR(artifact::read(packed.data(), packed.size(), limits), ErrorCode::kFormat,
                     "reached at tensor \"bomb4\"");
}

// Steps may refer to one stored tensor many times, and each reference is copied: the copies
// count against the same total, so a small file cannot make the loader hold the same large
// array once per reference.
TEST(TotalDecodedBytes, EveryReferenceToATensorCounts) {
  test::EditableArtifact edited = test::EditableArtifact::from_case("tests/data/scaler_minmax");
  nlohmann::json& roles = edited.step(0)["tensors"];
  const std::string min = roles["min"], scale = roles["scale"];
  ASSERT_EQ(edited.tensors.at(min).bytes.size(), edited.tensors.at(scale).bytes.size());
  roles["scale"] = min;  // two roles, one stored tensor
  edited.tensors.erase(scale);
  // Only the steps' tensors stay, so what is stored is what the steps copy, but for the
  // second reference.
  edited.drop_verification();
  edited.header.erase("explain");
  edited.header.erase("baseline");
  for (auto it = edited.tensors.begin(); it != edited.tensors.end();)
    it = it->first.rfind("explain.", 0) == 0 || it->first.rfind("baseline.", 0) == 0 ? edited.tensors.erase(it)
                                                                                      : std::next(it);
  const Bytes file = edited.bytes();
  const artifact::Artifact a = artifact::read(file.data(), file.size());
  std::uint64_t stored = 0;
  for (const auto& [name, t] : a.tensors) stored += t.bytes.size();
  LoadOptions options;
  options.max_total_bytes = stored;
  EXPECT_FERRY_ERROR(Model::from_bytes(file.data(), file.size(), options), ErrorCode::kFormat,
                     "counted once per reference");
  options.max_total_bytes = stored + a.tensors.at(min).bytes.size();
  EXPECT_NO_THROW(Model::from_bytes(file.data(), file.size(), options));
}

}  // namespace
}  // namespace ferry::detail
