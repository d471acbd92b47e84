// Path-dependent TreeSHAP: ferry's tree_ensemble shap() and shap_interactions() against XGBoost's
// own pred_contribs and pred_interactions through its C API (nthread=1), same model (make_tree_models.py's XGBoost 500
// trees depth 6 on 32 features), same rows, same run. benchmarks/run_tree_shap makes the models and runs this.
//   FERRY_TREE_MODELS=<dir from make_tree_models.py> tree_shap_benchmark
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <set>
#include <stdexcept>
#include <string>

#include "artifact/artifact.hpp"
#include "explain/tree_shap.hpp"
#include "models/estimator.hpp"
#include "models/registry.hpp"
#include "pipeline/step_inputs.hpp"
#include "xgboost_peer.hpp"

namespace {

using bench::model_dir;
using bench::rows;

// The exported model's estimator (the model has no preprocessing: it sees the rows as given).
std::unique_ptr<ferry::Estimator> load_estimator(const std::string& path) {
  const std::vector<std::uint8_t> bytes = ferry::artifact::read_file(path);
  const ferry::artifact::Artifact a = ferry::artifact::read(bytes.data(), bytes.size());
  std::set<std::string> used;
  return ferry::make_estimator(ferry::StepInputs(a.header["estimator"], "estimator", a, used));
}

// XGBoost 1.7's inplace prediction has no contributions (type 2 is refused), so the DMatrix path.
struct Xgb : bench::XgbBooster {
  using XgbBooster::XgbBooster;
  const float* contribs(const ferry::RowMatrixXd& X, bst_ulong* n_out) const {
    return predict_dmatrix(X, 4 /* pred_contribs */, n_out);
  }
  const float* interactions(const ferry::RowMatrixXd& X, bst_ulong* n_out) const {
    return predict_dmatrix(X, 16 /* pred_interactions */, n_out);
  }
};

// Once, before timing: both sides must give the same attributions (to float32 precision).
void check_parity(const ferry::Estimator& est, const Xgb& xgb, const ferry::RowMatrixXd& X) {
  bst_ulong n = 0;
  const float* want = xgb.contribs(X, &n);
  ferry::RowMatrixXd phi;
  est.shap(X, phi);
  if (static_cast<bst_ulong>(phi.size()) != n) throw std::runtime_error("ferry and XGBoost contribs differ in size");
  double worst = 0.0;
  for (ferry::Index i = 0; i < phi.size(); ++i) worst = std::max(worst, std::abs(phi.data()[i] - want[i]));
  if (worst > 1e-4) throw std::runtime_error("ferry and XGBoost contribs disagree by " + std::to_string(worst));
  std::fprintf(stderr, "parity on %lld rows: max |ferry - xgboost| = %.3g\n", static_cast<long long>(X.rows()), worst);
}

void BM_FerryShap(benchmark::State& state) {
  const std::unique_ptr<ferry::Estimator> est = load_estimator(model_dir() + "/xgb_500.ferry");
  const ferry::RowMatrixXd X = rows(state.range(0));
  {
    const Xgb xgb(model_dir() + "/xgb_500.json");
    check_parity(*est, xgb, rows(std::min<ferry::Index>(state.range(0), 200)));
  }
  ferry::RowMatrixXd phi;
  for (auto _ : state) {
    est->shap(X, phi);
    benchmark::DoNotOptimize(phi.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_FerryShap)->Arg(1)->Arg(1000)->Unit(benchmark::kMillisecond);

// The test oracle (EXTEND/UNWIND recursion with the path copied per level), for the record.
void BM_FerryShapReference(benchmark::State& state) {
  const std::unique_ptr<ferry::Estimator> est = load_estimator(model_dir() + "/xgb_500.ferry");
  const ferry::CompactForest& forest = *ferry::tree_ensemble_forest(*est);
  const ferry::RowMatrixXd X = rows(state.range(0));
  ferry::RowMatrixXd phi(X.rows(), (X.cols() + 1) * forest.n_scores());
  for (auto _ : state) {
    ferry::explain::tree_shap_reference(forest, X.data(), X.rows(), X.cols(), phi.data());
    benchmark::DoNotOptimize(phi.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_FerryShapReference)->Arg(100)->Unit(benchmark::kMillisecond);

void BM_XgbContribs(benchmark::State& state) {
  const Xgb xgb(model_dir() + "/xgb_500.json");
  const ferry::RowMatrixXd X = rows(state.range(0));
  bst_ulong n = 0;
  for (auto _ : state) benchmark::DoNotOptimize(xgb.contribs(X, &n));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_XgbContribs)->Arg(1)->Arg(1000)->Unit(benchmark::kMillisecond);

// SHAP interaction values: ferry's shap_interactions against XGBoost's pred_interactions. Few
// rows: a row costs about 2 × 33 TreeSHAP runs on XGBoost's side.
void BM_FerryInteractions(benchmark::State& state) {
  const std::unique_ptr<ferry::Estimator> est = load_estimator(model_dir() + "/xgb_500.ferry");
  const ferry::RowMatrixXd X = rows(state.range(0));
  {
    const Xgb xgb(model_dir() + "/xgb_500.json");
    bst_ulong n = 0;
    const float* want = xgb.interactions(X, &n);
    ferry::RowMatrixXd phi;
    est->shap_interactions(X, phi);
    if (static_cast<bst_ulong>(phi.size()) != n)
      throw std::runtime_error("ferry and XGBoost interactions differ in size");
    double worst = 0.0;
    for (ferry::Index i = 0; i < phi.size(); ++i) worst = std::max(worst, std::abs(phi.data()[i] - want[i]));
    if (worst > 1e-4) throw std::runtime_error("ferry and XGBoost interactions disagree by " + std::to_string(worst));
    std::fprintf(stderr, "interactions parity on %lld rows: max |ferry - xgboost| = %.3g\n",
                 static_cast<long long>(X.rows()), worst);
  }
  ferry::RowMatrixXd phi;
  for (auto _ : state) {
    est->shap_interactions(X, phi);
    benchmark::DoNotOptimize(phi.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_FerryInteractions)->Arg(10)->Unit(benchmark::kMillisecond);

void BM_XgbInteractions(benchmark::State& state) {
  const Xgb xgb(model_dir() + "/xgb_500.json");
  const ferry::RowMatrixXd X = rows(state.range(0));
  bst_ulong n = 0;
  for (auto _ : state) benchmark::DoNotOptimize(xgb.interactions(X, &n));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_XgbInteractions)->Arg(10)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
