// How Model runs a batch: options shared by every entry point (ExplainOptions adds its own).
#ifndef FERRY_OPTIONS_HPP
#define FERRY_OPTIONS_HPP

#include <cstddef>
#include <functional>

#include "ferry/detail/config.hpp"

FERRY_BEGIN_NAMESPACE

// Runs ferry's parallel work on the host's own threads (a pool it already has): called with n
// tasks, it must call task(i) exactly once for every i in [0, n), on any threads and in any
// order, and return when all have returned. The tasks do not throw.
using Executor = std::function<void(std::size_t n, const std::function<void(std::size_t)>& task)>;

// The choices never change a result: the same bits on one thread or many.
struct PredictOptions {
  // Threads for a large batch (rows are split into contiguous chunks); 1 computes on the
  // calling thread. Estimators whose per-row work is small ignore it.
  int threads = 1;
  // When set, the chunks run on it instead of on threads ferry starts (at most `threads`
  // chunks). A thread ferry cannot start is never an error: its chunk runs on the caller.
  Executor executor;
  // Named input: make a table column the model does not take an error (Error(kSchema)), so a
  // misspelt optional column fails loudly instead of being counted in Prediction::warnings.
  bool strict = false;
};

FERRY_END_NAMESPACE

#endif  // FERRY_OPTIONS_HPP
