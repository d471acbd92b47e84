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
#include "models/tree_shap.hpp"
#include "ferry/model.hpp"
#include "models/estimator.hpp"
#include "models/registry.hpp"
#include "pipeline/step_inputs.hpp"
#include "xgboost_peer.hpp"

namespace {

using bench::model_dir;
using bench::rows;

// The exported model's estimator (the model has no preprocessing: it sees the rows as given).
std::unique_ptr<ferry::detail::Estimator> load_estimator(const std::string& path) {
  const std::vector<std::uint8_t> bytes = ferry::detail::artifact::read_file(path);
  const ferry::detail::artifact::Artifact a = ferry::detail::artifact::read(bytes.data(), bytes.size());
  std::set<std::string> used;
  return ferry::detail::make_estimator(ferry::detail::StepInputs(a.header["estimator"], "estimator", a, used));
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
void check_parity(const ferry::detail::Estimator& est, const Xgb& xgb, const ferry::RowMatrixXd& X) {
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

// Args: trees (the xgb_<trees> model), rows.
void BM_FerryShap(benchmark::State& state) {
  const std::string model = model_dir() + "/xgb_" + std::to_string(state.range(0));
  const std::unique_ptr<ferry::detail::Estimator> est = load_estimator(model + ".ferry");
  const ferry::RowMatrixXd X = rows(state.range(1));
  {
    const Xgb xgb(model + ".json");
    check_parity(*est, xgb, rows(std::min<ferry::Index>(state.range(1), 200)));
  }
  ferry::RowMatrixXd phi;
  for (auto _ : state) {
    est->shap(X, phi);
    benchmark::DoNotOptimize(phi.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(1));
}
BENCHMARK(BM_FerryShap)->Args({500, 1})->Args({500, 1000})->Args({100, 10000})->Unit(benchmark::kMillisecond);

// The whole Model::explain (validation, grouping into raw columns, the result's matrices) on
// 10,000 rows over 1 and 2 threads: wall-clock time, since the work is split.
void BM_ExplainThreads(benchmark::State& state) {
  const ferry::Model model = ferry::Model::load(model_dir() + "/xgb_100.ferry");
  const ferry::RowMatrixXd X = rows(10000);
  ferry::ExplainOptions options;
  options.threads = static_cast<int>(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(model.explain(X, options).values.data());
  state.SetItemsProcessed(state.iterations() * X.rows());
}
BENCHMARK(BM_ExplainThreads)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

// Model-agnostic SHAP on a pipeline no closed form covers (StandardScaler, PCA(3), multinomial
// LogisticRegression on 6 columns; 16 background rows): exact enumeration of the 2^6
// coalitions and antithetic sampling with the default 64 orderings, per row.
void BM_ExplainModelAgnostic(benchmark::State& state) {
  const std::string dir = std::string(FERRY_SOURCE_DIR) + "/tests/data/shap_agnostic_pca_multiclass";
  const ferry::Model model = ferry::Model::load(dir + "/model.ferry");
  const ferry::RowMatrixXd X = rows(8).leftCols(6);
  ferry::ExplainOptions options;
  options.method = state.range(0) == 0 ? ferry::ExplainOptions::Method::kInterventional
                                       : ferry::ExplainOptions::Method::kSampling;
  for (auto _ : state) benchmark::DoNotOptimize(model.explain(X, options).values.data());
  state.SetItemsProcessed(state.iterations() * X.rows());
  state.SetLabel(state.range(0) == 0 ? "exact" : "sampling");
}
BENCHMARK(BM_ExplainModelAgnostic)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// The test oracle (EXTEND/UNWIND recursion with the path copied per level), for the record.
void BM_FerryShapReference(benchmark::State& state) {
  const std::unique_ptr<ferry::detail::Estimator> est = load_estimator(model_dir() + "/xgb_500.ferry");
  const ferry::detail::CompactForest& forest = *ferry::detail::tree_ensemble_forest(*est);
  const ferry::RowMatrixXd X = rows(state.range(0));
  ferry::RowMatrixXd phi(X.rows(), (X.cols() + 1) * forest.n_scores());
  for (auto _ : state) {
    ferry::detail::explain::tree_shap_reference(forest, X.data(), X.rows(), X.cols(), phi.data());
    benchmark::DoNotOptimize(phi.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_FerryShapReference)->Arg(100)->Unit(benchmark::kMillisecond);

// Interventional TreeSHAP (models/tree_shap_interventional.hpp) against 100 equally weighted
// background rows, every column its own group: O(rows x background x visited nodes), so a
// few rows make a run; XGBoost has no such method to compare with.
void BM_FerryInterventional(benchmark::State& state) {
  const std::unique_ptr<ferry::detail::Estimator> est = load_estimator(model_dir() + "/xgb_500.ferry");
  constexpr ferry::Index kBackground = 100;
  const ferry::RowMatrixXd all = rows(kBackground + state.range(0));
  const ferry::RowMatrixXd background = all.topRows(kBackground), X = all.bottomRows(state.range(0));
  const Eigen::VectorXd weights = Eigen::VectorXd::Constant(kBackground, 1.0 / kBackground);
  std::vector<ferry::Index> group(static_cast<std::size_t>(X.cols()));
  for (ferry::Index f = 0; f < X.cols(); ++f) group[static_cast<std::size_t>(f)] = f;
  ferry::RowMatrixXd phi;
  for (auto _ : state) {
    est->shap_interventional(X, background, weights, group, X.cols(), phi);
    benchmark::DoNotOptimize(phi.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["background"] = static_cast<double>(kBackground);
}
BENCHMARK(BM_FerryInterventional)->Arg(10)->Unit(benchmark::kMillisecond);

void BM_XgbContribs(benchmark::State& state) {
  const Xgb xgb(model_dir() + "/xgb_" + std::to_string(state.range(0)) + ".json");
  const ferry::RowMatrixXd X = rows(state.range(1));
  bst_ulong n = 0;
  for (auto _ : state) benchmark::DoNotOptimize(xgb.contribs(X, &n));
  state.SetItemsProcessed(state.iterations() * state.range(1));
}
BENCHMARK(BM_XgbContribs)->Args({500, 1})->Args({500, 1000})->Args({100, 10000})->Unit(benchmark::kMillisecond);

// SHAP interaction values: ferry's shap_interactions against XGBoost's pred_interactions. Few
// rows: a row costs about 2 × 33 TreeSHAP runs on XGBoost's side.
void BM_FerryInteractions(benchmark::State& state) {
  const std::unique_ptr<ferry::detail::Estimator> est = load_estimator(model_dir() + "/xgb_500.ferry");
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
