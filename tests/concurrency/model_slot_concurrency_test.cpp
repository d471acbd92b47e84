// Threads predicting through one ModelSlot while another thread swaps and rolls back many
// times: no call fails, and each answer is exactly what the one model it names computes.
// Built as its own binary (ctest label `concurrency`) and run under ThreadSanitizer in CI.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "ferry/model_slot.hpp"
#include "ferry/shadow.hpp"
#include "support/test_support.hpp"

namespace ferry::detail {
namespace {

// Two versions of the iris model that answer differently: "1.0.0" as shipped, and "2.0.0" with
// its coefficients and intercepts negated, so that it predicts the class "1.0.0" finds least
// likely (its test rows dropped, as they no longer hold).
struct Versions {
  std::vector<std::uint8_t> v1;
  std::vector<std::uint8_t> v2;
};

Versions make_versions() {
  Versions out;
  out.v1 = test::read_bytes(test::source_path("artifacts/iris/model.ferry"));
  test::EditableArtifact a = test::EditableArtifact::from_case("artifacts/iris");
  std::vector<double> coef = a.float64_of("estimator.coef");
  for (double& c : coef) c = -c;
  for (std::size_t i = 0; i < coef.size(); ++i) a.set_float64_at("estimator.coef", i, coef[i]);
  const std::vector<double> intercept = a.float64_of("estimator.intercept");
  for (std::size_t i = 0; i < intercept.size(); ++i) a.set_float64_at("estimator.intercept", i, -intercept[i]);
  a.drop_verification();
  a.header["metadata"]["version"] = "2.0.0";
  out.v2 = a.bytes();
  return out;
}

TEST(ModelSlotConcurrency, SwapsAndRollbacksUnderLoadGiveWholeAnswersFromOneModel) {
  const Versions versions = make_versions();
  const Model v1 = Model::from_bytes(versions.v1.data(), versions.v1.size());
  const Model v2 = Model::from_bytes(versions.v2.data(), versions.v2.size());
  // Every fourth row: all three classes.
  const RowMatrixXd all = test::case_input("artifacts/iris", v1);
  RowMatrixXd X(38, all.cols());
  for (Index i = 0; i < X.rows(); ++i) X.row(i) = all.row(4 * i);
  // What each version answers for the batch, computed before any thread starts.
  const std::map<std::string, Prediction> expected{{"1.0.0", v1.predict(X)}, {"2.0.0", v2.predict(X)}};
  ASSERT_NE(expected.at("1.0.0").class_index, expected.at("2.0.0").class_index);

  ModelSlot slot(v1);
  SwapOptions unverified;
  unverified.require_test_rows = false;

  constexpr int kReaders = 4;
  constexpr int kSwaps = 150;
  std::atomic<bool> done{false};
  std::atomic<int> failures{0}, torn{0}, reads{0};
  std::vector<std::map<std::string, int>> seen(kReaders);
  std::vector<std::thread> readers;
  for (int t = 0; t < kReaders; ++t)
    readers.emplace_back([&, t] {
      // Bounded in time as well as by the swapper, so a hang cannot outlive the test.
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
      while (!done.load() && std::chrono::steady_clock::now() < deadline) {
        try {
          const Model m = slot.current();
          const Prediction p = m.predict(X);
          const auto it = expected.find(p.model_version);
          if (it == expected.end() || p.model_content_id != m.metadata().content_id ||
              p.class_index != it->second.class_index || p.probabilities != it->second.probabilities) {
            ++torn;
          } else {
            ++seen[static_cast<std::size_t>(t)][p.model_version];
          }
          ++reads;
        } catch (...) {
          ++failures;
        }
      }
    });

  int swaps = 0, rollbacks = 0;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (int i = 0; i < kSwaps; ++i) {
    // Let the readers predict a few batches on each model before the next change, so that
    // every change lands among running calls.
    const int before = reads.load();
    while (reads.load() < before + kReaders && std::chrono::steady_clock::now() < give_up) std::this_thread::yield();
    // Alternate swaps from bytes with rollbacks, so the slot's history grows and shrinks.
    if (i % 3 == 2 && slot.history_size() > 0) {
      slot.rollback();
      ++rollbacks;
    } else if (i % 2 == 0) {
      slot.swap(versions.v2.data(), versions.v2.size(), unverified);
      ++swaps;
    } else {
      slot.swap(versions.v1.data(), versions.v1.size());
      ++swaps;
    }
  }
  done = true;
  for (std::thread& r : readers) r.join();

  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(slot.generation(), static_cast<std::uint64_t>(swaps + rollbacks));
  std::map<std::string, int> total;
  for (const auto& per_thread : seen)
    for (const auto& [version, n] : per_thread) total[version] += n;
  EXPECT_GT(total["1.0.0"], kSwaps / 2);
  EXPECT_GT(total["2.0.0"], kSwaps / 2);
}

TEST(ModelSlotConcurrency, RefusedSwapsDuringLoadLeaveTheServingModel) {
  const Model v1 = Model::load(test::source_path("artifacts/iris/model.ferry"));
  ModelSlot slot(v1);
  const RowMatrixXd X = test::case_input("artifacts/iris", v1).topRows(10);
  const Prediction want = v1.predict(X);
  // The diabetes model takes other columns: every swap to it is refused.
  const std::string other = test::source_path("artifacts/diabetes/model.ferry");
  std::atomic<bool> done{false};
  std::atomic<int> wrong{0};
  std::thread reader([&] {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!done.load() && std::chrono::steady_clock::now() < deadline) {
      const Prediction p = slot.current().predict(X);
      if (p.model_content_id != v1.metadata().content_id || p.class_index != want.class_index) ++wrong;
    }
  });
  int refused = 0;
  for (int i = 0; i < 20; ++i) {
    try {
      slot.swap(other);
    } catch (const Error& e) {
      refused += e.code() == ErrorCode::kSchema ? 1 : 0;
    }
  }
  done = true;
  reader.join();
  EXPECT_EQ(refused, 20);
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(slot.generation(), 0u);
}

TEST(ShadowConcurrency, CountsFromManyThreadsAddUp) {
  const Model v1 = Model::load(test::source_path("artifacts/iris/model.ferry"));
  const RowMatrixXd X = test::case_input("artifacts/iris", v1).topRows(25);
  const Prediction p = v1.predict(X);
  ShadowModel shadow(v1);
  constexpr int kThreads = 4, kBatches = 30;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < kBatches; ++i) shadow.observe(X, p);
    });
  for (std::thread& t : threads) t.join();
  const Agreement a = shadow.agreement();
  EXPECT_EQ(a.rows, static_cast<std::uint64_t>(kThreads * kBatches * 25));
  EXPECT_EQ(a.same_label, a.rows);
  EXPECT_EQ(a.max_abs_score_difference, 0.0);  // the same model on the same rows
  EXPECT_EQ(a.candidate_failed_rows, 0u);
}

}  // namespace
}  // namespace ferry::detail
