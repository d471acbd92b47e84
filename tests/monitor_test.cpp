// ferry::Monitor: PSI against the stored bins (a hand-derived example and the numpy values of
// scripts/make_drift_cases), drifted and undrifted traffic, many observing threads, the
// window, reset, and the refusals.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <thread>

#include "cli/csv.hpp"
#include "ferry/error.hpp"
#include "ferry/monitor.hpp"
#include "support/test_support.hpp"

namespace ferry::detail {
namespace {

using nlohmann::json;
using test::EditableArtifact;

const char* kCase = "tests/data/drift_churn";

Model drift_model() { return Model::load(test::source_path(std::string(kCase) + "/model.ferry")); }

cli::CsvTable drift_csv(const std::string& name) {
  return test::read_csv_file(test::source_path(std::string(kCase) + "/" + name + ".csv"));
}

// psi.csv: (csv, column) -> the PSI numpy computed from the stored bins.
std::map<std::pair<std::string, std::string>, double> numpy_psi() {
  const cli::CsvTable t = test::read_csv_file(test::source_path(std::string(kCase) + "/psi.csv"));
  std::map<std::pair<std::string, std::string>, double> out;
  for (const auto& row : t.rows) out[{row[0], row[1]}] = std::stod(row[2]);
  return out;
}

// Iris with a hand-written baseline of 4 rows: sepal length in two bins split at 5.0 (two rows
// each), the other inputs one bin; proba_setosa in two bins split at 0.5; classes 2, 1, 1.
Model iris_with_baseline() {
  EditableArtifact a = EditableArtifact::from_case("artifacts/iris");
  auto numeric = [](const std::string& name, json edges, json counts, double mean, double std) {
    return json{{"name", name}, {"count", 4},    {"missing", 0},           {"mean", mean},
                {"std", std},   {"min", edges.front()}, {"max", edges.back()}, {"edges", edges},
                {"counts", counts}};
  };
  json inputs = json::array();
  inputs.push_back(numeric("sepal length (cm)", json::array({4.0, 5.0, 6.0}), json::array({2, 2}), 5.0, 0.5));
  inputs.push_back(numeric("sepal width (cm)", json::array({2.0, 4.0}), json::array({4}), 3.0, 0.5));
  inputs.push_back(numeric("petal length (cm)", json::array({1.0, 6.0}), json::array({4}), 3.0, 1.0));
  inputs.push_back(numeric("petal width (cm)", json::array({0.1, 2.5}), json::array({4}), 1.0, 0.5));
  json proba = numeric("proba_setosa", json::array({0.0, 0.5, 1.0}), json::array({2, 2}), 0.5, 0.5);
  proba["source"] = "predict_proba";
  proba["index"] = 0;
  a.header["baseline"] = {{"rows", 4}, {"bins", 2}, {"inputs", inputs}, {"outputs", json::array({proba})},
                          {"classes", json::array({2, 1, 1})}};
  return a.load();
}

// A prediction of iris built by hand: class indices, and proba_setosa in column 0.
Prediction iris_prediction(const std::vector<Index>& classes, double proba_setosa) {
  Prediction p;
  p.task = Task::kClassification;
  const auto n = static_cast<Index>(classes.size());
  p.scores = RowMatrixXd::Zero(n, 3);
  p.probabilities = RowMatrixXd::Zero(n, 3);
  p.probabilities.col(0).setConstant(proba_setosa);
  p.class_index = classes;
  return p;
}

const ColumnDrift& column_named(const DriftReport& r, const std::string& name) {
  for (const ColumnDrift& c : r.columns)
    if (c.name == name) return c;
  throw std::runtime_error("no column " + name);
}

DriftReport observe_csv(Monitor& monitor, const Model& model, const cli::CsvTable& csv, std::size_t first = 0,
                        std::size_t count = SIZE_MAX) {
  const Table t = cli::to_table(csv, first, count);
  monitor.observe(t, model.predict(t));
  return monitor.report();
}

TEST(Monitor, AModelWithoutBaselinesIsRefusedByName) {
  const Model iris = Model::load(test::source_path("artifacts/iris/model.ferry"));
  EXPECT_FERRY_ERROR(Monitor(iris, MonitorOptions{}), ErrorCode::kUnsupported, "\"iris\" has no drift baselines");
  EXPECT_FERRY_ERROR(Monitor{iris}, ErrorCode::kUnsupported, "without X_sample");
}

TEST(Monitor, InvalidOptionsAreRefused) {
  const Model m = iris_with_baseline();
  MonitorOptions o;
  o.psi_alert = 0.05;  // below psi_warn
  EXPECT_FERRY_ERROR((Monitor{m, o}), ErrorCode::kValue, "psi_warn <= psi_alert");
  o = MonitorOptions{};
  o.smoothing = 0;
  EXPECT_FERRY_ERROR((Monitor{m, o}), ErrorCode::kValue, "smoothing > 0");
  o = MonitorOptions{};
  o.window = -1;
  EXPECT_FERRY_ERROR((Monitor{m, o}), ErrorCode::kValue, "window >= 0");
}

TEST(Monitor, PsiOfAHandDerivedExample) {
  const Model m = iris_with_baseline();
  Monitor monitor(m);
  RowMatrixXd X(4, 4);
  X << 4.5, 3.0, 1.5, 0.2,  //
      4.5, 3.0, 1.5, 0.2,   //
      3.0, 3.0, 1.5, 0.2,   // below the training minimum of sepal length: first bin, outside
      5.5, 3.0, 1.5, 0.2;
  monitor.observe(X, iris_prediction({0, 0, 1, 2}, 0.9));
  const DriftReport r = monitor.report();
  EXPECT_EQ(r.rows, 4);
  // Sepal length: training bins (< 5, >= 5, missing) = (2, 2, 0), current (3, 1, 0). With 0.5
  // added to each count both sides have 5.5 in all: p = (2.5, 2.5, 0.5) / 5.5,
  // q = (3.5, 1.5, 0.5) / 5.5, so PSI = (1 ln(3.5/2.5) - 1 ln(1.5/2.5)) / 5.5 = ln(7/3) / 5.5.
  const ColumnDrift& sepal = r.columns[0];
  EXPECT_NEAR(sepal.psi, std::log(7.0 / 3.0) / 5.5, 1e-15);
  EXPECT_EQ(sepal.level, DriftLevel::warn);  // 0.154
  EXPECT_EQ(sepal.bins, (std::vector<std::string>{"< 5", ">= 5", "missing"}));
  EXPECT_EQ(sepal.training_share, (std::vector<double>{0.5, 0.5, 0.0}));
  EXPECT_EQ(sepal.current_share, (std::vector<double>{0.75, 0.25, 0.0}));
  EXPECT_EQ(sepal.outside_range, 0.25);
  EXPECT_EQ(sepal.current_missing_rate, 0.0);
  // One bin and the same shares: exactly 0.
  EXPECT_EQ(r.columns[1].psi, 0.0);
  EXPECT_EQ(r.columns[1].level, DriftLevel::ok);
  // proba_setosa: training (2, 2), current (0, 4): p = (2.5, 2.5) / 5, q = (0.5, 4.5) / 5,
  // PSI = -0.4 ln(0.2) + 0.4 ln(1.8) = 0.4 ln 9; mean shift (0.9 - 0.5) / 0.5 = 0.8.
  ASSERT_EQ(r.outputs.size(), 1u);
  const OutputDrift& o = r.outputs[0];
  EXPECT_EQ(o.name, "proba_setosa");
  EXPECT_NEAR(o.psi, 0.4 * std::log(9.0), 1e-15);
  EXPECT_NEAR(o.mean_shift, 0.8, 1e-15);
  EXPECT_EQ(o.level, DriftLevel::alert);  // by its PSI
  // The predicted classes have the training frequencies.
  ASSERT_TRUE(r.classes.has_value());
  EXPECT_EQ(r.classes->psi, 0.0);
  EXPECT_EQ(r.classes->bins, (std::vector<std::string>{"setosa", "versicolor", "virginica"}));
  EXPECT_EQ(r.level, DriftLevel::alert);
}

TEST(Monitor, MeanShiftAboveTheLimitIsAnAlert) {
  const Model m = iris_with_baseline();
  MonitorOptions o;
  o.psi_alert = o.psi_warn = 100;  // only the mean shift can raise the level
  Monitor monitor(m, o);
  const RowMatrixXd X = RowMatrixXd::Constant(4, 4, 3.0);
  monitor.observe(X, iris_prediction({0, 0, 1, 2}, 0.74));  // (0.74 - 0.5) / 0.5 = 0.48 sd
  EXPECT_EQ(monitor.report().outputs[0].level, DriftLevel::ok);
  monitor.reset();
  monitor.observe(X, iris_prediction({0, 0, 1, 2}, 1.0));  // 1 sd
  EXPECT_EQ(monitor.report().outputs[0].level, DriftLevel::ok);
  o.mean_shift_alert = 0.9;
  Monitor strict(m, o);
  strict.observe(X, iris_prediction({0, 0, 1, 2}, 1.0));
  EXPECT_EQ(strict.report().outputs[0].level, DriftLevel::alert);
  EXPECT_EQ(strict.report().level, DriftLevel::alert);
}

TEST(Monitor, DenseFloatInputIsBinnedAsDouble) {
  const Model m = iris_with_baseline();
  Monitor a(m), b(m);
  RowMatrixXd X(2, 4);
  X << 4.5, 3.0, 1.5, 0.2, 5.0, 3.0, 1.5, 0.2;  // 5.0 sits on the edge: the bin above
  a.observe(X, iris_prediction({0, 1}, 0.2));
  const RowMatrixXf Xf = X.cast<float>();
  b.observe(Xf, iris_prediction({0, 1}, 0.2));
  EXPECT_EQ(a.report().columns[0].current_share, (std::vector<double>{0.5, 0.5, 0.0}));
  EXPECT_EQ(b.report().columns[0].current_share, a.report().columns[0].current_share);
}

TEST(Monitor, MismatchedPredictionsAreShapeErrors) {
  const Model m = iris_with_baseline();
  Monitor monitor(m);
  const RowMatrixXd X = RowMatrixXd::Constant(3, 4, 3.0);
  EXPECT_FERRY_ERROR(monitor.observe(X, iris_prediction({0, 1}, 0.5)), ErrorCode::kShape, "2 rows but the input 3");
  Prediction p = iris_prediction({0, 1, 2}, 0.5);
  p.probabilities.resize(3, 0);
  EXPECT_FERRY_ERROR(monitor.observe(X, p), ErrorCode::kShape, "proba_setosa");
  EXPECT_FERRY_ERROR(monitor.observe(X, iris_prediction({0, 1, 7}, 0.5)), ErrorCode::kShape, "class index 7");
  const RowMatrixXd wrong = RowMatrixXd::Constant(3, 5, 3.0);
  EXPECT_FERRY_ERROR(monitor.observe(wrong, iris_prediction({0, 1, 2}, 0.5)), ErrorCode::kShape, "5 columns");
  EXPECT_EQ(monitor.report().rows, 0);  // nothing was counted
}

TEST(Monitor, PsiEqualsNumpyOnTheStoredBins) {
  const Model m = drift_model();
  const auto expected = numpy_psi();
  for (const char* name : {"undrifted", "drifted"}) {
    SCOPED_TRACE(name);
    Monitor monitor(m);
    const DriftReport r = observe_csv(monitor, m, drift_csv(name));
    EXPECT_EQ(r.rows, 2000);
    ASSERT_EQ(r.columns.size(), 7u);
    // Same counts, same formula; only the order of the sum's terms may differ.
    for (const ColumnDrift& c : r.columns) EXPECT_NEAR(c.psi, expected.at({name, c.name}), 1e-12) << c.name;
    // scikit-learn's probabilities here, ferry's in the test: equal within 1e-9, so they fall
    // in the same bins unless one lies within 1e-9 of an edge (none does).
    for (const OutputDrift& o : r.outputs) EXPECT_NEAR(o.psi, expected.at({name, o.name}), 1e-12) << o.name;
    ASSERT_TRUE(r.classes.has_value());
    EXPECT_NEAR(r.classes->psi, expected.at({name, "class"}), 1e-12);
  }
}

TEST(Monitor, DriftedTrafficIsFlaggedAndUndriftedIsNot) {
  const Model m = drift_model();
  Monitor undrifted(m);
  const DriftReport calm = observe_csv(undrifted, m, drift_csv("undrifted"));
  EXPECT_NE(calm.level, DriftLevel::alert);
  for (const ColumnDrift& c : calm.columns) EXPECT_EQ(c.level, DriftLevel::ok) << c.name << " psi " << c.psi;
  for (const OutputDrift& o : calm.outputs) EXPECT_LT(std::abs(o.mean_shift), 0.2) << o.name;
  EXPECT_EQ(column_named(calm, "region").unseen, 0.0);

  Monitor drifted(m);
  const DriftReport r = observe_csv(drifted, m, drift_csv("drifted"));
  EXPECT_EQ(r.level, DriftLevel::alert);
  const ColumnDrift& fee = column_named(r, "monthly_fee");
  const ColumnDrift& region = column_named(r, "region");
  EXPECT_EQ(fee.level, DriftLevel::alert);
  EXPECT_GT(fee.outside_range, 0.05);  // above the training maximum: about 10%
  EXPECT_EQ(region.level, DriftLevel::alert);
  EXPECT_NEAR(region.unseen, 0.4, 0.05);  // 40% of the rows were given new regions
  // The columns left alone stay quiet.
  for (const char* name : {"tenure_months", "support_calls", "plan", "payment_method", "contract"})
    EXPECT_EQ(column_named(r, name).level, DriftLevel::ok) << name;
}

TEST(Monitor, ManyThreadsObservingCountEveryRowOnce) {
  const Model m = drift_model();
  const cli::CsvTable csv = drift_csv("drifted");
  Monitor serial(m), shared(m);
  const DriftReport want = observe_csv(serial, m, csv);
  constexpr std::size_t kThreads = 4, kBatch = 50;
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (std::size_t first = t * kBatch; first < csv.rows.size(); first += kThreads * kBatch) {
        const Table batch = cli::to_table(csv, first, kBatch);
        shared.observe(batch, m.predict(batch));
        (void)shared.report();  // reports race with the observers too
      }
    });
  for (std::thread& th : threads) th.join();
  const DriftReport got = shared.report();
  EXPECT_EQ(got.rows, want.rows);
  for (std::size_t j = 0; j < want.columns.size(); ++j) {
    EXPECT_EQ(got.columns[j].current_share, want.columns[j].current_share) << want.columns[j].name;
    EXPECT_EQ(got.columns[j].psi, want.columns[j].psi);
  }
  for (std::size_t k = 0; k < want.outputs.size(); ++k) {
    EXPECT_EQ(got.outputs[k].current_share, want.outputs[k].current_share);
    // Sums in another order: equal to rounding.
    EXPECT_NEAR(got.outputs[k].current_mean, want.outputs[k].current_mean, 1e-12);
  }
  EXPECT_EQ(got.classes->current_share, want.classes->current_share);
}

TEST(Monitor, ResetWhileThreadsObserveLeavesConsistentCounts) {
  const Model m = drift_model();
  const cli::CsvTable csv = drift_csv("undrifted");
  for (Index window : {Index{0}, Index{128}}) {
    MonitorOptions o;
    o.window = window;
    Monitor monitor(m, o);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < 3; ++t)
      threads.emplace_back([&, t] {
        for (std::size_t first = t * 40; first < 1200; first += 120) {
          const Table batch = cli::to_table(csv, first, 40);
          monitor.observe(batch, m.predict(batch));
        }
      });
    threads.emplace_back([&] {
      for (int k = 0; k < 20; ++k) {
        monitor.reset();
        (void)monitor.report();
        std::this_thread::yield();
      }
    });
    for (std::thread& th : threads) th.join();
    // A batch is counted whole or not at all: every column and output sees the same rows.
    const DriftReport r = monitor.report();
    EXPECT_LE(r.rows, window > 0 ? window : 1200);
    EXPECT_EQ(r.rows % (window > 0 ? 1 : 40), 0);
    for (const ColumnDrift& c : r.columns) {
      double total = 0;
      for (double v : c.current_share) total += v;
      EXPECT_NEAR(total, r.rows > 0 ? 1.0 : 0.0, 1e-12) << c.name;
    }
  }
}

TEST(Monitor, WindowCoversOnlyTheLastRows) {
  const Model m = drift_model();
  MonitorOptions o;
  o.window = 100;
  Monitor window(m, o), recent(m);
  observe_csv(window, m, drift_csv("drifted"), 0, 1000);
  EXPECT_EQ(window.report().rows, 100);
  EXPECT_EQ(window.report().level, DriftLevel::alert);
  // 150 undrifted rows in batches of 30 push every drifted row out; the window then holds
  // exactly the last 100 of them.
  const cli::CsvTable calm = drift_csv("undrifted");
  DriftReport got;
  for (std::size_t first = 0; first < 150; first += 30) got = observe_csv(window, m, calm, first, 30);
  const DriftReport want = observe_csv(recent, m, calm, 50, 100);
  EXPECT_EQ(got.rows, 100);
  for (std::size_t j = 0; j < want.columns.size(); ++j) {
    EXPECT_EQ(got.columns[j].current_share, want.columns[j].current_share) << want.columns[j].name;
    EXPECT_EQ(got.columns[j].psi, want.columns[j].psi);
    EXPECT_EQ(got.columns[j].outside_range, want.columns[j].outside_range);
    EXPECT_EQ(got.columns[j].unseen, want.columns[j].unseen);
  }
  for (std::size_t k = 0; k < want.outputs.size(); ++k)
    EXPECT_NEAR(got.outputs[k].current_mean, want.outputs[k].current_mean, 1e-12);
  EXPECT_EQ(got.classes->current_share, want.classes->current_share);
}

TEST(Monitor, ResetForgetsEveryRow) {
  const Model m = drift_model();
  for (Index window : {Index{0}, Index{64}}) {
    MonitorOptions o;
    o.window = window;
    Monitor monitor(m, o), fresh(m, o);
    observe_csv(monitor, m, drift_csv("drifted"), 0, 300);
    monitor.reset();
    const DriftReport empty = monitor.report();
    EXPECT_EQ(empty.rows, 0);
    EXPECT_EQ(empty.level, DriftLevel::ok);
    for (const ColumnDrift& c : empty.columns) EXPECT_EQ(c.psi, 0.0);
    const DriftReport after = observe_csv(monitor, m, drift_csv("undrifted"), 0, 40);
    const DriftReport want = observe_csv(fresh, m, drift_csv("undrifted"), 0, 40);
    for (std::size_t j = 0; j < want.columns.size(); ++j) EXPECT_EQ(after.columns[j].psi, want.columns[j].psi);
    EXPECT_EQ(after.outputs[0].current_mean, want.outputs[0].current_mean);
  }
}

TEST(Monitor, LevelNames) {
  EXPECT_STREQ(to_string(DriftLevel::ok), "ok");
  EXPECT_STREQ(to_string(DriftLevel::warn), "warn");
  EXPECT_STREQ(to_string(DriftLevel::alert), "alert");
}

}  // namespace
}  // namespace ferry::detail
