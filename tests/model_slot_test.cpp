// ModelSlot: what a swap checks before it replaces the serving model, rollback, and the
// identity (name, version, content id) every prediction and explanation carries.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "ferry/model_slot.hpp"
#include "sha256.hpp"
#include "support/test_support.hpp"

namespace ferry::detail {
namespace {

std::string iris_path() { return test::source_path("artifacts/iris/model.ferry"); }

TEST(ContentId, IsTheSha256OfTheArtifactBytesAndTravelsWithEveryResult) {
  const std::vector<std::uint8_t> bytes = test::read_bytes(iris_path());
  const Model model = Model::load(iris_path());
  EXPECT_EQ(model.metadata().content_id, sha256_hex(bytes.data(), bytes.size()));
  EXPECT_EQ(model.metadata().content_id.size(), 64u);
  const RowMatrixXd X = test::case_input("artifacts/iris", model).topRows(3);
  const Prediction p = model.predict(X);
  EXPECT_EQ(p.model_name, "iris");
  EXPECT_EQ(p.model_version, "1.0.0");
  EXPECT_EQ(p.model_content_id, model.metadata().content_id);
  const Explanation e = model.explain(X);
  EXPECT_EQ(e.model_name, "iris");
  EXPECT_EQ(e.model_version, "1.0.0");
  EXPECT_EQ(e.model_content_id, model.metadata().content_id);
  // Named input takes the other path through the engine; the identity is the same.
  Table t;
  for (Index j = 0; j < X.cols(); ++j)
    t.add_numeric(model.schema().inputs[static_cast<std::size_t>(j)].name,
                  std::vector<double>(X.col(j).data(), X.col(j).data() + X.rows()));
  EXPECT_EQ(model.explain(t).model_content_id, model.metadata().content_id);
}

TEST(ContentId, DiffersForAnyChangedByteEvenUnderTheSameNameAndVersion) {
  test::EditableArtifact a = test::EditableArtifact::from_case("artifacts/iris");
  a.header["metadata"]["description"] = "the same model, described otherwise";
  const std::vector<std::uint8_t> bytes = a.bytes();
  const Model edited = Model::from_bytes(bytes.data(), bytes.size());
  const Model shipped = Model::load(iris_path());
  EXPECT_EQ(edited.metadata().version, shipped.metadata().version);
  EXPECT_NE(edited.metadata().content_id, shipped.metadata().content_id);
  EXPECT_EQ(edited.metadata().content_id, sha256_hex(bytes.data(), bytes.size()));
}

TEST(ModelSlot, SwapReplacesAndRollbackRestores) {
  const Model v1 = Model::load(iris_path());
  test::EditableArtifact a = test::EditableArtifact::from_case("artifacts/iris");
  a.header["metadata"]["version"] = "1.1.0";
  const std::vector<std::uint8_t> v2 = a.bytes();
  ModelSlot slot(v1);
  const Model before = slot.current();
  EXPECT_EQ(slot.swap(v2.data(), v2.size()).metadata().version, "1.1.0");
  EXPECT_EQ(slot.current().metadata().version, "1.1.0");
  EXPECT_EQ(before.metadata().version, "1.0.0");  // a snapshot taken earlier is unchanged
  EXPECT_EQ(slot.history_size(), 1u);
  EXPECT_EQ(slot.rollback().metadata().content_id, v1.metadata().content_id);
  EXPECT_EQ(slot.current().metadata().version, "1.0.0");
  EXPECT_EQ(slot.generation(), 2u);
  EXPECT_FERRY_ERROR(slot.rollback(), ErrorCode::kUnsupported, "no earlier model");
}

TEST(ModelSlot, HistoryKeepsOnlyTheLastDepthModels) {
  const Model v1 = Model::load(iris_path());
  ModelSlot slot(v1, 2);
  for (int i = 0; i < 5; ++i) slot.swap(v1);
  EXPECT_EQ(slot.history_size(), 2u);
  slot.rollback();
  slot.rollback();
  EXPECT_FERRY_ERROR(slot.rollback(), ErrorCode::kUnsupported, "rollback");
}

TEST(ModelSlot, AFailedLoadLeavesTheServingModelAndSaysWhy) {
  const Model v1 = Model::load(iris_path());
  ModelSlot slot(v1);
  EXPECT_FERRY_ERROR(slot.swap(std::string("/nonexistent/model.ferry")), ErrorCode::kIo, "serving model is unchanged");
  const std::vector<std::uint8_t> garbage{1, 2, 3, 4};
  EXPECT_FERRY_ERROR(slot.swap(garbage.data(), garbage.size()), ErrorCode::kFormat, "swap refused");
  std::vector<std::uint8_t> damaged = test::read_bytes(iris_path());
  damaged[damaged.size() / 2] ^= 0x40;
  EXPECT_FERRY_ERROR(slot.swap(damaged.data(), damaged.size()), ErrorCode::kChecksum, "swap refused");
  EXPECT_EQ(slot.current().metadata().content_id, v1.metadata().content_id);
  EXPECT_EQ(slot.generation(), 0u);
  EXPECT_EQ(slot.history_size(), 0u);
}

TEST(ModelSlot, ACandidateThatFailsItsTestRowsIsRefused) {
  test::EditableArtifact a = test::EditableArtifact::from_case("artifacts/iris");
  a.set_float64_at("estimator.intercept", 0, a.float64_of("estimator.intercept")[0] + 5.0);  // test rows kept
  const std::vector<std::uint8_t> bytes = a.bytes();
  ModelSlot slot(Model::load(iris_path()));
  EXPECT_FERRY_ERROR(slot.swap(bytes.data(), bytes.size()), ErrorCode::kVerification, "swap refused");
  EXPECT_EQ(slot.current().metadata().version, "1.0.0");
}

TEST(ModelSlot, ACandidateWithoutTestRowsNeedsConsent) {
  test::EditableArtifact a = test::EditableArtifact::from_case("artifacts/iris");
  a.drop_verification();
  const std::vector<std::uint8_t> bytes = a.bytes();
  ModelSlot slot(Model::load(iris_path()));
  EXPECT_FERRY_ERROR(slot.swap(bytes.data(), bytes.size()), ErrorCode::kVerification, "no embedded test rows");
  SwapOptions options;
  options.require_test_rows = false;
  EXPECT_NO_THROW(slot.swap(bytes.data(), bytes.size(), options));
}

TEST(ModelSlot, ADifferentSchemaIsRefusedUnlessAllowed) {
  ModelSlot slot(Model::load(iris_path()));
  // Another task and other columns.
  EXPECT_FERRY_ERROR(slot.swap(test::source_path("artifacts/diabetes/model.ferry")), ErrorCode::kSchema,
                     "the candidate is a regressor, the serving model a classifier");
  // The same task, one column renamed.
  test::EditableArtifact renamed = test::EditableArtifact::from_case("artifacts/iris");
  renamed.header["schema"]["inputs"][2]["name"] = "petal length (mm)";
  const std::vector<std::uint8_t> bytes = renamed.bytes();
  EXPECT_FERRY_ERROR(slot.swap(bytes.data(), bytes.size()), ErrorCode::kSchema,
                     "input 2 of the candidate is \"petal length (mm)\" (numeric), of the serving model \"petal length "
                     "(cm)\"");
  EXPECT_EQ(slot.generation(), 0u);
  SwapOptions options;
  options.allow_schema_change = true;
  EXPECT_EQ(slot.swap(test::source_path("artifacts/diabetes/model.ferry"), options).metadata().name, "diabetes");
}

}  // namespace
}  // namespace ferry::detail
