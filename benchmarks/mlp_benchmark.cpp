// StandardScaler + MLPRegressor((64, 64), relu) on 32 inputs: ferry (float64) against ONNX
// Runtime's C API (float32, one thread) on the same fitted weights, same rows, same run;
// benchmarks/run_mlp makes the models and runs this.
//   FERRY_MLP_MODELS=<dir from make_mlp_models.py> mlp_benchmark
// Without ONNX Runtime (benchmarks/get_onnxruntime not run), only ferry is measured.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "ferry/ferry.hpp"
#ifdef FERRY_WITH_ONNXRUNTIME
#include "onnxruntime_peer.hpp"
#endif

namespace {

std::string model_dir() {
  const char* dir = std::getenv("FERRY_MLP_MODELS");
  if (dir == nullptr) throw std::runtime_error("set FERRY_MLP_MODELS to the output of make_mlp_models.py");
  return dir;
}

// Rows from the training distribution of make_mlp_models.py (column j: normal with scale
// 0.5 .. 20 and mean -5 .. 5), fixed seed.
ferry::RowMatrixXd rows(ferry::Index n) {
  ferry::RowMatrixXd X(n, 32);
  std::mt19937_64 rng(42);
  std::normal_distribution<double> normal;
  for (ferry::Index i = 0; i < n; ++i)
    for (ferry::Index j = 0; j < 32; ++j)
      X(i, j) = normal(rng) * (0.5 + 19.5 * static_cast<double>(j) / 31.0) + (-5.0 + 10.0 * static_cast<double>(j) / 31.0);
  return X;
}

void BM_Ferry(benchmark::State& state) {
  const ferry::Model model = ferry::Model::load(model_dir() + "/mlp.ferry");
  const ferry::RowMatrixXd X = rows(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(model.predict(X));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Ferry)->Arg(1)->Arg(10000);

#ifdef FERRY_WITH_ONNXRUNTIME
// Once, before timing: ONNX Runtime computes in float32, so its outputs match ferry's within
// float32 rounding through three layers; 1e-4 of the outputs' scale is far above that and far
// below what a different model would give.
void check_parity(const ferry::Model& model, const bench::OrtPeer& ort, const ferry::RowMatrixXd& X) {
  const ferry::RowMatrixXd got = model.predict(X).values;
  const std::vector<float> xf(X.data(), X.data() + X.size());
  std::vector<float> want;
  ort.run(xf.data(), X.rows(), X.cols(), want);
  if (static_cast<ferry::Index>(want.size()) != got.size()) throw std::runtime_error("ONNX Runtime: output size");
  double scale = 0.0, worst = 0.0;
  for (ferry::Index i = 0; i < got.size(); ++i) scale = std::max(scale, std::abs(got.data()[i]));
  for (ferry::Index i = 0; i < got.size(); ++i)
    worst = std::max(worst, std::abs(got.data()[i] - static_cast<double>(want[static_cast<std::size_t>(i)])));
  if (worst > 1e-4 * std::max(scale, 1.0))
    throw std::runtime_error("ferry and ONNX Runtime disagree by " + std::to_string(worst) + " (scale " +
                             std::to_string(scale) + ")");
  std::fprintf(stderr, "ONNX Runtime %s agrees with ferry within %.3g (outputs up to %.3g)\n",
               bench::OrtPeer::version().c_str(), worst, scale);
}

// The rows are cast to float32 before timing: an ONNX Runtime host holds float32 already, and
// each Run wraps them without a copy.
void BM_OnnxRuntime(benchmark::State& state) {
  const bench::OrtPeer ort(model_dir() + "/mlp.onnx");
  const ferry::RowMatrixXd X = rows(state.range(0));
  if (state.range(0) == 10000) check_parity(ferry::Model::load(model_dir() + "/mlp.ferry"), ort, X);
  const std::vector<float> xf(X.data(), X.data() + X.size());
  std::vector<float> out;
  for (auto _ : state) {
    ort.run(xf.data(), X.rows(), X.cols(), out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_OnnxRuntime)->Arg(1)->Arg(10000);
#endif

}  // namespace

BENCHMARK_MAIN();
