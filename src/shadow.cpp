#include "ferry/shadow.hpp"

#include <cmath>
#include <limits>
#include <mutex>

#include <fmt/format.h>

#include "ferry/error.hpp"

FERRY_BEGIN_NAMESPACE

double Agreement::label_agreement() const noexcept {
  if (confusion.empty() || rows == 0) return std::numeric_limits<double>::quiet_NaN();
  return static_cast<double>(same_label) / static_cast<double>(rows);
}

struct AgreementCounter::State {
  mutable std::mutex mutex;
  Agreement totals;
  double abs_difference_sum = 0.0;  // the mean is kept as a sum until a snapshot
};

namespace {

bool same_classes(const ClassLabels& a, const ClassLabels& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a.to_string(i) != b.to_string(i)) return false;
  return true;
}

// Which matrices of two predictions to compare, and under what name; null when none fit.
struct Compared {
  const char* name = "";
  const RowMatrixXd* primary = nullptr;
  const RowMatrixXd* candidate = nullptr;
};

Compared comparable(const Prediction& p, const Prediction& c) {
  if (p.task != c.task) return {};
  if (p.task == Task::kRegression)
    return p.values.cols() == c.values.cols() ? Compared{"values", &p.values, &c.values} : Compared{};
  if (p.probabilities.cols() > 0 && p.probabilities.cols() == c.probabilities.cols() && same_classes(p.classes, c.classes))
    return {"probabilities", &p.probabilities, &c.probabilities};
  if (p.scores.cols() == c.scores.cols()) return {"scores", &p.scores, &c.scores};
  return {};
}

}  // namespace

AgreementCounter::AgreementCounter() : state_(std::make_unique<State>()) {}
AgreementCounter::~AgreementCounter() = default;

void AgreementCounter::add(const Prediction& primary, const Prediction& candidate) {
  if (primary.rows() != candidate.rows())
    throw Error(ErrorCode::kShape, fmt::format("the primary prediction has {} rows, the candidate's {}", primary.rows(),
                                               candidate.rows()));
  // Everything is computed before the lock, so that threads only queue to add it up.
  const bool classifiers = primary.task == Task::kClassification && candidate.task == Task::kClassification;
  std::map<std::string, std::map<std::string, std::uint64_t>> confusion;
  std::uint64_t same = 0;
  if (classifiers)
    for (Index i = 0; i < primary.rows(); ++i) {
      std::string a = primary.label_text(i);
      std::string b = candidate.label_text(i);
      same += a == b ? 1 : 0;
      ++confusion[std::move(a)][std::move(b)];
    }
  const Compared compared = comparable(primary, candidate);
  double sum = 0.0, max = 0.0;
  std::uint64_t entries = 0;
  if (compared.primary != nullptr) {
    const auto diff = (*compared.primary - *compared.candidate).cwiseAbs();
    entries = static_cast<std::uint64_t>(diff.size());
    sum = diff.sum();
    max = diff.size() > 0 ? diff.maxCoeff() : 0.0;
  }

  std::lock_guard<std::mutex> lock(state_->mutex);
  Agreement& t = state_->totals;
  t.rows += static_cast<std::uint64_t>(primary.rows());
  t.same_label += same;
  for (auto& [a, row] : confusion)
    for (auto& [b, n] : row) t.confusion[a][b] += n;
  if (entries > 0) {
    // The first comparable batch names what is compared; a later batch of another kind (a
    // swapped model) is still counted, and the name then says "mixed".
    if (t.score.empty()) {
      t.score = compared.name;
    } else if (t.score != compared.name) {
      t.score = "mixed";
    }
    t.score_entries += entries;
    state_->abs_difference_sum += sum;
    t.max_abs_score_difference = std::max(t.max_abs_score_difference, max);
  }
}

void AgreementCounter::add_failure(Index rows, const std::string& message) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->totals.candidate_failed_rows += static_cast<std::uint64_t>(std::max<Index>(rows, 0));
  state_->totals.last_candidate_error = message;
}

Agreement AgreementCounter::snapshot() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  Agreement a = state_->totals;
  a.mean_abs_score_difference =
      a.score_entries > 0 ? state_->abs_difference_sum / static_cast<double>(a.score_entries) : 0.0;
  return a;
}

ShadowModel::ShadowModel(Model candidate)
    : candidate_(std::move(candidate)), counter_(std::make_shared<AgreementCounter>()) {}

void ShadowModel::observe(const Input& input, const Prediction& primary, const PredictOptions& options) noexcept {
  try {
    const Prediction c = candidate_.predict(input, options);
    counter_->add(primary, c);
  } catch (const std::exception& e) {
    try {
      counter_->add_failure(primary.rows(), e.what());
    } catch (...) {  // out of memory for the message: the count is lost, the host is not
    }
  }
}

FERRY_END_NAMESPACE
