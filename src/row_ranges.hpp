// Splitting a batch of rows over threads: contiguous ranges, one per thread, so that each
// row's result is computed exactly as a single thread would compute it.
#ifndef FERRY_SRC_ROW_RANGES_HPP
#define FERRY_SRC_ROW_RANGES_HPP

#include <algorithm>
#include <exception>
#include <thread>
#include <utility>
#include <vector>

#include "ferry/matrix.hpp"
#include "ferry/options.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {

// Where a batch's ranges run: up to `threads` of them, on the host's executor when it gave one.
struct Parallel {
  int threads = 1;
  const Executor* executor = nullptr;  // null or empty: threads ferry starts
  static Parallel of(const PredictOptions& o) noexcept { return {o.threads, &o.executor}; }
};

// How run_row_ranges starts a thread; tests stand in one that fails.
struct StartThread {
  template <typename Task>
  std::thread operator()(Task&& task) const {
    return std::thread(std::forward<Task>(task));
  }
};

// run(0) .. run(n - 1): run(0) here, the others on threads from `start` while it gives them.
template <typename Run, typename Start>
void start_and_run(Index n, Run& run, Start& start) {
  std::vector<std::thread> pool;
  pool.reserve(static_cast<std::size_t>(n - 1));
  Index c = 1;
  try {
    for (; c < n; ++c) pool.push_back(start([&run, c] { run(c); }));
  } catch (...) {
    // Out of threads (std::system_error) or of memory for one: ranges c.. run here, below,
    // and the threads started are still joined.
  }
  run(0);
  for (Index rest = c; rest < n; ++rest) run(rest);
  for (std::thread& t : pool) t.join();
}

// Calls f(begin, end) on up to `parallel.threads` contiguous ranges covering [0, rows),
// concurrently when there is more than one; a range never holds fewer than min_rows rows unless
// it is the only one. With an executor, the ranges are its tasks. Otherwise the first range runs
// on the calling thread, and a thread that cannot be started (the system's limit) is not an
// error: its range and the ones after it run on the calling thread, and the threads already
// started are joined, so the result is the same. Rethrows the error of the first range that
// failed: the one a single thread would have met first.
template <typename F, typename Start = StartThread>
void run_row_ranges(Index rows, Parallel parallel, F&& f, Index min_rows = 1, Start start = {}) {
  const Index n = std::max<Index>(1, std::min<Index>(parallel.threads, rows / std::max<Index>(min_rows, 1)));
  if (n == 1) return f(Index(0), rows);
  const Index chunk = (rows + n - 1) / n;
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(n));
  auto run = [&f, &errors, chunk, rows](Index c) {
    const Index begin = std::min(c * chunk, rows), end = std::min(begin + chunk, rows);
    try {
      f(begin, end);
    } catch (...) {
      errors[static_cast<std::size_t>(c)] = std::current_exception();
    }
  };
  if (parallel.executor != nullptr && *parallel.executor) {
    (*parallel.executor)(static_cast<std::size_t>(n), [&run](std::size_t c) { run(static_cast<Index>(c)); });
  } else {
    start_and_run(n, run, start);
  }
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace detail
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_ROW_RANGES_HPP
