// ferry::Monitor: compares served traffic with the baselines the exporter stored in the
// artifact (docs/format.md §3.6) and reports drift per input column and model output.
#ifndef FERRY_MONITOR_HPP
#define FERRY_MONITOR_HPP

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ferry/detail/config.hpp"
#include "ferry/input.hpp"
#include "ferry/matrix.hpp"
#include "ferry/model.hpp"
#include "ferry/prediction.hpp"

FERRY_BEGIN_NAMESPACE

enum class DriftLevel { ok, warn, alert };

// Short lowercase name: "ok", "warn", "alert".
FERRY_API const char* to_string(DriftLevel level) noexcept;

struct MonitorOptions {
  // Population stability index thresholds: psi >= psi_warn is a warning, >= psi_alert an alert.
  double psi_warn = 0.1;
  double psi_alert = 0.25;
  // An output whose current mean lies more than this many training standard deviations from
  // its training mean is an alert.
  double mean_shift_alert = 2.0;
  // Added to every bin count, training and current alike, before the shares are taken, so an
  // empty bin gives a finite PSI term: share_i = (n_i + s) / (N + s * bins).
  double smoothing = 0.5;
  // 0: every row observed since construction or reset(). N > 0: only the last N rows observed
  // (a fixed ring of N rows' bin indices; memory grows with N, never with the rows observed).
  Index window = 0;
};

// One input column, or one model output, compared with its training baseline.
struct ColumnDrift {
  std::string name;
  bool text = false;  // a text (categorical) input column
  double psi = 0.0;   // over `bins`; 0 while no row has been observed
  DriftLevel level = DriftLevel::ok;
  // Bin labels and the shares of training and current rows in each (unsmoothed; shares of all
  // rows, so a column's bins sum to 1). Numeric inputs: quantile bins of the training sample,
  // the outer ones open-ended, then "missing". Text inputs: the most frequent training
  // categories, "other" (the rest, and every category not seen in training), then "missing".
  // Outputs: quantile bins only. Predicted classes: one bin per class.
  std::vector<std::string> bins;
  std::vector<double> training_share;
  std::vector<double> current_share;
  double training_missing_rate = 0.0;
  double current_missing_rate = 0.0;
  double missing_rate_change = 0.0;  // current - training
  // Numeric inputs: share of the current present values outside the training [min, max].
  double outside_range = 0.0;
  // Text inputs: share of the current present values that are no training category.
  double unseen = 0.0;
};

// A model output (class probability, decision score or predicted value).
struct OutputDrift : ColumnDrift {
  double training_mean = 0.0;
  double training_std = 0.0;
  double current_mean = 0.0;
  // (current_mean - training_mean) / training_std; infinite when the training values were
  // constant and the mean moved, 0 while no row has been observed.
  double mean_shift = 0.0;
};

struct DriftReport {
  Index rows = 0;  // rows the report covers
  std::string model_name;
  std::string model_version;
  DriftLevel level = DriftLevel::ok;  // the worst level below
  std::vector<ColumnDrift> columns;   // in schema order
  std::vector<OutputDrift> outputs;
  std::optional<ColumnDrift> classes;  // predicted class frequencies (classifiers)
};

// Collects drift statistics of served rows in fixed-size state. observe() may be called from
// many threads at once, and concurrently with report() and reset().
class FERRY_API Monitor {
 public:
  // Throws Error(kUnsupported) naming the model when its artifact holds no baselines (it was
  // exported without X_sample, or with baseline_bins=0), Error(kValue) for invalid options.
  explicit Monitor(const Model& model, const MonitorOptions& options = {});
  ~Monitor();
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;

  // Counts a batch and the prediction the model made for it: a Table (or Row) matched by
  // name, or a dense double or float matrix in schema order, as Model::predict takes it.
  // Throws as Model::predict for input it would refuse, and Error(kShape) when the
  // prediction's rows, or its outputs, do not match the input and the model.
  void observe(const Input& input, const Prediction& prediction);
  // The statistics of the rows observed (all since reset(), or the last window rows).
  DriftReport report() const;
  // Forgets every row observed.
  void reset();
  const MonitorOptions& options() const noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

FERRY_END_NAMESPACE

#endif  // FERRY_MONITOR_HPP
