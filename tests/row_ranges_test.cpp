// Rows split over threads (src/row_ranges.hpp): every row once, errors in row order, and no
// terminate when the system refuses a thread.
#include "row_ranges.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace ferry::detail {
namespace {

// Counts how often each row is visited.
struct Visits {
  explicit Visits(Index rows) : count(static_cast<std::size_t>(rows)) {}
  void operator()(Index begin, Index end) {
    for (Index i = begin; i < end; ++i) ++count[static_cast<std::size_t>(i)];
  }
  std::vector<std::atomic<int>> count;
};

void expect_each_row_once(const Visits& v) {
  for (std::size_t i = 0; i < v.count.size(); ++i) EXPECT_EQ(v.count[i].load(), 1) << "row " << i;
}

TEST(RowRanges, EveryRowExactlyOnce) {
  for (Index rows : {0, 1, 7, 64, 1000})
    for (int threads : {1, 2, 3, 8})
      for (Index min_rows : {1, 16, 256}) {
        Visits v(rows);
        run_row_ranges(rows, Parallel{threads}, [&v](Index b, Index e) { v(b, e); }, min_rows);
        expect_each_row_once(v);
      }
}

// Stands in for a system out of threads: the first `allowed` threads start, then it throws.
struct FailingStart {
  int* started;
  int allowed;
  template <typename Task>
  std::thread operator()(Task&& task) const {
    if (*started >= allowed) throw std::system_error(std::make_error_code(std::errc::resource_unavailable_try_again));
    ++*started;
    return std::thread(std::forward<Task>(task));
  }
};

TEST(RowRanges, RangesWhoseThreadCannotStartRunOnTheCallingThread) {
  for (int allowed : {0, 1, 2}) {
    int started = 0;
    Visits v(100);
    std::mutex m;
    std::vector<std::thread::id> ids;
    run_row_ranges(
        100, Parallel{4},
        [&](Index b, Index e) {
          v(b, e);
          std::lock_guard<std::mutex> lock(m);
          ids.push_back(std::this_thread::get_id());
        },
        1, FailingStart{&started, allowed});
    expect_each_row_once(v);
    EXPECT_EQ(started, allowed);
    EXPECT_EQ(ids.size(), 4u);
    // The calling thread ran range 0 and every range whose thread did not start.
    EXPECT_EQ(std::count(ids.begin(), ids.end(), std::this_thread::get_id()), 4 - allowed) << allowed;
  }
}

TEST(RowRanges, RethrowsTheErrorOfTheFirstFailingRange) {
  for (int allowed : {0, 3}) {
    int started = 0;
    try {
      run_row_ranges(
          100, Parallel{4},
          [](Index b, Index) {
            if (b >= 50) throw std::runtime_error("range at " + std::to_string(b));
          },
          1, FailingStart{&started, allowed});
      ADD_FAILURE() << "no error";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "range at 50");
    }
  }
}

// The host's executor gets the ranges as its tasks; ferry starts no thread of its own.
TEST(RowRanges, RunsOnTheHostsExecutor) {
  std::size_t calls = 0, tasks = 0;
  const Executor executor = [&](std::size_t n, const std::function<void(std::size_t)>& task) {
    ++calls;
    tasks = n;
    for (std::size_t i = n; i-- > 0;) task(i);  // any order, here the calling thread
  };
  Visits v(100);
  int started = 0;
  run_row_ranges(100, Parallel{3, &executor}, [&v](Index b, Index e) { v(b, e); }, 1, FailingStart{&started, 0});
  expect_each_row_once(v);
  EXPECT_EQ(calls, 1u);
  EXPECT_EQ(tasks, 3u);
  EXPECT_EQ(started, 0);
  // An empty executor means ferry's own threads.
  const Executor none;
  Visits w(100);
  run_row_ranges(100, Parallel{3, &none}, [&w](Index b, Index e) { w(b, e); });
  expect_each_row_once(w);
}

}  // namespace
}  // namespace ferry::detail
