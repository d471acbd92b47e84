// Tree ensembles on 32 features: ferry against XGBoost's own C API predictor and ONNX
// Runtime's C API, same models, same rows, same run: XGBoost 500 trees depth 6 (both peers),
// RandomForestRegressor 100 trees depth 8 and a 3-class HistGradientBoostingClassifier of 200
// iterations with missing values (ONNX Runtime), one thread, and two at 10,000 rows; ferry on
// double and on the float32 rows ONNX Runtime gets. Plus load time and resident memory of a
// 1,000-tree model. benchmarks/run_trees makes the models and runs this.
//   FERRY_TREE_MODELS=<dir from make_tree_models.py> tree_benchmark
// Without ONNX Runtime (benchmarks/get_onnxruntime not run), its cases are left out.
#include <benchmark/benchmark.h>

#include <malloc.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "ferry/ferry.hpp"
#ifdef FERRY_WITH_ONNXRUNTIME
#include "onnxruntime_peer.hpp"
#endif
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

// hgb_clf_200 was trained with 5% of its values missing (make_tree_models.py's MISSING_RATE):
// its rows are the standard ones with each value NaN with that probability, so that the learned
// missing directions are taken.
ferry::RowMatrixXd model_rows(const std::string& name, ferry::Index n) {
  ferry::RowMatrixXd X = rows(n);
  if (name == "hgb_clf_200") {
    std::mt19937_64 rng(43);
    std::bernoulli_distribution missing(0.05);
    for (ferry::Index i = 0; i < X.size(); ++i)
      if (missing(rng)) X.data()[i] = NAN;
  }
  return X;
}

ferry::Model load(const std::string& name) { return ferry::Model::load(model_dir() + "/" + name + ".ferry"); }

// Once, before timing: ferry and XGBoost must agree on these rows (float32 margins exactly).
void check_xgboost_parity() {
  const ferry::Model model = load("xgb_500");
  const Xgb xgb(model_dir() + "/xgb_500.json");
  const ferry::RowMatrixXd X = rows(10000);
  bst_ulong n = 0;
  const float* want = xgb.predict_dense(X, &n);
  const ferry::RowMatrixXd got = model.predict(X).values;
  for (ferry::Index i = 0; i < X.rows(); ++i)
    if (static_cast<float>(got(i, 0)) != want[i])
      throw std::runtime_error("ferry and XGBoost disagree at row " + std::to_string(i) + ": " +
                               std::to_string(got(i, 0)) + " vs " + std::to_string(want[i]));
}

// `threads` > 1 is timed in wall time (UseRealTime): the CPU time of the calling thread
// leaves out the others.
template <typename Scalar>
void ferry_predict(benchmark::State& state, const std::string& name, ferry::Index n, int threads) {
  const ferry::Model model = load(name);
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Matrix X = model_rows(name, n).template cast<Scalar>();
  ferry::PredictOptions options;
  options.threads = threads;
  for (auto _ : state) benchmark::DoNotOptimize(model.predict(X, options));
  state.SetItemsProcessed(state.iterations() * n);
}

void BM_Ferry(benchmark::State& state, const std::string& name) {
  ferry_predict<double>(state, name, state.range(0), 1);
}
BENCHMARK_CAPTURE(BM_Ferry, xgb_500, std::string("xgb_500"))->Arg(1)->Arg(10000);
BENCHMARK_CAPTURE(BM_Ferry, rf_100, std::string("rf_100"))->Arg(1)->Arg(10000);
BENCHMARK_CAPTURE(BM_Ferry, hgb_200, std::string("hgb_200"))->Arg(1)->Arg(10000);
BENCHMARK_CAPTURE(BM_Ferry, hgb_clf_200, std::string("hgb_clf_200"))->Arg(1)->Arg(10000);

// The float32 rows ONNX Runtime gets, compared as they are (no widened copy).
void BM_FerryFloat(benchmark::State& state, const std::string& name) {
  ferry_predict<float>(state, name, state.range(0), 1);
}
BENCHMARK_CAPTURE(BM_FerryFloat, xgb_500, std::string("xgb_500"))->Arg(1)->Arg(10000);
BENCHMARK_CAPTURE(BM_FerryFloat, rf_100, std::string("rf_100"))->Arg(1)->Arg(10000);
BENCHMARK_CAPTURE(BM_FerryFloat, hgb_clf_200, std::string("hgb_clf_200"))->Arg(1)->Arg(10000);

// Model::compute of the one output ONNX Runtime is read for (a regressor's values, the
// classifier's probabilities) from the same float32 rows into a buffer allocated once: what a
// caller pays who needs no Prediction.
void BM_FerryCompute(benchmark::State& state, const std::string& name) {
  const ferry::Model model = load(name);
  const ferry::Index n = state.range(0);
  const ferry::RowMatrixXf X = model_rows(name, n).cast<float>();
  const auto output = model.schema().task == ferry::Task::kClassification ? ferry::Model::Output::kPredictProba
                                                                          : ferry::Model::Output::kPredict;
  ferry::RowMatrixXd out(n, model.output_width(output));
  for (auto _ : state) {
    model.compute(output, X, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK_CAPTURE(BM_FerryCompute, xgb_500, std::string("xgb_500"))->Arg(1)->Arg(10000);
BENCHMARK_CAPTURE(BM_FerryCompute, rf_100, std::string("rf_100"))->Arg(1)->Arg(10000);
BENCHMARK_CAPTURE(BM_FerryCompute, hgb_clf_200, std::string("hgb_clf_200"))->Arg(1)->Arg(10000);

// float32 rows, as ONNX Runtime's threaded case (XGBoost's gets doubles, as in its one-thread case).
void BM_FerryThreads(benchmark::State& state, const std::string& name) {
  ferry_predict<float>(state, name, 10000, static_cast<int>(state.range(0)));
}
BENCHMARK_CAPTURE(BM_FerryThreads, xgb_500, std::string("xgb_500"))->Arg(2)->UseRealTime();
BENCHMARK_CAPTURE(BM_FerryThreads, rf_100, std::string("rf_100"))->Arg(2)->UseRealTime();
BENCHMARK_CAPTURE(BM_FerryThreads, hgb_clf_200, std::string("hgb_clf_200"))->Arg(2)->UseRealTime();

void xgb_dense(benchmark::State& state, ferry::Index n, int threads) {
  const Xgb xgb(model_dir() + "/xgb_500.json", threads);
  const ferry::RowMatrixXd X = rows(n);
  bst_ulong out = 0;
  for (auto _ : state) benchmark::DoNotOptimize(xgb.predict_dense(X, &out));
  state.SetItemsProcessed(state.iterations() * n);
}

void BM_XgbDense(benchmark::State& state) { xgb_dense(state, state.range(0), 1); }
BENCHMARK(BM_XgbDense)->Arg(1)->Arg(10000);

void BM_XgbDenseThreads(benchmark::State& state) { xgb_dense(state, 10000, static_cast<int>(state.range(0))); }
BENCHMARK(BM_XgbDenseThreads)->Arg(2)->UseRealTime();

void BM_XgbDMatrix(benchmark::State& state) {
  const Xgb xgb(model_dir() + "/xgb_500.json");
  const ferry::RowMatrixXd X = rows(state.range(0));
  bst_ulong n = 0;
  for (auto _ : state) benchmark::DoNotOptimize(xgb.predict_dmatrix(X, &n));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_XgbDMatrix)->Arg(1)->Arg(10000);

#ifdef FERRY_WITH_ONNXRUNTIME
// The models make_tree_models.py writes as ONNX, and the output of each that ferry computes
// too: the regressors' values, the classifier's probabilities (rows x classes).
const char* const kOnnxModels[] = {"xgb_500", "rf_100", "hgb_clf_200"};

std::string onnx_output(const std::string& name) { return name == "hgb_clf_200" ? "probabilities" : "variable"; }

// Once, before timing, on the 10,000 rows, both given the same float32 values. ONNX Runtime
// compares them with float32 thresholds that make_tree_models.py chose to keep every decision
// of the trainer's, and adds the leaves in float32; ferry adds them in float64 (XGBoost's in
// float32, as XGBoost, in another order). What remains is float32 rounding over up to 600
// leaves, 1e-5 at most when measured on outputs up to about 6: 1e-5 x max(1, largest output)
// allows that, and is below what one row sent down the other branch of one tree would change.
void check_onnxruntime_parity(const std::string& name) {
  const bench::OrtPeer ort(model_dir() + "/" + name + ".onnx", 1, onnx_output(name));
  const ferry::RowMatrixXf X = model_rows(name, 10000).cast<float>();
  const ferry::Prediction p = load(name).predict(X);
  const ferry::RowMatrixXd& got = p.task == ferry::Task::kClassification ? p.probabilities : p.values;
  std::vector<float> want;
  ort.run(X.data(), X.rows(), X.cols(), want);
  if (static_cast<ferry::Index>(want.size()) != got.size())
    throw std::runtime_error(name + ": ONNX Runtime gives " + std::to_string(want.size()) + " outputs, ferry " +
                             std::to_string(got.size()));
  double scale = 0.0, worst = 0.0;
  ferry::Index at = 0;
  for (ferry::Index i = 0; i < got.size(); ++i) {
    scale = std::max(scale, std::abs(got.data()[i]));
    const double d = std::abs(got.data()[i] - static_cast<double>(want[static_cast<std::size_t>(i)]));
    if (!(d <= worst)) worst = d, at = i;
  }
  if (!(worst <= 1e-5 * std::max(scale, 1.0)))
    throw std::runtime_error(name + ": ferry and ONNX Runtime disagree by " + std::to_string(worst) + " at row " +
                             std::to_string(at / got.cols()) + " (outputs up to " + std::to_string(scale) + ")");
  std::fprintf(stderr, "%s: ONNX Runtime %s agrees with ferry within %.3g (outputs up to %.3g)\n", name.c_str(),
               bench::OrtPeer::version().c_str(), worst, scale);
}

// The rows are cast to float32 before timing: an ONNX Runtime host holds float32 already, and
// each Run wraps them without a copy.
void ort_run(benchmark::State& state, const std::string& name, ferry::Index n, int threads) {
  const bench::OrtPeer ort(model_dir() + "/" + name + ".onnx", threads, onnx_output(name));
  const ferry::RowMatrixXf X = model_rows(name, n).cast<float>();
  std::vector<float> out;
  for (auto _ : state) {
    ort.run(X.data(), X.rows(), X.cols(), out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
}

void BM_OnnxRuntime(benchmark::State& state, const std::string& name) { ort_run(state, name, state.range(0), 1); }
BENCHMARK_CAPTURE(BM_OnnxRuntime, xgb_500, std::string("xgb_500"))->Arg(1)->Arg(10000);
BENCHMARK_CAPTURE(BM_OnnxRuntime, rf_100, std::string("rf_100"))->Arg(1)->Arg(10000);
BENCHMARK_CAPTURE(BM_OnnxRuntime, hgb_clf_200, std::string("hgb_clf_200"))->Arg(1)->Arg(10000);

// Intra-op threads, ONNX Runtime's default spinning included.
void BM_OnnxRuntimeThreads(benchmark::State& state, const std::string& name) {
  ort_run(state, name, 10000, static_cast<int>(state.range(0)));
}
BENCHMARK_CAPTURE(BM_OnnxRuntimeThreads, xgb_500, std::string("xgb_500"))->Arg(2)->UseRealTime();
BENCHMARK_CAPTURE(BM_OnnxRuntimeThreads, rf_100, std::string("rf_100"))->Arg(2)->UseRealTime();
BENCHMARK_CAPTURE(BM_OnnxRuntimeThreads, hgb_clf_200, std::string("hgb_clf_200"))->Arg(2)->UseRealTime();
#endif

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
  try {
    check_xgboost_parity();
#ifdef FERRY_WITH_ONNXRUNTIME
    for (const char* name : kOnnxModels) check_onnxruntime_parity(name);
#endif
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tree_benchmark: no timing, the peers do not compute the same model: %s\n", e.what());
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
