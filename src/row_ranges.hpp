// Splitting a batch of rows over threads: contiguous ranges, one per thread, so that each
// row's result is computed exactly as a single thread would compute it.
#ifndef FERRY_SRC_ROW_RANGES_HPP
#define FERRY_SRC_ROW_RANGES_HPP

#include <algorithm>
#include <exception>
#include <thread>
#include <vector>

#include "ferry/matrix.hpp"

namespace ferry {

// Calls f(begin, end) on up to `threads` contiguous ranges covering [0, rows), concurrently
// when there is more than one; a range never holds fewer than min_rows rows unless it is the
// only one. Rethrows the error of the first range that failed: the one a single thread would
// have met first.
template <typename F>
void run_row_ranges(Index rows, int threads, F&& f, Index min_rows = 1) {
  const Index n = std::max<Index>(1, std::min<Index>(threads, rows / std::max<Index>(min_rows, 1)));
  if (n == 1) return f(Index(0), rows);
  const Index chunk = (rows + n - 1) / n;
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(n));
  std::vector<std::thread> pool;
  pool.reserve(static_cast<std::size_t>(n));
  for (Index c = 0; c < n; ++c) {
    const Index begin = std::min(c * chunk, rows), end = std::min(begin + chunk, rows);
    pool.emplace_back([&f, &errors, c, begin, end] {
      try {
        f(begin, end);
      } catch (...) {
        errors[static_cast<std::size_t>(c)] = std::current_exception();
      }
    });
  }
  for (std::thread& t : pool) t.join();
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace ferry

#endif  // FERRY_SRC_ROW_RANGES_HPP
