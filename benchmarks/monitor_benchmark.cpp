// What drift monitoring adds to serving: Monitor::observe of a batch against predicting it,
// on the drift_churn pipeline (3 numeric and 4 text columns, tests/data/drift_churn), named
// input as a server receives it. The peer is Model::predict of the same Table in the same run.
//   build/release/benchmarks/monitor_benchmark --benchmark_repetitions=10 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "ferry/ferry.hpp"

namespace {

const std::string kDir = std::string(FERRY_SOURCE_DIR) + "/tests/data/drift_churn/";

// The first `rows` rows of undrifted.csv as text columns (its cells hold no comma or quote);
// the model parses the numbers, as it does for a server's JSON or CSV.
ferry::Table table(std::size_t rows) {
  std::ifstream in(kDir + "undrifted.csv");
  std::string line;
  std::getline(in, line);
  std::vector<std::string> names;
  std::stringstream header(line);
  for (std::string name; std::getline(header, name, ',');) names.push_back(name);
  std::vector<std::vector<std::optional<std::string>>> columns(names.size());
  for (std::size_t r = 0; r < rows && std::getline(in, line); ++r) {
    std::stringstream cells(line + ",");
    std::string cell;
    for (auto& column : columns) {
      std::getline(cells, cell, ',');
      column.push_back(cell.empty() ? std::nullopt : std::optional<std::string>(cell));
    }
  }
  ferry::Table t;
  for (std::size_t j = 0; j < names.size(); ++j) t.add_text(names[j], std::move(columns[j]));
  return t;
}

void BM_Predict(benchmark::State& state) {
  const ferry::Model model = ferry::Model::load(kDir + "model.ferry");
  const ferry::Table t = table(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(model.predict(t));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Predict)->Arg(1)->Arg(2000);

void BM_Observe(benchmark::State& state) {
  const ferry::Model model = ferry::Model::load(kDir + "model.ferry");
  const ferry::Table t = table(static_cast<std::size_t>(state.range(0)));
  const ferry::Prediction p = model.predict(t);
  ferry::Monitor monitor(model);
  for (auto _ : state) monitor.observe(t, p);
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Observe)->Arg(1)->Arg(2000);

// Four serving threads observing into one Monitor (its mutex contended).
void BM_ObserveShared(benchmark::State& state) {
  static const ferry::Model model = ferry::Model::load(kDir + "model.ferry");
  static ferry::Monitor monitor(model);
  const ferry::Table t = table(static_cast<std::size_t>(state.range(0)));
  const ferry::Prediction p = model.predict(t);
  for (auto _ : state) monitor.observe(t, p);
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ObserveShared)->Arg(1)->Arg(2000)->Threads(4)->UseRealTime();

void BM_Report(benchmark::State& state) {
  const ferry::Model model = ferry::Model::load(kDir + "model.ferry");
  const ferry::Table t = table(2000);
  ferry::Monitor monitor(model);
  monitor.observe(t, model.predict(t));
  for (auto _ : state) benchmark::DoNotOptimize(monitor.report());
}
BENCHMARK(BM_Report);

}  // namespace

BENCHMARK_MAIN();
