// `ferry serve`'s request bodies, answers and metrics, without a socket
// (tests/python/test_serve.py takes the running server through HTTP).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "serve/http_error.hpp"
#include "serve/metrics.hpp"
#include "serve/request_rows.hpp"
#include "serve/response_json.hpp"
#include "serve/status_page.hpp"
#include "support/test_support.hpp"

namespace ferry::serve {
namespace {

using nlohmann::json;

// The HTTP status and the message of the HttpError `body` raises.
std::pair<int, std::string> refusal(const std::string& body, std::size_t max_rows = 100,
                                    const std::string& type = "application/json") {
  try {
    rows_from_body(type, body, max_rows);
  } catch (const HttpError& e) {
    return {e.status(), e.what()};
  }
  return {0, ""};
}

TEST(ServeRequestRows, JsonRowsBecomeNamedColumns) {
  const Table t = rows_from_json(R"({"rows": [{"a": 1.5, "b": "x", "c": null},
                                              {"a": null, "b": null, "c": null}]})",
                                 10);
  ASSERT_EQ(t.rows(), 2);
  const TableColumn* a = t.find("a");
  ASSERT_NE(a, nullptr);
  EXPECT_FALSE(a->is_text);
  EXPECT_EQ(a->numbers[0], 1.5);
  EXPECT_TRUE(std::isnan(a->numbers[1]));
  const TableColumn* b = t.find("b");
  ASSERT_TRUE(b != nullptr && b->is_text);
  EXPECT_EQ(b->text[0], std::optional<std::string>("x"));
  EXPECT_FALSE(b->text[1].has_value());
  const TableColumn* c = t.find("c");  // only nulls: missing either way
  ASSERT_TRUE(c != nullptr && c->is_text);
  EXPECT_FALSE(c->text[0].has_value());
}

TEST(ServeRequestRows, MalformedBodiesAre4xxNamingTheProblem) {
  EXPECT_EQ(refusal("{\"rows\": [").first, 400);
  EXPECT_NE(refusal("{\"rows\": [").second.find("not valid JSON"), std::string::npos);
  EXPECT_EQ(refusal("[1, 2]").first, 400);
  EXPECT_EQ(refusal(R"({"rows": [{"a": 1e400}]})").first, 400);  // out of double's range
  EXPECT_EQ(refusal(std::string(100000, '[')).first, 400);     // deep nesting, unterminated
  EXPECT_EQ(refusal("{\"rows\": []}").second, "\"rows\" is empty");
  EXPECT_EQ(refusal("{\"rows\": [3]}").second, "row 0 is not a JSON object");
  EXPECT_EQ(refusal(R"({"rows": [{"a": 1}, {"b": 2}]})").second,
            "row 1 lacks column \"a\", which row 0 has (give null for a missing value)");
  EXPECT_EQ(refusal(R"({"rows": [{"a": 1}, {"a": 2, "b": 2}]})").second,
            "row 0 lacks column \"b\", which row 1 has (give null for a missing value)");
  EXPECT_EQ(refusal(R"({"rows": [{"a": 1}, {"a": true}]})").second,
            "row 1, column \"a\": a boolean; give a number, a string or null");
  EXPECT_EQ(refusal(R"({"rows": [{"a": 1}, {"a": "2"}]})").second,
            "column \"a\" mixes numbers (row 0) and strings (row 1); give one kind");
  EXPECT_EQ(refusal(R"({"rows": [{"a": [1]}]})").first, 400);
  EXPECT_EQ(refusal(R"({"rows": [{}]})").second, "row 0 names no column");
  const auto too_many = refusal(R"({"rows": [{"a": 1}, {"a": 2}, {"a": 3}]})", 2);
  EXPECT_EQ(too_many.first, 413);
  EXPECT_EQ(too_many.second, "the request has 3 rows; this server takes at most 2 per request");
  EXPECT_EQ(refusal("a\n1\n", 100, "application/x-www-form-urlencoded").first, 415);
}

TEST(ServeRequestRows, CsvBodiesAsFerryPredictReadsThem) {
  const Table t = rows_from_body("text/csv; charset=utf-8", "a,b\n1,x\n,y\n", 10);
  ASSERT_EQ(t.rows(), 2);
  EXPECT_TRUE(t.find("a")->is_text);  // the model parses numbers itself
  EXPECT_FALSE(t.find("a")->text[1].has_value());
  EXPECT_EQ(refusal("a,b\n1\n", 100, "text/csv").first, 400);
  EXPECT_EQ(refusal("a\n1\n2\n3\n", 2, "text/csv").first, 413);
  EXPECT_EQ(refusal("a\n", 2, "text/csv").second, "the CSV body has a header and no rows");
}

TEST(ServeResponse, PredictionsCarryTheModelAndLabelsInTheirType) {
  const Model iris = Model::load(detail::test::source_path("artifacts/iris/model.ferry"));
  const RowMatrixXd X = detail::test::case_input("artifacts/iris", iris).topRows(2);
  const Prediction p = iris.predict(X);
  const json rows = predictions_json(p);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["prediction"], "setosa");
  EXPECT_EQ(rows[0]["probabilities"]["versicolor"].get<double>(), p.probabilities(0, 1));
  EXPECT_EQ(model_identity(p), json({{"name", "iris"}, {"version", "1.0.0"}, {"content_id", iris.metadata().content_id}}));

  const Model diabetes = Model::load(detail::test::source_path("artifacts/diabetes/model.ferry"));
  const Prediction r = diabetes.predict(detail::test::case_input("artifacts/diabetes", diabetes).topRows(1));
  EXPECT_EQ(predictions_json(r)[0]["prediction"].get<double>(), r.values(0, 0));
  EXPECT_FALSE(predictions_json(r)[0].contains("probabilities"));

  const json schema = model_json(iris);
  EXPECT_EQ(schema["schema"]["inputs"].size(), 4u);
  EXPECT_EQ(schema["schema"]["classes"], json({"setosa", "versicolor", "virginica"}));
}

TEST(ServeMetrics, PrometheusTextHasCountsHistogramAndShadow) {
  Metrics m;
  m.count_request("/v1/predict", 200);
  m.count_request("/v1/predict", 200);
  m.count_request("/v1/predict", 422);
  m.observe_latency("/v1/predict", std::chrono::microseconds(300));   // the 0.0005 bucket
  m.observe_latency("/v1/predict", std::chrono::milliseconds(20));    // the 0.025 bucket
  m.count_rows("/v1/predict", 7);
  Metadata md;
  md.name = "iris";
  md.version = "1.0.0";
  md.content_id = "ab\"c";
  Agreement a;
  a.rows = 4;
  a.same_label = 3;
  a.confusion["x"]["y"] = 1;
  const std::string text = m.prometheus(md, 2, a, std::nullopt);
  for (const char* line : {"ferry_http_requests_total{route=\"/v1/predict\",status=\"200\"} 2\n",
                           "ferry_http_requests_total{route=\"/v1/predict\",status=\"422\"} 1\n",
                           "ferry_request_duration_seconds_bucket{route=\"/v1/predict\",le=\"0.00025\"} 0\n",
                           "ferry_request_duration_seconds_bucket{route=\"/v1/predict\",le=\"0.0005\"} 1\n",
                           "ferry_request_duration_seconds_bucket{route=\"/v1/predict\",le=\"0.025\"} 2\n",
                           "ferry_request_duration_seconds_bucket{route=\"/v1/predict\",le=\"+Inf\"} 2\n",
                           "ferry_request_duration_seconds_count{route=\"/v1/predict\"} 2\n",
                           "ferry_rows_scored_total{route=\"/v1/predict\"} 7\n",
                           "ferry_model_info{name=\"iris\",version=\"1.0.0\",content_id=\"ab\\\"c\"} 1\n",
                           "ferry_model_generation 2\n", "ferry_shadow_label_agreement 0.75\n",
                           "ferry_shadow_confusion_total{serving=\"x\",candidate=\"y\"} 1\n"})
    EXPECT_NE(text.find(line), std::string::npos) << line << "\nnot in\n" << text;
  EXPECT_EQ(m.latency_quantile("/v1/predict", 0.5), 0.0005);
  EXPECT_EQ(m.latency_quantile("/v1/predict", 0.99), 0.025);
  EXPECT_FALSE(m.latency_quantile("/v1/explain", 0.5).has_value());
  EXPECT_EQ(text.find("ferry_drift_"), std::string::npos) << "no drift figures without a Monitor";
}

DriftReport sample_drift() {
  DriftReport r;
  r.rows = 12;
  r.level = DriftLevel::alert;
  ColumnDrift fee;
  fee.name = "monthly \"fee\"";
  fee.psi = 0.5;
  fee.level = DriftLevel::alert;
  fee.missing_rate_change = -0.25;
  r.columns.push_back(fee);
  OutputDrift proba;
  proba.name = "proba_churned";
  proba.psi = 0.125;
  r.outputs.push_back(proba);
  ColumnDrift classes;
  classes.name = "class";
  classes.psi = 0.0625;
  r.classes = classes;
  return r;
}

TEST(ServeMetrics, DriftFiguresPerColumnOutputAndClass) {
  const Metrics m;
  const std::string text = m.prometheus(Metadata{}, 0, std::nullopt, sample_drift());
  for (const char* line : {"ferry_drift_rows 12\n", "ferry_drift_level 2\n",
                           "ferry_drift_psi{kind=\"input\",column=\"monthly \\\"fee\\\"\"} 0.5\n",
                           "ferry_drift_psi{kind=\"output\",column=\"proba_churned\"} 0.125\n",
                           "ferry_drift_psi{kind=\"class\",column=\"class\"} 0.0625\n",
                           "ferry_drift_missing_rate_change{column=\"monthly \\\"fee\\\"\"} -0.25\n"})
    EXPECT_NE(text.find(line), std::string::npos) << line << "\nnot in\n" << text;
}

TEST(ServeStatusPage, EscapesWhatItShowsAndRefersToNothingOutside) {
  StatusView v;
  v.model.name = "<script>alert(1)</script>";
  v.model.version = "2.0.0";
  v.model.content_id = "abc";
  const std::string page = status_page(v);
  EXPECT_EQ(page.find("<script>"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;"), std::string::npos);
  EXPECT_NE(page.find("<span id=\"model-version\">2.0.0</span>"), std::string::npos);
  for (const char* outside : {"<link", "<img", "src=", "href=", "http:", "https:", "url("})
    EXPECT_EQ(page.find(outside), std::string::npos) << outside;
  EXPECT_EQ(page.find("id=\"drift\""), std::string::npos) << "no drift table without a Monitor";
}

TEST(ServeStatusPage, DriftTableEscapesColumnNames) {
  StatusView v;
  v.drift = sample_drift();
  v.drift->columns[0].name = "<b>fee</b>";
  const std::string page = status_page(v);
  EXPECT_NE(page.find("<table id=\"drift\">"), std::string::npos);
  EXPECT_NE(page.find("<strong id=\"drift-level\">alert</strong>"), std::string::npos);
  EXPECT_NE(page.find("&lt;b&gt;fee&lt;/b&gt;"), std::string::npos);
  EXPECT_EQ(page.find("<b>fee"), std::string::npos);
}

}  // namespace
}  // namespace ferry::serve
