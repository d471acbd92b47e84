// TfidfVectorizer (50,000 terms, word 1-2 grams) + LogisticRegression: predict_proba per row,
// one row and batches; and HashingVectorizer (2^20 columns, word 1-2 grams) + LogisticRegression. The model and documents come from benchmarks/make_text_model.py
// (benchmarks/run_text makes them and prints scikit-learn's times beside these).
// The pipeline's rows are sparse, as scikit-learn's: a document costs its terms, not the
// vocabulary's 50,000 columns (docs/performance.md, "Text").
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "ferry/ferry.hpp"

namespace {

std::string dir() {
  const char* d = std::getenv("FERRY_TEXT_MODEL");
  return d != nullptr ? d : "build/release/text_model";
}

std::vector<std::string> documents() {
  std::ifstream in(dir() + "/docs.txt");
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

ferry::Table batch(ferry::Index rows) {
  const std::vector<std::string> docs = documents();
  std::vector<std::optional<std::string>> values;
  for (ferry::Index i = 0; i < rows; ++i) values.emplace_back(docs[static_cast<std::size_t>(i) % docs.size()]);
  ferry::Table t;
  t.add_text("text", std::move(values));
  return t;
}

void BM_TextPredictProba(benchmark::State& state) {
  const ferry::Model model = ferry::Model::load(dir() + "/model.ferry");
  const ferry::Table t = batch(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(model.predict_proba(t));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_TextPredictProba)->Arg(1)->Arg(100)->Arg(10000)->Unit(benchmark::kMicrosecond);

// Labels only: the same sparse path without the probabilities.
void BM_TextPredictLabels(benchmark::State& state) {
  const ferry::Model model = ferry::Model::load(dir() + "/model.ferry");
  const ferry::Table t = batch(state.range(0));
  ferry::RowMatrixXd out(state.range(0), 1);
  for (auto _ : state) model.compute(ferry::Model::Output::kPredict, t, out);
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_TextPredictLabels)->Arg(1)->Arg(10000)->Unit(benchmark::kMicrosecond);

// The hashing trick: no vocabulary, a MurmurHash3 per term, 2^20 sparse columns.
void BM_HashingPredictProba(benchmark::State& state) {
  const ferry::Model model = ferry::Model::load(dir() + "/hashing.ferry");
  const ferry::Table t = batch(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(model.predict_proba(t));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_HashingPredictProba)->Arg(1)->Arg(10000)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
