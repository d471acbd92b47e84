// Shadow mode: a candidate model answers the same inputs as the serving model, without its
// answers going anywhere, and how far the two agree is accumulated.
#ifndef FERRY_SHADOW_HPP
#define FERRY_SHADOW_HPP

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "ferry/detail/config.hpp"
#include "ferry/input.hpp"
#include "ferry/model.hpp"
#include "ferry/options.hpp"
#include "ferry/prediction.hpp"

FERRY_BEGIN_NAMESPACE

// How two models' predictions of the same rows compare.
struct Agreement {
  std::uint64_t rows = 0;  // rows both models predicted
  // Classifiers: rows where both predicted the same label (compared as text, so models with
  // differently typed labels still compare).
  std::uint64_t same_label = 0;
  // What the score differences are of: "probabilities" (two classifiers with the same classes
  // and predict_proba), "scores" (raw scores of equal width otherwise), "values" (two
  // regressors with as many targets), or "" when nothing comparable was found.
  std::string score;
  std::uint64_t score_entries = 0;  // entries compared (rows x columns)
  double mean_abs_score_difference = 0.0;
  double max_abs_score_difference = 0.0;
  // Classifiers: rows per (primary label, candidate label).
  std::map<std::string, std::map<std::string, std::uint64_t>> confusion;
  // Rows the candidate refused (an Error) while the primary answered; not in `rows`.
  std::uint64_t candidate_failed_rows = 0;
  std::string last_candidate_error;

  // same_label / rows for two classifiers; NaN when nothing was compared.
  double label_agreement() const noexcept;
};

// Accumulates Agreement over many batches; add() may be called from many threads at once.
class FERRY_API AgreementCounter {
 public:
  AgreementCounter();
  ~AgreementCounter();
  AgreementCounter(const AgreementCounter&) = delete;
  AgreementCounter& operator=(const AgreementCounter&) = delete;

  // Error(kShape) when the two do not hold the same number of rows.
  void add(const Prediction& primary, const Prediction& candidate);
  void add_failure(Index rows, const std::string& message);
  Agreement snapshot() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// A candidate model run in the shadow of the serving one.
class FERRY_API ShadowModel {
 public:
  explicit ShadowModel(Model candidate);
  const Model& candidate() const noexcept { return candidate_; }
  // Predicts `input` with the candidate and compares with the primary model's `primary`
  // prediction of it. Never throws for the candidate's sake: its refusal is counted in
  // Agreement::candidate_failed_rows. Safe to call from many threads at once.
  void observe(const Input& input, const Prediction& primary, const PredictOptions& options = {}) noexcept;
  Agreement agreement() const { return counter_->snapshot(); }

 private:
  Model candidate_;
  std::shared_ptr<AgreementCounter> counter_;
};

FERRY_END_NAMESPACE

#endif  // FERRY_SHADOW_HPP
