// The server's counters and latency histogram, written in the Prometheus text format
// (GET /metrics) and summarised on the status page.
#ifndef FERRY_SRC_SERVE_METRICS_HPP
#define FERRY_SRC_SERVE_METRICS_HPP

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "ferry/metadata.hpp"
#include "ferry/monitor.hpp"
#include "ferry/shadow.hpp"

namespace ferry::serve {

class Metrics {
 public:
  // Upper bounds (seconds) of the latency buckets; the last bucket is +Inf.
  static constexpr std::array<double, 14> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                      0.025,  0.05,    0.1,    0.25,  0.5,   1.0,   2.5};

  Metrics();

  // Every answered request, by route ("/v1/predict", ..., "other") and status.
  void count_request(const std::string& route, int status);
  // Time spent handling a scoring request (parse, predict, answer), whatever its outcome.
  void observe_latency(const std::string& route, std::chrono::nanoseconds elapsed);
  void count_rows(const std::string& route, std::uint64_t rows);
  void count_swap(bool succeeded);
  void count_rollback(bool succeeded);

  // An estimate of the q-quantile of the latency of `route` in seconds (the upper bound of
  // the bucket it falls in), or nothing before the first request.
  std::optional<double> latency_quantile(const std::string& route, double q) const;
  std::uint64_t requests_total() const;
  std::uint64_t rows_total(const std::string& route) const;
  double uptime_seconds() const;

  // The Prometheus exposition text. `shadow` when a candidate runs in shadow mode, `drift`
  // when the serving model carries baselines (docs/format.md §3.6).
  std::string prometheus(const Metadata& serving, std::uint64_t generation, const std::optional<Agreement>& shadow,
                         const std::optional<DriftReport>& drift) const;

 private:
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size() + 1> counts{};  // per bucket, not cumulative
    double sum = 0.0;
    std::uint64_t count = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, std::uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
  std::map<std::string, std::uint64_t> rows_;
  std::uint64_t swaps_ = 0, swap_failures_ = 0, rollbacks_ = 0, rollback_failures_ = 0;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace ferry::serve

#endif  // FERRY_SRC_SERVE_METRICS_HPP
