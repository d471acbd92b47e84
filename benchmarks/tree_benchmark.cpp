// XGBoost 500 trees depth 6 on 32 features: ferry against XGBoost's own C API predictor
// (nthread=1), same model, same rows, same run; plus load time and resident memory of a
// 1,000-tree model. benchmarks/run_trees makes the models and runs this.
//   FERRY_TREE_MODELS=<dir from make_tree_models.py> tree_benchmark
#include <benchmark/benchmark.h>

#include <malloc.h>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>

#include "ferry/ferry.hpp"
#include "xgboost_peer.hpp"

namespace {

using bench::model_dir;
using bench::rows;
using bench::xgb_check;

struct Xgb : bench::XgbBooster {
  using XgbBooster::XgbBooster;

  // Inplace prediction from a dense float64 row-major array (what XGBoost's Python
  // inplace_predict uses): no DMatrix to build. Returns XGBoost's float32 margins.
  const float* predict_dense(const ferry::RowMatrixXd& X, bst_ulong* n_out) const {
    char array[256];
    std::snprintf(array, sizeof array,
                  "{\"data\": [%llu, false], \"shape\": [%lld, %lld], \"typestr\": \"<f8\", \"version\": 3}",
                  static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(X.data())),
                  static_cast<long long>(X.rows()), static_cast<long long>(X.cols()));
    static const char* config =
        "{\"type\": 0, \"training\": false, \"cache_id\": 0, \"iteration_begin\": 0, \"iteration_end\": 0, "
        "\"strict_shape\": false, "
        "\"missing\": NaN}";
    const bst_ulong* shape = nullptr;
    bst_ulong dim = 0;
    const float* out = nullptr;
    xgb_check(XGBoosterPredictFromDense(handle(), array, config, nullptr, &shape, &dim, &out));
    *n_out = shape[0];
    return out;
  }

  // The classic path: a DMatrix from the rows, then XGBoosterPredict.
  const float* predict_dmatrix(const ferry::RowMatrixXd& X, bst_ulong* n_out) const {
    return XgbBooster::predict_dmatrix(X, 1 /* output margin */, n_out);
  }
};

// Once, before timing: ferry and XGBoost must agree on these rows (float32 margins exactly).
void check_parity(const ferry::Model& model, const Xgb& xgb, const ferry::RowMatrixXd& X) {
  bst_ulong n = 0;
  const float* want = xgb.predict_dense(X, &n);
  const ferry::RowMatrixXd got = model.predict(X).values;
  for (ferry::Index i = 0; i < X.rows(); ++i)
    if (static_cast<float>(got(i, 0)) != want[i])
      throw std::runtime_error("ferry and XGBoost disagree at row " + std::to_string(i) + ": " +
                               std::to_string(got(i, 0)) + " vs " + std::to_string(want[i]));
}

void BM_Ferry(benchmark::State& state) {
  const ferry::Model model = ferry::Model::load(model_dir() + "/xgb_500.ferry");
  const ferry::RowMatrixXd X = rows(state.range(0));
  {
    const Xgb xgb(model_dir() + "/xgb_500.json");
    check_parity(model, xgb, X);
  }
  for (auto _ : state) benchmark::DoNotOptimize(model.predict(X));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Ferry)->Arg(1)->Arg(10000);

// The estimator alone (decision_function is not offered for regressors, so predict with the
// threads option is the way to reach the parallel path).
void BM_FerryThreads(benchmark::State& state) {
  const ferry::Model model = ferry::Model::load(model_dir() + "/xgb_500.ferry");
  const ferry::RowMatrixXd X = rows(10000);
  const ferry::PredictOptions options{static_cast<int>(state.range(0))};
  for (auto _ : state) benchmark::DoNotOptimize(model.predict(X, options));
  state.SetItemsProcessed(state.iterations() * X.rows());
}
BENCHMARK(BM_FerryThreads)->Arg(2)->UseRealTime();

// The scikit-learn models of make_tree_models.py; benchmarks/sklearn_trees.py times
// scikit-learn on the same rows.
void BM_FerrySklearn(benchmark::State& state, const std::string& name) {
  const ferry::Model model = ferry::Model::load(model_dir() + "/" + name + ".ferry");
  const ferry::RowMatrixXd X = rows(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(model.predict(X));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK_CAPTURE(BM_FerrySklearn, rf_100, std::string("rf_100"))->Arg(1)->Arg(10000);
BENCHMARK_CAPTURE(BM_FerrySklearn, hgb_200, std::string("hgb_200"))->Arg(1)->Arg(10000);

void BM_XgbDense(benchmark::State& state) {
  const Xgb xgb(model_dir() + "/xgb_500.json");
  const ferry::RowMatrixXd X = rows(state.range(0));
  bst_ulong n = 0;
  for (auto _ : state) benchmark::DoNotOptimize(xgb.predict_dense(X, &n));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_XgbDense)->Arg(1)->Arg(10000);

void BM_XgbDMatrix(benchmark::State& state) {
  const Xgb xgb(model_dir() + "/xgb_500.json");
  const ferry::RowMatrixXd X = rows(state.range(0));
  bst_ulong n = 0;
  for (auto _ : state) benchmark::DoNotOptimize(xgb.predict_dmatrix(X, &n));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_XgbDMatrix)->Arg(1)->Arg(10000);

long resident_kib() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      long kib = 0;
      status >> kib;
      return kib;
    }
    std::getline(status, key);
  }
  return 0;
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Load of the 1,000-tree artifact from memory (parse, validate, re-lay out); the resident
// memory a loaded model keeps is measured by `tree_benchmark --resident ferry|xgboost`, each in
// a fresh process.
void BM_FerryLoad1000(benchmark::State& state) {
  const std::string bytes = file_bytes(model_dir() + "/xgb_1000.ferry");
  state.counters["file_MiB"] = static_cast<double>(bytes.size()) / (1024.0 * 1024.0);
  for (auto _ : state) benchmark::DoNotOptimize(ferry::Model::from_bytes(bytes.data(), bytes.size()));
}
BENCHMARK(BM_FerryLoad1000)->Unit(benchmark::kMillisecond);

void BM_XgbLoad1000(benchmark::State& state) {
  const std::string bytes = file_bytes(model_dir() + "/xgb_1000.json");
  for (auto _ : state) {
    BoosterHandle b = nullptr;
    xgb_check(XGBoosterCreate(nullptr, 0, &b));
    xgb_check(XGBoosterLoadModelFromBuffer(b, bytes.data(), bytes.size()));
    XGBoosterFree(b);
  }
}
BENCHMARK(BM_XgbLoad1000)->Unit(benchmark::kMillisecond);

}  // namespace

// `--resident ferry|xgboost`: load the 1,000-tree model in this fresh process and print how
// much resident memory it added (the file's bytes are already in memory at both
// measurements, so they do not count), then exit. Otherwise, the benchmarks.
int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--resident") {
    const bool ours = std::string(argv[2]) == "ferry";
    auto bytes = std::make_unique<std::string>(file_bytes(model_dir() + (ours ? "/xgb_1000.ferry" : "/xgb_1000.json")));
    BoosterHandle booster = nullptr;
    if (!ours) xgb_check(XGBoosterCreate(nullptr, 0, &booster));  // the library's own start-up is not the model's
    const long before = resident_kib();
    std::optional<ferry::Model> model;
    if (ours)
      model.emplace(ferry::Model::from_bytes(bytes->data(), bytes->size()));
    else
      xgb_check(XGBoosterLoadModelFromBuffer(booster, bytes->data(), bytes->size()));
    // What stays live, not what the allocator keeps cached from the parse.
    malloc_trim(0);
    std::printf("{\"%s_resident_MiB\": %.2f}\n", argv[2], static_cast<double>(resident_kib() - before) / 1024.0);
    if (booster != nullptr) XGBoosterFree(booster);
    return 0;
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
