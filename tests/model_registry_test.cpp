// ModelRegistry: a directory of versioned artifacts, latest first or by version.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "ferry/model_registry.hpp"
#include "sha256.hpp"
#include "support/test_support.hpp"

namespace ferry::detail {
namespace {

namespace fs = std::filesystem;

void write_bytes(const fs::path& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::vector<std::uint8_t> iris_version(const std::string& version) {
  test::EditableArtifact a = test::EditableArtifact::from_case("artifacts/iris");
  a.header["metadata"]["version"] = version;
  return a.bytes();
}

class RegistryDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(FERRY_BINARY_DIR) / "registry_test" /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  fs::path dir_;
};

TEST(CompareVersions, NumbersCompareAsNumbers) {
  EXPECT_LT(ModelRegistry::compare_versions("1.9.2", "1.10.0"), 0);
  EXPECT_GT(ModelRegistry::compare_versions("1.10", "1.9"), 0);
  EXPECT_LT(ModelRegistry::compare_versions("1.9", "1.9.1"), 0);
  EXPECT_EQ(ModelRegistry::compare_versions("2.0.0", "2.0.0"), 0);
  EXPECT_EQ(ModelRegistry::compare_versions("v007", "v7"), 0);
  EXPECT_LT(ModelRegistry::compare_versions("2026-01-09", "2026-01-10"), 0);
  EXPECT_GT(ModelRegistry::compare_versions("1.0.1", "1.0.rc1"), 0);
  EXPECT_LT(ModelRegistry::compare_versions("1.0.rc1", "1.0.rc2"), 0);
  EXPECT_EQ(ModelRegistry::compare_versions("1.9", "1-9"), 0);
}

TEST_F(RegistryDir, LatestByVersionAnyByNameAndUnusableFilesListed) {
  write_bytes(dir_ / "a.ferry", iris_version("1.10.0"));
  write_bytes(dir_ / "b.ferry", iris_version("1.9.0"));
  write_bytes(dir_ / "c.ferry", iris_version("1.9.0"));   // a version already taken
  write_bytes(dir_ / "d.ferry", {1, 2, 3});               // not an artifact
  write_bytes(dir_ / "notes.txt", {'h', 'i'});            // not a .ferry file: not looked at
  const ModelRegistry registry = ModelRegistry::scan(dir_.string());
  ASSERT_EQ(registry.entries().size(), 2u);
  EXPECT_EQ(registry.entries()[0].version, "1.9.0");
  EXPECT_EQ(registry.latest().version, "1.10.0");
  EXPECT_EQ(registry.latest().path, (dir_ / "a.ferry").string());
  const std::vector<std::uint8_t> a = test::read_bytes((dir_ / "a.ferry").string());
  EXPECT_EQ(registry.latest().content_id, sha256_hex(a.data(), a.size()));
  EXPECT_EQ(registry.find("1.9.0").path, (dir_ / "b.ferry").string());
  EXPECT_EQ(registry.latest().name, "iris");
  ASSERT_EQ(registry.skipped().size(), 2u);
  EXPECT_NE(registry.skipped()[0].find("c.ferry: version 1.9.0 is already served"), std::string::npos);
  EXPECT_NE(registry.skipped()[1].find("d.ferry"), std::string::npos);
  EXPECT_FERRY_ERROR(registry.find("3.0"), ErrorCode::kIo, "no artifact of version \"3.0\" (it has 1.9.0, 1.10.0)");
  // The entry loads as the model it names.
  EXPECT_EQ(Model::load(registry.latest().path).metadata().content_id, registry.latest().content_id);
}

TEST_F(RegistryDir, AnEmptyOrMissingDirectoryIsAnError) {
  EXPECT_FERRY_ERROR(ModelRegistry::scan(dir_.string()), ErrorCode::kIo, "holds no readable .ferry artifact");
  EXPECT_FERRY_ERROR(ModelRegistry::scan((dir_ / "absent").string()), ErrorCode::kIo, "is not a directory");
  write_bytes(dir_ / "broken.ferry", {0x89, 'F'});
  EXPECT_FERRY_ERROR(ModelRegistry::scan(dir_.string()), ErrorCode::kIo, "broken.ferry");
}

}  // namespace
}  // namespace ferry::detail
