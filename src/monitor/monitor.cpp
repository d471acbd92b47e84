// ferry::Monitor: bins served rows against the artifact's baselines (docs/format.md §3.6).
// Each observed row becomes one bin index per input column, output and predicted class; the
// state is the count of rows per bin (and, with a window, a fixed ring of the last rows' bin
// indices), so memory does not grow with the rows observed. Binning happens outside the lock;
// only the additions to the shared counts hold it.
#include "ferry/monitor.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <mutex>
#include <numeric>

#include <fmt/format.h>

#include "engine.hpp"
#include "ferry/error.hpp"
#include "monitor/baseline.hpp"
#include "monitor/psi.hpp"

FERRY_BEGIN_NAMESPACE

namespace {

using detail::Baseline;
using detail::OutputSource;
using detail::ValueBaseline;

// A row's entry for one slot: its bin, and whether the value lay outside the training range
// or was a category never seen in training.
constexpr std::uint32_t kFlag = std::uint32_t{1} << 31;
constexpr std::uint32_t kBinMask = kFlag - 1;

std::string number(double v) { return fmt::format("{:.6g}", v); }

std::vector<std::string> value_bin_labels(const ValueBaseline& v) {
  const std::size_t m = v.edges.size();
  if (m == 0) return {"values"};
  if (m <= 2) return {m == 1 ? "= " + number(v.edges[0]) : fmt::format("[{}, {}]", number(v.edges[0]), number(v.edges[1]))};
  std::vector<std::string> labels{"< " + number(v.edges[1])};
  for (std::size_t k = 1; k + 2 < m; ++k) labels.push_back(fmt::format("[{}, {})", number(v.edges[k]), number(v.edges[k + 1])));
  labels.push_back(">= " + number(v.edges[m - 2]));
  return labels;
}

std::vector<std::int64_t> value_counts(const ValueBaseline& v) {
  return v.counts.empty() ? std::vector<std::int64_t>{0} : v.counts;
}

double share(std::int64_t part, std::int64_t whole) {
  return whole > 0 ? static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

DriftLevel worse(DriftLevel a, DriftLevel b) { return static_cast<int>(a) >= static_cast<int>(b) ? a : b; }

}  // namespace

const char* to_string(DriftLevel level) noexcept {
  switch (level) {
    case DriftLevel::ok:
      return "ok";
    case DriftLevel::warn:
      return "warn";
    case DriftLevel::alert:
      return "alert";
  }
  return "?";
}

struct Monitor::State {
  Model model;
  MonitorOptions options;
  const Baseline& baseline;
  std::size_t n_inputs = 0, n_outputs = 0, slots = 0;
  bool classes = false;
  std::vector<std::size_t> offset;  // per slot: its first bin in `counts`
  std::vector<std::size_t> n_bins;  // per slot

  mutable std::mutex mutex;  // guards everything below
  std::vector<std::int64_t> counts;   // rows per bin, every slot's bins one after the other
  std::vector<std::int64_t> flagged;  // per input: rows outside the range / with an unseen category
  std::vector<double> sums;           // per output: sum of its values (cumulative mode)
  std::int64_t rows = 0;
  // Window mode: the last `options.window` rows, as bin indices and output values.
  std::vector<std::uint32_t> ring;
  std::vector<double> ring_values;
  std::size_t ring_next = 0;

  State(const Model& m, const MonitorOptions& o, const Baseline& b) : model(m), options(o), baseline(b) {
    n_inputs = b.inputs.size();
    n_outputs = b.outputs.size();
    classes = !b.classes.empty();
    slots = n_inputs + n_outputs + (classes ? 1 : 0);
    for (const detail::ColumnBaseline& c : b.inputs)
      n_bins.push_back(c.text ? c.categories.values.size() + 2 : c.values.n_bins() + 1);
    for (const detail::OutputBaseline& o2 : b.outputs) n_bins.push_back(o2.values.n_bins());
    if (classes) n_bins.push_back(b.classes.size());
    std::size_t total = 0;
    for (std::size_t n : n_bins) {
      offset.push_back(total);
      total += n;
    }
    counts.assign(total, 0);
    flagged.assign(n_inputs, 0);
    sums.assign(n_outputs, 0.0);
    const auto window = static_cast<std::size_t>(options.window);
    ring.assign(window * slots, 0);
    ring_values.assign(window * n_outputs, 0.0);
  }

  void clear() {
    std::fill(counts.begin(), counts.end(), 0);
    std::fill(flagged.begin(), flagged.end(), 0);
    std::fill(sums.begin(), sums.end(), 0.0);
    rows = 0;
    ring_next = 0;
  }

  // Adds (sign 1) or removes (sign -1) one row's bins; the caller holds the mutex.
  void count_row(const std::uint32_t* codes, std::int64_t sign) {
    for (std::size_t s = 0; s < slots; ++s) {
      counts[offset[s] + (codes[s] & kBinMask)] += sign;
      if (s < n_inputs && (codes[s] & kFlag) != 0) flagged[s] += sign;
    }
  }
};

Monitor::Monitor(const Model& model, const MonitorOptions& options) {
  const detail::Engine& engine = detail::engine_of(model);
  if (!engine.baseline)
    throw Error(ErrorCode::kUnsupported,
                fmt::format("model \"{}\" has no drift baselines: its artifact was exported without X_sample (or "
                            "with baseline_bins=0), so there is nothing to monitor against",
                            model.metadata().name));
  if (!(options.psi_warn >= 0) || !(options.psi_alert >= options.psi_warn) || !(options.mean_shift_alert > 0) ||
      !(options.smoothing > 0) || !std::isfinite(options.smoothing) || options.window < 0)
    throw Error(ErrorCode::kValue,
                "MonitorOptions: need 0 <= psi_warn <= psi_alert, mean_shift_alert > 0, a finite smoothing > 0 and "
                "window >= 0");
  state_ = std::make_unique<State>(model, options, *engine.baseline);
}

Monitor::~Monitor() = default;

const MonitorOptions& Monitor::options() const noexcept { return state_->options; }

void Monitor::observe(const Input& input, const Prediction& prediction) {
  State& st = *state_;
  const detail::Engine& engine = detail::engine_of(st.model);
  RowMatrixXd raw;
  switch (input.kind()) {
    case Input::Kind::kTable:
      raw = engine.bind(input.table(), PredictOptions{});
      break;
    case Input::Kind::kDouble:
      raw = engine.bind_dense<double>(input.doubles());
      break;
    case Input::Kind::kFloat:
      raw = engine.bind_dense<float>(input.floats());
      break;
  }
  const Index n = raw.rows();
  if (prediction.rows() != n)
    throw Error(ErrorCode::kShape,
                fmt::format("Monitor::observe: the prediction has {} rows but the input {}", prediction.rows(), n));
  std::vector<const RowMatrixXd*> sources;
  for (const detail::OutputBaseline& o : st.baseline.outputs) {
    const RowMatrixXd* m = o.source == OutputSource::kPredict         ? &prediction.values
                           : o.source == OutputSource::kPredictProba ? &prediction.probabilities
                                                                      : &prediction.scores;
    if (m->rows() != n || m->cols() <= o.index)
      throw Error(ErrorCode::kShape, fmt::format("Monitor::observe: the prediction has no output \"{}\" for every "
                                                 "row (is it a prediction of this model?)",
                                                 o.name));
    sources.push_back(m);
  }
  if (st.classes && static_cast<Index>(prediction.class_index.size()) != n)
    throw Error(ErrorCode::kShape, "Monitor::observe: the prediction has no predicted class for every row");

  const std::size_t slots = st.slots;
  std::vector<std::uint32_t> codes(static_cast<std::size_t>(n) * slots);
  std::vector<double> values(static_cast<std::size_t>(n) * st.n_outputs);
  for (Index i = 0; i < n; ++i) {
    std::uint32_t* row = codes.data() + static_cast<std::size_t>(i) * slots;
    for (std::size_t j = 0; j < st.n_inputs; ++j) {
      const detail::ColumnBaseline& c = st.baseline.inputs[j];
      const double v = raw(i, static_cast<Index>(j));
      const std::size_t missing_bin = st.n_bins[j] - 1;
      if (std::isnan(v)) {
        row[j] = static_cast<std::uint32_t>(missing_bin);
      } else if (c.text) {
        // A code outside the schema's categories is a value no training row held.
        const auto& of = c.categories.bin_of_category;
        const bool seen = v >= 0 && v < static_cast<double>(of.size());
        row[j] = seen ? static_cast<std::uint32_t>(of[static_cast<std::size_t>(v)])
                      : static_cast<std::uint32_t>(c.categories.values.size()) | kFlag;
      } else {
        const bool outside = c.values.count == 0 || v < c.values.min || v > c.values.max;
        row[j] = static_cast<std::uint32_t>(c.values.bin(v)) | (outside ? kFlag : 0);
      }
    }
    for (std::size_t k = 0; k < st.n_outputs; ++k) {
      const double v = (*sources[k])(i, st.baseline.outputs[k].index);
      values[static_cast<std::size_t>(i) * st.n_outputs + k] = v;
      row[st.n_inputs + k] = static_cast<std::uint32_t>(st.baseline.outputs[k].values.bin(v));
    }
    if (st.classes) {
      const Index c = prediction.class_index[static_cast<std::size_t>(i)];
      if (c < 0 || c >= static_cast<Index>(st.baseline.classes.size()))
        throw Error(ErrorCode::kShape, fmt::format("Monitor::observe: row {} predicts class index {}, which this "
                                                   "model does not have",
                                                   i, c));
      row[slots - 1] = static_cast<std::uint32_t>(c);
    }
  }

  const std::lock_guard<std::mutex> lock(st.mutex);
  const auto window = static_cast<std::size_t>(st.options.window);
  for (Index i = 0; i < n; ++i) {
    const std::uint32_t* row = codes.data() + static_cast<std::size_t>(i) * slots;
    const double* row_values = values.data() + static_cast<std::size_t>(i) * st.n_outputs;
    if (window == 0) {
      st.count_row(row, 1);
      for (std::size_t k = 0; k < st.n_outputs; ++k) st.sums[k] += row_values[k];
      ++st.rows;
      continue;
    }
    std::uint32_t* slot = st.ring.data() + st.ring_next * slots;
    if (st.rows == static_cast<std::int64_t>(window))
      st.count_row(slot, -1);  // the oldest row leaves the window
    else
      ++st.rows;
    std::copy(row, row + slots, slot);
    std::copy(row_values, row_values + st.n_outputs, st.ring_values.data() + st.ring_next * st.n_outputs);
    st.count_row(row, 1);
    st.ring_next = (st.ring_next + 1) % window;
  }
}

void Monitor::reset() {
  const std::lock_guard<std::mutex> lock(state_->mutex);
  state_->clear();
}

DriftReport Monitor::report() const {
  const State& st = *state_;
  std::vector<std::int64_t> counts, flagged;
  std::vector<double> sums;
  std::int64_t rows = 0;
  {
    const std::lock_guard<std::mutex> lock(st.mutex);
    counts = st.counts;
    flagged = st.flagged;
    rows = st.rows;
    sums = st.sums;
    if (st.options.window > 0) {
      // Summed afresh over the ring rather than kept by adding and subtracting, which would
      // let rounding accumulate without bound.
      std::fill(sums.begin(), sums.end(), 0.0);
      for (std::int64_t r = 0; r < rows; ++r)
        for (std::size_t k = 0; k < st.n_outputs; ++k)
          sums[k] += st.ring_values[static_cast<std::size_t>(r) * st.n_outputs + k];
    }
  }
  const MonitorOptions& o = st.options;
  const Baseline& b = st.baseline;
  auto current = [&](std::size_t slot) {
    return std::vector<std::int64_t>(counts.begin() + static_cast<std::ptrdiff_t>(st.offset[slot]),
                                     counts.begin() + static_cast<std::ptrdiff_t>(st.offset[slot] + st.n_bins[slot]));
  };
  auto psi_level = [&](double psi) {
    return psi >= o.psi_alert ? DriftLevel::alert : psi >= o.psi_warn ? DriftLevel::warn : DriftLevel::ok;
  };
  auto fill = [&](ColumnDrift& d, const std::vector<std::int64_t>& training, const std::vector<std::int64_t>& now) {
    d.psi = rows > 0 ? detail::population_stability_index(training, now, o.smoothing) : 0.0;
    d.level = psi_level(d.psi);
    for (std::size_t i = 0; i < training.size(); ++i) {
      d.training_share.push_back(share(training[i], b.rows));
      d.current_share.push_back(share(now[i], rows));
    }
  };

  DriftReport r;
  r.rows = static_cast<Index>(rows);
  r.model_name = st.model.metadata().name;
  r.model_version = st.model.metadata().version;
  for (std::size_t j = 0; j < st.n_inputs; ++j) {
    const detail::ColumnBaseline& c = b.inputs[j];
    ColumnDrift d;
    d.name = c.name;
    d.text = c.text;
    std::vector<std::int64_t> training;
    std::int64_t training_missing = 0;
    if (c.text) {
      training = c.categories.counts;
      training.push_back(c.categories.other);
      training_missing = c.categories.missing;
      d.bins = c.categories.values;
      d.bins.emplace_back("other");
    } else {
      training = value_counts(c.values);
      training_missing = c.values.missing;
      d.bins = value_bin_labels(c.values);
    }
    training.push_back(training_missing);
    d.bins.emplace_back("missing");
    const std::vector<std::int64_t> now = current(j);
    fill(d, training, now);
    const std::int64_t missing = now.back();
    d.training_missing_rate = share(training_missing, b.rows);
    d.current_missing_rate = share(missing, rows);
    d.missing_rate_change = d.current_missing_rate - d.training_missing_rate;
    (c.text ? d.unseen : d.outside_range) = share(flagged[j], rows - missing);
    r.level = worse(r.level, d.level);
    r.columns.push_back(std::move(d));
  }
  for (std::size_t k = 0; k < st.n_outputs; ++k) {
    const detail::OutputBaseline& ob = b.outputs[k];
    OutputDrift d;
    d.name = ob.name;
    d.bins = value_bin_labels(ob.values);
    fill(d, value_counts(ob.values), current(st.n_inputs + k));
    d.training_mean = ob.values.mean;
    d.training_std = ob.values.std;
    if (rows > 0) {
      d.current_mean = sums[k] / static_cast<double>(rows);
      const double moved = d.current_mean - d.training_mean;
      d.mean_shift = d.training_std > 0                ? moved / d.training_std
                     : moved == 0 || std::isnan(moved) ? 0.0
                                                       : std::copysign(std::numeric_limits<double>::infinity(), moved);
      if (std::abs(d.mean_shift) > o.mean_shift_alert) d.level = DriftLevel::alert;
    }
    r.level = worse(r.level, d.level);
    r.outputs.push_back(std::move(d));
  }
  if (st.classes) {
    ColumnDrift d;
    d.name = "class";
    for (std::size_t c = 0; c < b.classes.size(); ++c) d.bins.push_back(st.model.schema().classes.to_string(c));
    fill(d, b.classes, current(st.slots - 1));
    r.level = worse(r.level, d.level);
    r.classes = std::move(d);
  }
  return r;
}

FERRY_END_NAMESPACE
