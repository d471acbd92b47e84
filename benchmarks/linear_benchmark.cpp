// predict_proba latency and throughput of the breast_cancer pipeline (StandardScaler +
// LogisticRegression, 30 features). benchmarks/run_linear runs this and scikit-learn on the
// same rows in one go and prints both.
#include <benchmark/benchmark.h>

#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "ferry/ferry.hpp"

namespace {

const std::string kDir = std::string(FERRY_SOURCE_DIR) + "/artifacts/breast_cancer/";

// input.csv rows, drawn with replacement (fixed seed) up to `rows`.
ferry::RowMatrixXd batch(const ferry::Model& model, ferry::Index rows) {
  std::ifstream in(kDir + "input.csv");
  std::string line;
  std::getline(in, line);  // header: breast_cancer's columns are already in schema order
  std::vector<std::vector<double>> data;
  while (std::getline(in, line)) {
    std::vector<double> row;
    std::stringstream cells(line);
    std::string cell;
    while (std::getline(cells, cell, ',')) row.push_back(std::stod(cell));
    data.push_back(row);
  }
  const auto cols = static_cast<ferry::Index>(model.schema().inputs.size());
  ferry::RowMatrixXd X(rows, cols);
  std::mt19937 rng(42);
  std::uniform_int_distribution<std::size_t> pick(0, data.size() - 1);
  for (ferry::Index i = 0; i < rows; ++i) {
    const auto& row = data[pick(rng)];
    for (ferry::Index j = 0; j < cols; ++j) X(i, j) = row[static_cast<std::size_t>(j)];
  }
  return X;
}

void BM_PredictProba(benchmark::State& state) {
  const ferry::Model model = ferry::Model::load(kDir + "model.ferry");
  const ferry::RowMatrixXd X = batch(model, state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(model.predict_proba(X));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_PredictProba)->Arg(1)->Arg(10000);

void BM_PredictProbaFloat(benchmark::State& state) {
  const ferry::Model model = ferry::Model::load(kDir + "model.ferry");
  const ferry::RowMatrixXf X = batch(model, state.range(0)).cast<float>();
  for (auto _ : state) benchmark::DoNotOptimize(model.predict_proba(X));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_PredictProbaFloat)->Arg(1)->Arg(10000);

// Exact linear SHAP values of the same rows, per raw input column (the pipeline runs too).
void BM_Explain(benchmark::State& state) {
  const ferry::Model model = ferry::Model::load(kDir + "model.ferry");
  const ferry::RowMatrixXd X = batch(model, state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(model.explain(X));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Explain)->Arg(1)->Arg(10000);

void BM_Load(benchmark::State& state) {
  std::ifstream in(kDir + "model.ferry", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (auto _ : state) benchmark::DoNotOptimize(ferry::Model::from_bytes(bytes.data(), bytes.size()));
}
BENCHMARK(BM_Load);

}  // namespace

BENCHMARK_MAIN();
