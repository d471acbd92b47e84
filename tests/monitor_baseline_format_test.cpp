// The `baseline` section (docs/format.md §3.6) as the C++ reader takes it: every rule broken
// in turn on the shipped drift_churn artifact is a format error naming the field; files
// without the section, and of older minors, still load.
#include <gtest/gtest.h>

#include <functional>

#include "ferry/error.hpp"
#include "ferry/monitor.hpp"
#include "ferry/version.hpp"
#include "support/test_support.hpp"

namespace ferry::detail {
namespace {

using nlohmann::json;
using test::EditableArtifact;

EditableArtifact drift_churn() { return EditableArtifact::from_case("tests/data/drift_churn"); }

// Applies `edit` to the baseline section and expects a format error containing `substring`.
void expect_refused(const std::function<void(json&)>& edit, const std::string& substring) {
  EditableArtifact a = drift_churn();
  edit(a.header["baseline"]);
  EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, substring);
}

json& fee(json& b) { return b["inputs"][1]; }     // numeric: monthly_fee
json& region(json& b) { return b["inputs"][4]; }  // text: region

TEST(BaselineFormat, TheShippedFileLoadsAsFormat13) {
  const Model m = drift_churn().load();
  EXPECT_EQ(m.metadata().format_minor, 3);
  EXPECT_EQ(Model::load(test::source_path("tests/data/drift_churn/model.ferry")).metadata().format_minor, 3);
  EXPECT_NO_THROW(Monitor{m});
}

TEST(BaselineFormat, FilesWithoutBaselinesAndOlderMinorsStillLoad) {
  // iris is 1.2 (explain background), diabetes 1.1, a file without explain 1.0.
  for (const char* path : {"artifacts/iris", "artifacts/diabetes", "tests/data/linear_multioutput"}) {
    SCOPED_TRACE(path);
    const Model m = Model::load(test::source_path(std::string(path) + "/model.ferry"));
    EXPECT_LT(m.metadata().format_minor, 3);
    EXPECT_FERRY_ERROR(Monitor{m}, ErrorCode::kUnsupported, "no drift baselines");
  }
  EditableArtifact a = drift_churn();
  a.header.erase("baseline");
  EXPECT_NO_THROW(a.load());
}

TEST(BaselineFormat, UnknownKeysAreIgnored) {
  EditableArtifact a = drift_churn();
  a.header["baseline"]["histograms_v2"] = json::array({1, 2});
  a.header["baseline"]["inputs"][0]["kurtosis"] = 3.0;
  EXPECT_NO_THROW(Monitor{a.load()});
}

TEST(BaselineFormat, RowsAndBins) {
  expect_refused([](json& b) { b["rows"] = 0; }, "baseline.rows must be in [1, 2^40]");
  expect_refused([](json& b) { b["rows"] = (std::int64_t{1} << 40) + 1; }, "baseline.rows");
  expect_refused([](json& b) { b["rows"] = "2000"; }, "baseline.rows must be a 64-bit integer");
  expect_refused([](json& b) { b["bins"] = 0; }, "baseline.bins must be in [1, 1024]");
  expect_refused([](json& b) { b["bins"] = 1025; }, "baseline.bins");
  expect_refused([](json& b) { b.erase("inputs"); }, "baseline.inputs is missing");
  expect_refused([](json& b) { b["inputs"].erase(b["inputs"].end() - 1); }, "6 entries for 7 schema inputs");
  expect_refused([](json& b) { b["inputs"][0]["name"] = "tenure"; }, "but schema input 0 is \"tenure_months\"");
}

TEST(BaselineFormat, NumericColumns) {
  expect_refused([](json& b) { fee(b)["missing"] = fee(b)["missing"].get<int>() + 1; }, "count and missing must add up");
  expect_refused([](json& b) { fee(b)["count"] = -1; }, "count must be >= 0");
  expect_refused([](json& b) { fee(b)["std"] = -1.0; }, "std >= 0");
  expect_refused([](json& b) { fee(b)["min"] = 1e9; }, "min <= max");
  expect_refused([](json& b) { fee(b)["mean"] = nullptr; }, "mean must be a number");
  expect_refused([](json& b) { fee(b)["edges"][3] = fee(b)["edges"][2]; }, "edges must increase strictly");
  expect_refused([](json& b) { fee(b)["edges"][0] = fee(b)["edges"][0].get<double>() - 1; },
                 "edges must increase strictly from min to max");
  expect_refused([](json& b) { fee(b)["edges"] = json::array(); }, "edges must hold 1 to bins + 1 (11) numbers");
  expect_refused(
      [](json& b) {
        b["bins"] = 2;  // the stored 11 edges are more than bins + 1
      },
      "edges must hold 1 to bins + 1 (3) numbers");
  expect_refused([](json& b) { fee(b)["edges"][4] = "x"; }, "edges[4] must be a number");
  expect_refused([](json& b) { fee(b)["counts"].erase(fee(b)["counts"].end() - 1); }, "one integer per bin (10)");
  expect_refused([](json& b) { fee(b)["counts"][0] = -3; }, "counts[0] must be an integer in [0, baseline.rows]");
  expect_refused([](json& b) { fee(b)["counts"][0] = 1.5; }, "counts[0]");
  expect_refused([](json& b) { fee(b)["counts"][0] = fee(b)["counts"][0].get<int>() + 1; }, "counts add up to");
}

TEST(BaselineFormat, AColumnWithoutValues) {
  // A column that was missing in every sample row has null statistics and no bins.
  EditableArtifact a = drift_churn();
  json& f = a.header["baseline"]["inputs"][1];
  const std::int64_t rows = a.header["baseline"]["rows"];
  f = {{"name", "monthly_fee"}, {"count", 0},     {"missing", rows},        {"mean", nullptr}, {"std", nullptr},
       {"min", nullptr},        {"max", nullptr}, {"edges", json::array()}, {"counts", json::array()}};
  Monitor monitor(a.load());
  EXPECT_EQ(monitor.report().columns[1].bins, (std::vector<std::string>{"values", "missing"}));
  f["mean"] = 1.0;
  EXPECT_FERRY_ERROR(a.load(), ErrorCode::kFormat, "null statistics and no bins");
}

TEST(BaselineFormat, TextColumns) {
  expect_refused([](json& b) { region(b)["categories"][0]["value"] = "mars"; },
                 "\"mars\" is not a category of input \"region\"");
  expect_refused([](json& b) { region(b)["categories"][1]["value"] = region(b)["categories"][0]["value"]; },
                 "is listed twice");
  expect_refused([](json& b) { region(b)["categories"][0]["count"] = 0; }, "count must be in [1, baseline.rows]");
  expect_refused([](json& b) { region(b)["other"] = 5; }, "the category counts and other add up to");
  expect_refused([](json& b) { region(b)["other"] = -1; }, "other must be >= 0");
  expect_refused([](json& b) { region(b)["categories"] = json::object(); }, "categories must be an array");
  expect_refused(
      [](json& b) {
        json many = json::array();
        for (int i = 0; i < 1025; ++i) many.push_back({{"value", "north"}, {"count", 1}});
        region(b)["categories"] = many;
      },
      "lists more than 1024");
}

TEST(BaselineFormat, OutputsAndClasses) {
  expect_refused([](json& b) { b["outputs"][0]["source"] = "predict"; }, "source \"predict\" is not an output of this model");
  expect_refused([](json& b) { b["outputs"][0]["index"] = 2; }, "index 2 is not a column of predict_proba");
  expect_refused([](json& b) { b["outputs"][1]["name"] = b["outputs"][0]["name"]; }, "distinct non-empty string");
  expect_refused([](json& b) { b["outputs"][0]["name"] = ""; }, "distinct non-empty string");
  expect_refused(
      [](json& b) {
        json& o = b["outputs"][0];
        o["missing"] = 1;
        o["count"] = o["count"].get<int>() - 1;
        o["counts"][0] = o["counts"][0].get<int>() - 1;
      },
      "an output has no missing values");
  expect_refused([](json& b) { b["classes"] = json::array({2000}); }, "baseline.classes must hold 2 counts");
  expect_refused([](json& b) { b["classes"][0] = b["classes"][0].get<int>() + 1; }, "baseline.classes add up to");
  expect_refused([](json& b) { b.erase("classes"); }, "baseline.classes is missing");
}

TEST(BaselineFormat, NewerMinorWithAnUnknownBaselineShapeStillLoads) {
  // A newer minor may change nothing an older reader relies on; this reader still checks the
  // section it knows, so the file must keep to §3.6.
  EditableArtifact a = drift_churn();
  a.header["baseline"]["quantiles_method"] = "linear";
  const auto bytes = a.bytes();
  std::vector<std::uint8_t> newer = bytes;
  newer[10] = static_cast<std::uint8_t>(FERRY_FORMAT_MINOR + 1);
  const std::uint32_t crc = artifact::crc32(newer.data(), newer.size() - 4);
  for (int i = 0; i < 4; ++i) newer[newer.size() - 4 + i] = static_cast<std::uint8_t>(crc >> (8 * i));
  EXPECT_NO_THROW(Model::from_bytes(newer.data(), newer.size()));
}

}  // namespace
}  // namespace ferry::detail
