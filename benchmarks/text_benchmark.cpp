// TfidfVectorizer (50,000 terms, word 1-2 grams) + LogisticRegression: predict_proba per row,
// one row and batches. The model and documents come from benchmarks/make_text_model.py
// (benchmarks/run_text makes them and prints scikit-learn's times beside these).
// The pipeline's rows are dense: the vectorizer writes a 50,000-wide row of float64 per
// document, and the linear model multiplies the whole row, so the cost per row grows with the
// vocabulary (docs/performance.md, "Text").
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
BENCHMARK(BM_TextPredictProba)->Arg(1)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);

// The vectorizer alone (tokenize, count, weight, and the dense 50,000-wide row).
void BM_TextTransform(benchmark::State& state) {
  const ferry::Model model = ferry::Model::load(dir() + "/model.ferry");
  const ferry::Table t = batch(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(model.transform(t));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_TextTransform)->Arg(1)->Arg(1000)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
