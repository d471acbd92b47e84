// ferry::ModelSlot: the model a long-running host serves, replaced without a restart.
#ifndef FERRY_MODEL_SLOT_HPP
#define FERRY_MODEL_SLOT_HPP

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "ferry/detail/config.hpp"
#include "ferry/model.hpp"

FERRY_BEGIN_NAMESPACE

struct SwapOptions {
  // Limits and logging of the load; its `verify` is ignored (a swap always verifies).
  LoadOptions load;
  // Refuse a candidate without embedded test rows: nothing would show that this library
  // reproduces scikit-learn's outputs for it before it answers requests.
  bool require_test_rows = true;
  // Accept a candidate whose inputs (names, order, kinds) or task differ from the serving
  // model's. Off by default: callers built for one schema would start failing or be misread.
  bool allow_schema_change = false;
};

// Holds the serving model. current() hands out a snapshot (a Model shares its immutable state),
// so a call that started on one model finishes on it whatever swaps happen meanwhile, and every
// answer comes from exactly one model. All members may be called from many threads at once.
//
// swap() loads the candidate, runs its embedded test rows (Error kVerification naming the row on
// a mismatch) and checks its schema against the serving model's (Error kSchema naming the first
// difference) before it replaces the serving model in one step. A candidate that fails any of
// this throws, and the serving model keeps serving: the slot is unchanged.
class FERRY_API ModelSlot {
 public:
  // `history`: how many replaced models rollback() can go back through (at least 1).
  explicit ModelSlot(Model initial, std::size_t history = 8);
  ~ModelSlot();
  ModelSlot(const ModelSlot&) = delete;
  ModelSlot& operator=(const ModelSlot&) = delete;

  // The serving model, as a snapshot.
  Model current() const;

  // Each returns the model now serving. Load errors are those of Model::load / from_bytes.
  Model swap(const std::string& path, const SwapOptions& options = {});
  Model swap(const void* data, std::size_t size, const SwapOptions& options = {});
  // An already loaded candidate: verified and checked the same way.
  Model swap(const Model& candidate, const SwapOptions& options = {});

  // Serves the model the last swap replaced again (the replaced one is dropped, not kept for a
  // roll forward) and returns it. Error(kUnsupported) when there is no earlier model.
  Model rollback();

  // Earlier models rollback() can still restore.
  std::size_t history_size() const;
  // Times the serving model changed (swaps and rollbacks), for logs and metrics.
  std::uint64_t generation() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

FERRY_END_NAMESPACE

#endif  // FERRY_MODEL_SLOT_HPP
