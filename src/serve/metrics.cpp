#include "serve/metrics.hpp"

#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace ferry::serve {
namespace {

// Prometheus label values escape backslash, quote and line feed.
std::string label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

}  // namespace

Metrics::Metrics() : started_(std::chrono::steady_clock::now()) {}

void Metrics::count_request(const std::string& route, int status) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{route, status}];
}

void Metrics::observe_latency(const std::string& route, std::chrono::nanoseconds elapsed) {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  std::size_t bucket = 0;
  while (bucket < kBuckets.size() && seconds > kBuckets[bucket]) ++bucket;
  std::lock_guard<std::mutex> lock(mutex_);
  Histogram& h = latency_[route];
  ++h.counts[bucket];
  h.sum += seconds;
  ++h.count;
}

void Metrics::count_rows(const std::string& route, std::uint64_t rows) {
  std::lock_guard<std::mutex> lock(mutex_);
  rows_[route] += rows;
}

void Metrics::count_swap(bool succeeded) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++(succeeded ? swaps_ : swap_failures_);
}

void Metrics::count_rollback(bool succeeded) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++(succeeded ? rollbacks_ : rollback_failures_);
}

std::optional<double> Metrics::latency_quantile(const std::string& route, double q) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = latency_.find(route);
  if (it == latency_.end() || it->second.count == 0) return std::nullopt;
  const double target = q * static_cast<double>(it->second.count);
  std::uint64_t seen = 0;
  for (std::size_t b = 0; b < kBuckets.size(); ++b) {
    seen += it->second.counts[b];
    if (static_cast<double>(seen) >= target) return kBuckets[b];
  }
  return std::numeric_limits<double>::infinity();
}

std::uint64_t Metrics::requests_total() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::uint64_t n = 0;
  for (const auto& [key, count] : requests_) n += count;
  return n;
}

std::uint64_t Metrics::rows_total(const std::string& route) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = rows_.find(route);
  return it == rows_.end() ? 0 : it->second;
}

double Metrics::uptime_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
}

std::string Metrics::prometheus(const Metadata& serving, std::uint64_t generation,
                                const std::optional<Agreement>& shadow,
                                const std::optional<DriftReport>& drift) const {
  std::string out;
  const auto append = [&out](const std::string& text) { out += text; };
  append("# HELP ferry_model_info The model serving now (value 1).\n# TYPE ferry_model_info gauge\n");
  append(fmt::format("ferry_model_info{{name=\"{}\",version=\"{}\",content_id=\"{}\"}} 1\n", label(serving.name),
                     label(serving.version), label(serving.content_id)));
  append("# HELP ferry_model_generation Times the serving model changed (swaps and rollbacks).\n"
         "# TYPE ferry_model_generation gauge\n");
  append(fmt::format("ferry_model_generation {}\n", generation));
  append("# HELP ferry_uptime_seconds Seconds since the server started.\n# TYPE ferry_uptime_seconds gauge\n");
  append(fmt::format("ferry_uptime_seconds {}\n", number(uptime_seconds())));

  std::lock_guard<std::mutex> lock(mutex_);
  append("# HELP ferry_http_requests_total Requests answered, by route and HTTP status.\n"
         "# TYPE ferry_http_requests_total counter\n");
  for (const auto& [key, count] : requests_)
    append(fmt::format("ferry_http_requests_total{{route=\"{}\",status=\"{}\"}} {}\n", label(key.first), key.second,
                       count));
  append("# HELP ferry_request_duration_seconds Time handling a scoring request, by route.\n"
         "# TYPE ferry_request_duration_seconds histogram\n");
  for (const auto& [route, h] : latency_) {
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < kBuckets.size(); ++b) {
      cumulative += h.counts[b];
      append(fmt::format("ferry_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n", label(route),
                         number(kBuckets[b]), cumulative));
    }
    cumulative += h.counts[kBuckets.size()];
    append(fmt::format("ferry_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n", label(route),
                       cumulative));
    append(fmt::format("ferry_request_duration_seconds_sum{{route=\"{}\"}} {}\n", label(route), number(h.sum)));
    append(fmt::format("ferry_request_duration_seconds_count{{route=\"{}\"}} {}\n", label(route), h.count));
  }
  append("# HELP ferry_rows_scored_total Rows predicted or explained, by route.\n"
         "# TYPE ferry_rows_scored_total counter\n");
  for (const auto& [route, rows] : rows_)
    append(fmt::format("ferry_rows_scored_total{{route=\"{}\"}} {}\n", label(route), rows));
  append("# HELP ferry_model_swaps_total Model reloads, by outcome.\n# TYPE ferry_model_swaps_total counter\n");
  append(fmt::format("ferry_model_swaps_total{{outcome=\"swapped\"}} {}\n", swaps_));
  append(fmt::format("ferry_model_swaps_total{{outcome=\"refused\"}} {}\n", swap_failures_));
  append("# HELP ferry_model_rollbacks_total Rollbacks, by outcome.\n# TYPE ferry_model_rollbacks_total counter\n");
  append(fmt::format("ferry_model_rollbacks_total{{outcome=\"rolled_back\"}} {}\n", rollbacks_));
  append(fmt::format("ferry_model_rollbacks_total{{outcome=\"refused\"}} {}\n", rollback_failures_));

  if (shadow) {
    const Agreement& a = *shadow;
    append("# HELP ferry_shadow_rows_total Rows the shadow candidate and the serving model both predicted.\n"
           "# TYPE ferry_shadow_rows_total counter\n");
    append(fmt::format("ferry_shadow_rows_total {}\n", a.rows));
    append("# HELP ferry_shadow_failed_rows_total Rows the shadow candidate refused.\n"
           "# TYPE ferry_shadow_failed_rows_total counter\n");
    append(fmt::format("ferry_shadow_failed_rows_total {}\n", a.candidate_failed_rows));
    if (!a.confusion.empty()) {
      append("# HELP ferry_shadow_same_label_total Rows where the candidate predicted the serving model's label.\n"
             "# TYPE ferry_shadow_same_label_total counter\n");
      append(fmt::format("ferry_shadow_same_label_total {}\n", a.same_label));
      append("# HELP ferry_shadow_label_agreement Share of rows with the same label.\n"
             "# TYPE ferry_shadow_label_agreement gauge\n");
      append(fmt::format("ferry_shadow_label_agreement {}\n", number(a.label_agreement())));
      append("# HELP ferry_shadow_confusion_total Rows by serving model label and candidate label.\n"
             "# TYPE ferry_shadow_confusion_total counter\n");
      for (const auto& [serving_label, row] : a.confusion)
        for (const auto& [candidate_label, n] : row)
          append(fmt::format("ferry_shadow_confusion_total{{serving=\"{}\",candidate=\"{}\"}} {}\n",
                             label(serving_label), label(candidate_label), n));
    }
    append("# HELP ferry_shadow_score_abs_difference Mean and max absolute difference of the compared scores.\n"
           "# TYPE ferry_shadow_score_abs_difference gauge\n");
    append(fmt::format("ferry_shadow_score_abs_difference{{stat=\"mean\",score=\"{}\"}} {}\n", label(a.score),
                       number(a.mean_abs_score_difference)));
    append(fmt::format("ferry_shadow_score_abs_difference{{stat=\"max\",score=\"{}\"}} {}\n", label(a.score),
                       number(a.max_abs_score_difference)));
  }

  if (drift) {
    const DriftReport& r = *drift;
    append("# HELP ferry_drift_rows Served rows the drift figures cover (--drift-window).\n"
           "# TYPE ferry_drift_rows gauge\n");
    append(fmt::format("ferry_drift_rows {}\n", r.rows));
    append("# HELP ferry_drift_level Worst drift level: 0 ok, 1 warn, 2 alert.\n# TYPE ferry_drift_level gauge\n");
    append(fmt::format("ferry_drift_level {}\n", static_cast<int>(r.level)));
    append("# HELP ferry_drift_psi Population stability index of served rows against the training baseline, "
           "by input column, model output and predicted class.\n# TYPE ferry_drift_psi gauge\n");
    for (const ColumnDrift& c : r.columns)
      append(fmt::format("ferry_drift_psi{{kind=\"input\",column=\"{}\"}} {}\n", label(c.name), number(c.psi)));
    for (const OutputDrift& o : r.outputs)
      append(fmt::format("ferry_drift_psi{{kind=\"output\",column=\"{}\"}} {}\n", label(o.name), number(o.psi)));
    if (r.classes)
      append(fmt::format("ferry_drift_psi{{kind=\"class\",column=\"{}\"}} {}\n", label(r.classes->name),
                         number(r.classes->psi)));
    append("# HELP ferry_drift_missing_rate_change Served minus training share of missing values, by input column.\n"
           "# TYPE ferry_drift_missing_rate_change gauge\n");
    for (const ColumnDrift& c : r.columns)
      append(fmt::format("ferry_drift_missing_rate_change{{column=\"{}\"}} {}\n", label(c.name),
                         number(c.missing_rate_change)));
  }
  return out;
}

}  // namespace ferry::serve
